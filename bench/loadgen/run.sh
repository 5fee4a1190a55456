#!/usr/bin/env bash
# The full-attestation benchmark (issue 4 bench/, issue 10): starts a fresh attestd on loopback on
# its embedded defaults, then runs attestd_loadgen twice against it:
#   1. closed loop: as many challenge + attestation exchanges as N connections sustain (rate R);
#   2. open loop at 80% of R: the latency the target is stated at ("p99 ... at 80% of that rate").
# Prints each run's table and a summary: attestations/s, p50/p99, server and client CPU time per
# attestation, and the server capacity they imply (cores ÷ server CPU per attestation), since
# client and server share the machine's cores.
#
# usage: bench/loadgen/run.sh [extra attestd_loadgen options, e.g. --ak ecc --hosts 64 --release-key]
# env:   BUILD_DIR (default build/), ATTESTD / ATTESTCTL / LOADGEN to override binaries,
#        CONNECTIONS (16), DURATION (15 s per run), OPEN_FRACTION (0.8), KEEP=1 keeps the data dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
ATTESTD=${ATTESTD:-$build/verifier/attestd}
ATTESTCTL=${ATTESTCTL:-$build/cli/attestctl}
LOADGEN=${LOADGEN:-$build/bench/loadgen/attestd_loadgen}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-15}
OPEN_FRACTION=${OPEN_FRACTION:-0.8}
LOG="$root/../shared/testdata/vmboot/sb-shim-grub/eventlog.bin"

for bin in "$ATTESTD" "$ATTESTCTL" "$LOADGEN"; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin missing: build attestd, attestctl and attestd_loadgen first" >&2; exit 2; }
done

# shellcheck source=bench/loadgen/attestd_up.sh
source "$root/bench/loadgen/attestd_up.sh"
work=$(mktemp -d)
cleanup() {
  attestd_down
  if [[ "${KEEP:-0}" == 1 ]]; then echo "data kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

attestd_up "$work" || exit 2
ticks_per_s=$(getconf CLK_TCK)
common=("${loadgen_common[@]}" --event-log "$LOG" --connections "$CONNECTIONS" --duration "$DURATION")

echo "== attestd $(basename "$ATTESTD") on 127.0.0.1:$attestd_port, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(attestd_ticks)
echo "== 1. closed loop, $CONNECTIONS connections, $DURATION s"
"$LOADGEN" "${common[@]}" --json-file "$work/closed.json" "$@"
rate=$(jq '.attestations_per_s' "$work/closed.json")
target=$(awk -v r="$rate" -v f="$OPEN_FRACTION" 'BEGIN{printf "%.0f", r * f}')
echo
echo "== 2. open loop at $OPEN_FRACTION × $(printf '%.0f' "$rate")/s = $target/s, $DURATION s"
"$LOADGEN" "${common[@]}" --rate "$target" --json-file "$work/open.json" "$@" || true
after=$(attestd_ticks)

attestations=$(jq -s '.[0].attestations + .[1].attestations' "$work/closed.json" "$work/open.json")
whole_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_s" -v n="$attestations" 'BEGIN{printf "%.0f", t / hz * 1e6 / n}')

echo
echo "== summary"
jq -r -s --arg whole "$whole_us" '
  def f(x): (x * 10 | round) / 10;
  .[0] as $c | .[1] as $o |
  "| figure | value |",
  "|---|---|",
  "| full attestations/s, closed loop (\($c.connections) connections, \($c.hosts) hosts, \($c.ak) AK) | \(f($c.attestations_per_s)) |",
  "| exchange p50 / p99 at that rate | \(f($c.exchange.p50_ms)) / \(f($c.exchange.p99_ms)) ms |",
  "| open loop: target / achieved attestations/s | \($o.target_rate) / \(f($o.attestations_per_s)) |",
  "| exchange p50 / p99 at the open-loop rate (from schedule) | \(f($o.exchange.p50_ms)) / \(f($o.exchange.p99_ms)) ms |",
  "| POST /v1/attestations p50 / p99 at the open-loop rate | \(f($o.attestation_request.p50_ms)) / \(f($o.attestation_request.p99_ms)) ms |",
  (if $o.key_release_request then
     "| GET /v1/keys/loadgen-key/release p50 / p99 at the open-loop rate | \(f($o.key_release_request.p50_ms)) / \(f($o.key_release_request.p99_ms)) ms |"
   else empty end),
  "| server CPU per attestation (closed / open loop) | \($c.server_cpu_us_per_attestation | round) / \($o.server_cpu_us_per_attestation | round) µs |",
  "| server CPU per attestation, whole run incl. enrollment | \($whole) µs |",
  "| client CPU per attestation (closed loop) | \($c.client_cpu_us_per_attestation | round) µs |",
  "| implied server capacity (\($c.cores) cores ÷ server CPU) | \($c.implied_server_capacity_per_s | round)/s |",
  "| errors (closed / open) | \($c.errors) / \($o.errors) |"
' "$work/closed.json" "$work/open.json"
