# shellcheck shell=bash
# Sourced, not run: starting a fresh attestd for the load generator, shared by bench/loadgen/run.sh
# and bench/run.sh.
#
#   attestd_up DIR     starts "$ATTESTD" on 127.0.0.1:0 with its embedded defaults and a data
#                      directory under DIR, waits until it listens, creates an attester token, and
#                      sets: attestd_pid, attestd_port, attestd_data, and loadgen_common (the
#                      attestd_loadgen options naming the URL, CA, both tokens and --server-pid).
#   attestd_down       stops it (SIGTERM, then waits); call it from the caller's EXIT trap.
#   attestd_ticks      utime + stime of attestd so far, in clock ticks (getconf CLK_TCK per second).
# Needs ATTESTD and ATTESTCTL (paths of the binaries).
attestd_pid=""

attestd_up() {
  local dir=$1
  attestd_data="$dir/data"
  "$ATTESTD" --data-dir "$attestd_data" --listen 127.0.0.1:0 >"$dir/attestd.out" 2>"$dir/attestd.err" &
  attestd_pid=$!
  for _ in $(seq 100); do grep -q "listening on https://" "$dir/attestd.out" 2>/dev/null && break; sleep 0.1; done
  if ! grep -q "listening on https://" "$dir/attestd.out"; then
    echo "attestd did not start: $(cat "$dir/attestd.err")" >&2
    return 2
  fi
  attestd_port=$(cat "$attestd_data/attestd.port")
  # attestctl prints the token on stdout and a notice on stderr.
  "$ATTESTCTL" --data-dir "$attestd_data" token create --tenant demo --role attester >"$dir/attester.token" \
    2>"$dir/attestctl.err"
  # shellcheck disable=SC2034  # for the caller
  loadgen_common=(--url "https://127.0.0.1:$attestd_port" --cacert "$attestd_data/tls/server.crt"
                  --admin-token "$attestd_data/demo-admin.token" --attester-token "$dir/attester.token"
                  --server-pid "$attestd_pid")
}

attestd_down() {
  if [[ -n "$attestd_pid" ]]; then
    kill -TERM "$attestd_pid" 2>/dev/null || true
    wait "$attestd_pid" 2>/dev/null || true
    attestd_pid=""
  fi
}

# proc(5) fields 14 and 15; the comm field may hold spaces, so count after its ')'.
attestd_ticks() { sed 's/.*) //' "/proc/$attestd_pid/stat" | awk '{print $12 + $13}'; }
