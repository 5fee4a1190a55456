#!/usr/bin/env bash
# Issue 10's benchmark table in one command: component, figure, floor measured in this run, ratio.
#   1. floors: `openssl speed` (RSA-2048 verify, ECDSA P-256 sign/verify, P-384 verify, ECDH P-256,
#      SHA-256 and the negotiated TLS cipher over 16 KiB, the PCR extends' hashes), a 4 KiB append +
#      fdatasync in $TMPDIR (where audit_bench puts its database), and `GET /healthz` round trips
#      through attestd's own TLS + HTTP stack at 1, 4 and 16 keep-alive connections;
#   2. the components' Google Benchmark entries, each mapped to its floor (bench/report.py);
#   3. full attestations through HTTPS (attestd_loadgen, closed loop, ECC AKs), without and with
#      key release, against a fresh attestd started like bench/loadgen/run.sh starts it;
#   4. memory under 1,000 idle keep-alive connections (bench/idle_connections.py).
# Prints the table (bench/report.py), then idle_connections.py's own lines. Not part of ctest.
#
# env: BUILD_DIR (build), SPEED_SECONDS (2), MIN_TIME (1, Google Benchmark --benchmark_min_time),
#      LOADGEN_SECONDS (8), CONNECTIONS (16), HEALTHZ_SECONDS (3), SKIP_BUILD=1, KEEP=1 keeps the
#      run directory (every raw output the table was computed from).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
SPEED_SECONDS=${SPEED_SECONDS:-2}
MIN_TIME=${MIN_TIME:-1}
LOADGEN_SECONDS=${LOADGEN_SECONDS:-8}
CONNECTIONS=${CONNECTIONS:-16}
HEALTHZ_SECONDS=${HEALTHZ_SECONDS:-3}
HEALTHZ_CONNECTIONS=(1 4 16)
LOG="$root/../shared/testdata/vmboot/sb-shim-grub/eventlog.bin"
b="$BUILD_DIR/bench"
benches=(tpm/bench_tpm_quote eventlog/eventlog_bench spdm/spdm_bench gpu/gpu_bench policy/policy_bench
         result/ear_bench broker/broker_bench audit/audit_bench)

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  # Configured like scripts/build.sh; only what the run needs is built.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTESTD_WERROR=ON >/dev/null
  targets=(attestd attestctl attestd_loadgen)
  for x in "${benches[@]}"; do targets+=("$(basename "$x")"); done
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >/dev/null
fi

ATTESTD="$BUILD_DIR/verifier/attestd"
ATTESTCTL="$BUILD_DIR/cli/attestctl"
LOADGEN="$BUILD_DIR/bench/loadgen/attestd_loadgen"
# shellcheck source=bench/loadgen/attestd_up.sh
source bench/loadgen/attestd_up.sh
out=$(mktemp -d)
cleanup() {
  attestd_down
  if [[ "${KEEP:-0}" == 1 ]]; then echo "run directory kept: $out" >&2; else rm -rf "$out"; fi
}
trap cleanup EXIT
step() { echo "[$(date -u +%T)] $*" >&2; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

attestd_up "$out" || exit 2
# The cipher attestd negotiates with a default OpenSSL client, as attestd_loadgen's: its floor.
tls_cipher=$(openssl s_client -connect "127.0.0.1:$attestd_port" -CAfile "$attestd_data/tls/server.crt" </dev/null 2>/dev/null |
             grep -m1 -o 'Cipher is [A-Za-z0-9_-]*' | awk '{print $3}')
case "$tls_cipher" in
  *AES_256_GCM* | *AES256-GCM*) tls_evp=aes-256-gcm ;;
  *AES_128_GCM* | *AES128-GCM*) tls_evp=aes-128-gcm ;;
  *CHACHA20*) tls_evp=chacha20-poly1305 ;;
  *) echo "run.sh: unknown TLS cipher '$tls_cipher'" >&2; exit 2 ;;
esac

step "floors: openssl speed (${SPEED_SECONDS} s each)"
s=(-seconds "$SPEED_SECONDS")
openssl speed "${s[@]}" rsa2048 2>/dev/null >"$out/rsa2048.txt"
openssl speed "${s[@]}" ecdsap256 2>/dev/null >"$out/ecdsap256.txt"
openssl speed "${s[@]}" ecdsap384 2>/dev/null >"$out/ecdsap384.txt"
openssl speed "${s[@]}" ecdhp256 2>/dev/null >"$out/ecdhp256.txt"
openssl speed "${s[@]}" -evp sha256 -bytes 16384 2>/dev/null >"$out/sha256-16k.txt"
openssl speed "${s[@]}" -evp "$tls_evp" -bytes 16384 2>/dev/null >"$out/cipher-16k.txt"
# A PCR extend hashes old value ‖ event digest: 2 × the digest size.
for alg in sha1:40 sha256:64 sha384:96 sha512:128; do
  openssl speed -seconds 1 -evp "${alg%%:*}" -bytes "${alg##*:}" 2>/dev/null >"$out/extend-${alg%%:*}.txt"
done
# The durability floor: one 4 KiB page written into an already allocated file and fdatasync'ed,
# as a commit into a reused SQLite WAL is (no size change, so no journal commit of metadata).
python3 - "$out/fdatasync.json" "${TMPDIR:-/tmp}" <<'PY'
import json, os, statistics, sys, tempfile, time
where, n = sys.argv[2], 200
fd, path = tempfile.mkstemp(dir=where)
page, times = os.urandom(4096), []
try:
    os.write(fd, bytes(4096 * n))
    os.fsync(fd)
    for i in range(n):
        t = time.perf_counter()
        os.pwrite(fd, page, 4096 * i)
        os.fdatasync(fd)
        times.append((time.perf_counter() - t) * 1e6)
finally:
    os.close(fd)
    os.unlink(path)
json.dump({"dir": where, "n": n, "median_us": statistics.median(times)}, open(sys.argv[1], "w"))
PY

step "components: Google Benchmark (min_time ${MIN_TIME} s; audit_bench first writes 1M records)"
filters=(
  '^BM_(VerifyQuoteRsa2048|VerifyQuoteEccP256|RawRsa2048Verify|RawEcdsaP256Verify)$'
  '^BM_(ParseAndReplay|CheckDigests)$'
  '^BM_(NvidiaReportVerify|NvidiaReportVerifyCold|RawEcdsaP384Verify)$'
  '.'
  '.'
  '^BM_(IssueEar/1|RawEcdsaP256Sign)$'
  '^BM_EncryptJwe/(RSA-OAEP-256/rsa2048|ECDH-ES\+A256KW/p256)/'
  '^BM_AuditAppendDurable/.*threads:(1|32)$'
)
for i in "${!benches[@]}"; do
  x=$(basename "${benches[$i]}")
  "$b/${benches[$i]}" --benchmark_filter="${filters[$i]}" --benchmark_min_time="$MIN_TIME" \
    --benchmark_out="$out/$x.bench.json" --benchmark_out_format=json >/dev/null 2>"$out/$x.err" ||
    { cat "$out/$x.err" >&2; exit 1; }
done

step "HTTPS round trip: GET /healthz, ${HEALTHZ_SECONDS} s per connection count"
for n in "${HEALTHZ_CONNECTIONS[@]}"; do
  "$LOADGEN" "${loadgen_common[@]}" --healthz --connections "$n" --duration "$HEALTHZ_SECONDS" \
    --json-file "$out/healthz-$n.json" >/dev/null
done

step "full attestation: $CONNECTIONS connections, ECC AKs, ${LOADGEN_SECONDS} s closed loop, without and with key release"
full=("${loadgen_common[@]}" --event-log "$LOG" --ak ecc --connections "$CONNECTIONS" --duration "$LOADGEN_SECONDS")
"$LOADGEN" "${full[@]}" --json-file "$out/attest.json" >"$out/attest.txt" || { cat "$out/attest.txt" >&2; exit 1; }
"$LOADGEN" "${full[@]}" --release-key --json-file "$out/attest-release.json" >"$out/attest-release.txt" ||
  { cat "$out/attest-release.txt" >&2; exit 1; }
attestd_down

step "memory: 1,000 idle keep-alive connections"
/usr/bin/python3 bench/idle_connections.py --attestd "$ATTESTD" --connections 1000 | tee "$out/idle_connections.txt" >/dev/null

# What the report needs to know about this run and the log the attestations carry.
"$ATTESTCTL" eventlog show "$LOG" --json |
  jq --arg bytes "$(stat -c %s "$LOG")" '{bytes: ($bytes | tonumber),
       extends: ([.events[] | select(.type != 3) | .digests | keys[]] | group_by(.) | map({(.[0]): length}) | add)}' \
  >"$out/eventlog.json"
jq -n --slurpfile ev "$out/eventlog.json" --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg cores "$(nproc)" \
  --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
  --arg before "$load_before" --arg after "$(cut -d' ' -f1-3 /proc/loadavg)" --arg min_time "$MIN_TIME" \
  --arg cipher "$tls_cipher" --arg evp "$tls_evp" --argjson healthz "$(printf '%s\n' "${HEALTHZ_CONNECTIONS[@]}" | jq -s .)" \
  '{date: $date, cores: $cores, cpu: $cpu, load_before: $before, load_after: $after, min_time: $min_time,
    tls_cipher: $cipher, tls_cipher_evp: $evp, healthz_connections: $healthz, eventlog: $ev[0]}' >"$out/meta.json"

python3 bench/report.py "$out"
echo
cat "$out/idle_connections.txt"
