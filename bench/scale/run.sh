#!/usr/bin/env bash
# Issue 10, "throughput at 100,000 enrolled hosts, 10,000 reference values and 10 million audit
# records within 10% of an empty database". Populates a data directory to fleet size
# (bench/scale/populate.py, then bench/scale/verify_chain.py over it), then runs closed-loop
# attestd_loadgen (ECC AKs) alternately against
#   empty: a fresh data directory per run, the loadgen's own reference set;
#   fleet: the populated directory (reused across runs), --extra-reference-values 10000;
# and prints one line per run and the medians of server CPU per attestation.
#
# usage: bench/scale/run.sh
# env:   BUILD_DIR (default build/), ATTESTD / ATTESTCTL / LOADGEN to override binaries,
#        WORK (default: a new temporary directory), FLEET_DIR (an already populated data directory:
#        skips the population), HOSTS (100000), RECORDS (10000000), RUNS (2 per configuration),
#        CONNECTIONS (16), DURATION (15 s), EXTRA_VALUES (10000), LOADGEN_ARGS (more loadgen options
#        for both configurations, e.g. "--hosts 1000"), PAUSE (a pgrep -f pattern of background jobs
#        to SIGSTOP during each timed run and SIGCONT after it). Do not PAUSE libFuzzer jobs: their
#        per-input alarm counts wall time, so a pause longer than -timeout ends them with a false
#        "timeout" report.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
ATTESTD=${ATTESTD:-$build/verifier/attestd}
ATTESTCTL=${ATTESTCTL:-$build/cli/attestctl}
LOADGEN=${LOADGEN:-$build/bench/loadgen/attestd_loadgen}
HOSTS=${HOSTS:-100000}
RECORDS=${RECORDS:-10000000}
RUNS=${RUNS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-15}
EXTRA_VALUES=${EXTRA_VALUES:-10000}
LOG="$root/../shared/testdata/vmboot/sb-shim-grub/eventlog.bin"

for bin in "$ATTESTD" "$ATTESTCTL" "$LOADGEN"; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin missing: build attestd, attestctl and attestd_loadgen first" >&2; exit 2; }
done
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"

attestd_pid=""
paused=()
resume() {
  # Only the processes this script stopped, by pid.
  if ((${#paused[@]})); then kill -CONT "${paused[@]}" 2>/dev/null || true; fi
  paused=()
}
stop_attestd() {
  if [[ -n "$attestd_pid" ]]; then
    kill -TERM "$attestd_pid" 2>/dev/null || true
    wait "$attestd_pid" 2>/dev/null || true
    attestd_pid=""
  fi
}
trap 'resume; stop_attestd' EXIT
trap 'exit 130' INT TERM

# Starts attestd on DIR (initialising it if new) and waits until it listens.
start_attestd() {
  local dir=$1
  "$ATTESTD" --data-dir "$dir" --listen 127.0.0.1:0 >"$work/attestd.out" 2>"$work/attestd.err" &
  attestd_pid=$!
  for _ in $(seq 600); do grep -q "listening on https://" "$work/attestd.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "attestd did not start on $dir: $(cat "$work/attestd.err")" >&2
  exit 2
}

if [[ -z "${FLEET_DIR:-}" ]]; then
  FLEET_DIR=$work/fleet
  rm -rf "$FLEET_DIR"
  start_attestd "$FLEET_DIR"
  stop_attestd
  echo "== populating $FLEET_DIR: $HOSTS hosts, $RECORDS audit records"
  /usr/bin/time -f "populate: %e s wall, %M KB peak RSS" \
    /usr/bin/python3 "$root/bench/scale/populate.py" "$FLEET_DIR" --hosts "$HOSTS" --records "$RECORDS"
  du -sh "$FLEET_DIR/attestd.db"
  echo "== verify_chain.py (every chain, with tests/audit/verify_audit.py's canonical form)"
  /usr/bin/time -f "verify_chain: %e s wall" /usr/bin/python3 "$root/bench/scale/verify_chain.py" "$FLEET_DIR/attestd.db"
  # attestctl audit verify is quadratic in records x reason rows (bench/README.md, "Fleet scale"):
  # hours at fleet size, so it runs here only on small populations.
  if ((RECORDS <= 200000)); then
    echo "== attestctl audit verify"
    /usr/bin/time -f "audit verify: %e s wall" "$ATTESTCTL" audit verify --data-dir "$FLEET_DIR"
  fi
fi

# One closed-loop run; prints "config attestations/s p50 p99 server-µs client-µs errors".
run_one() {
  local config=$1 dir=$2
  shift 2
  start_attestd "$dir"
  local port
  port=$(cat "$dir/attestd.port")
  "$ATTESTCTL" --data-dir "$dir" token create --tenant demo --role attester >"$work/attester.token" 2>/dev/null
  if [[ -n "${PAUSE:-}" ]]; then mapfile -t paused < <(pgrep -f "$PAUSE" || true); fi
  if ((${#paused[@]})); then kill -STOP "${paused[@]}" 2>/dev/null || true; fi
  local rc=0
  "$LOADGEN" --url "https://127.0.0.1:$port" --cacert "$dir/tls/server.crt" \
    --admin-token "$dir/demo-admin.token" --attester-token "$work/attester.token" --event-log "$LOG" \
    --server-pid "$attestd_pid" --connections "$CONNECTIONS" --duration "$DURATION" --ak ecc \
    --json-file "$work/$config.json" ${LOADGEN_ARGS:-} "$@" >"$work/$config.out" 2>&1 || rc=$?
  resume
  stop_attestd
  if ((rc != 0)); then echo "loadgen failed ($rc) on $config:" >&2; cat "$work/$config.out" >&2; exit 1; fi
  jq -r --arg c "$config" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
    '"\($c)\t\(.attestations_per_s * 10 | round / 10)\t\(.exchange.p50_ms * 10 | round / 10)\t\(.exchange.p99_ms * 10 | round / 10)\t\(.server_cpu_us_per_attestation | round)\t\(.client_cpu_us_per_attestation | round)\t\(.errors)\t\($load)"' \
    "$work/$config.json" | tee -a "$work/results.tsv"
}

echo "== $RUNS runs per configuration, alternating; ECC AKs, $CONNECTIONS connections, $DURATION s closed loop"
: >"$work/results.tsv"
printf "config\tatt/s\tp50 ms\tp99 ms\tserver µs/att\tclient µs/att\terrors\tload\n"
for i in $(seq "$RUNS"); do
  rm -rf "$work/empty"
  run_one empty "$work/empty"
  run_one fleet "$FLEET_DIR" --extra-reference-values "$EXTRA_VALUES"
done
rm -rf "$work/empty"

echo "== medians (server CPU µs per attestation)"
for c in empty fleet; do
  awk -F'\t' -v c=$c '$1 == c {print $5}' "$work/results.tsv" | sort -n |
    awk -v c=$c '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print c, m}'
done | tee "$work/medians.txt"
awk 'NR == 1 {e = $2} NR == 2 {printf "fleet / empty: %.3f\n", $2 / e}' "$work/medians.txt"
echo "results in $work/results.tsv"
