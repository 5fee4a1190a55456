#!/usr/bin/env bash
# Issue 4: the load generator's software quotes and a swtpm quote go through the same verifier
# path, and a software host attests through a live attestd with `affirming`.
#
# 1. swtpm measures the real sb-shim-grub log (sha256 bank), tpm2-tools makes an EK, an RSA and an
#    ECC AK and quotes sha256:0-9 with one nonce; loadgen_equivalence_check verifies those quotes
#    and the generator's software quotes with load_public_key + verify_quote (the service's calls)
#    and compares structure, pcrDigest and public-area templates.
# 2. attestd starts on loopback (port 0); attestd_loadgen enrolls two software hosts by credential
#    activation and runs 20 attestations (RSA AKs) and 10 (ECC AKs): all must be affirming.
#
# usage: equivalence_test.sh CHECK LOADGEN ATTESTD ATTESTCTL TESTDATA
set -euo pipefail

CHECK=$1 LOADGEN=$2 ATTESTD=$3 ATTESTCTL=$4 TESTDATA=$5
LOG="$TESTDATA/vmboot/sb-shim-grub/eventlog.bin"

work=$(mktemp -d)
swtpm_pid="" attestd_pid=""
cleanup() {
  [[ -n "$swtpm_pid" ]] && kill "$swtpm_pid" 2>/dev/null || true
  [[ -n "$attestd_pid" ]] && kill "$attestd_pid" 2>/dev/null && wait "$attestd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

source "$(dirname "$0")/../../tests/e2e/lib/swtpm.sh"
start_swtpm "$work" sha256

# Measure the log's sha256 digests into the live TPM (EV_NO_ACTION is never extended).
"$ATTESTCTL" eventlog show "$LOG" --json |
  jq -r '.events[] | select(.type != 3) | "\(.pcr):sha256=\(.digests.sha256)"' >extends.txt
while read -r spec; do tpm2_pcrextend "$spec"; done <extends.txt

tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null; flush
tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name >/dev/null; flush
tpm2_createak -C ek.ctx -c akecc.ctx -G ecc -g sha256 -s ecdsa -u akecc.pub -n akecc.name >/dev/null; flush
nonce=$(openssl rand -hex 32)
tpm2_quote -c ak.ctx -l sha256:0,1,2,3,4,5,6,7,8,9 -q "$nonce" -m rsa.msg -s rsa.sig -o rsa.pcrs -g sha256 >/dev/null
flush
tpm2_quote -c akecc.ctx -l sha256:0,1,2,3,4,5,6,7,8,9 -q "$nonce" -m ecc.msg -s ecc.sig -g sha256 >/dev/null
flush

status=0
"$CHECK" "$LOG" "$nonce" ek.pub rsa.pcrs ak.pub rsa.msg rsa.sig akecc.pub ecc.msg ecc.sig || status=1

# A live attestd on its embedded defaults, port 0.
"$ATTESTD" --data-dir "$work/data" --listen 127.0.0.1:0 >attestd.out 2>attestd.err &
attestd_pid=$!
for _ in $(seq 100); do grep -q "listening on https://" attestd.out 2>/dev/null && break; sleep 0.1; done
if ! grep -q "listening on https://" attestd.out; then
  echo "FAIL: attestd did not start: $(cat attestd.err)"
  exit 1
fi
port=$(cat "$work/data/attestd.port")
"$ATTESTCTL" --data-dir "$work/data" token create --tenant demo --role attester >attester.token

# run_loadgen NAME ARGS...: all attestations affirming, no error.
run_loadgen() {
  local name=$1
  shift
  local out rc=0
  out=$("$LOADGEN" --url "https://127.0.0.1:$port" --cacert "$work/data/tls/server.crt" \
    --admin-token "$work/data/demo-admin.token" --attester-token attester.token --event-log "$LOG" \
    --server-pid "$attestd_pid" --json "$@") || rc=$?
  if [[ $rc -eq 0 ]] && jq -e --argjson n "$want" '.affirming == $n and .errors == 0' <<<"$out" >/dev/null; then
    echo "PASS: $name: $want software attestations through attestd, all affirming"
  else
    echo "FAIL: $name: exit $rc: $out"
    status=1
  fi
}
want=20 run_loadgen "rsa AKs" --connections 2 --hosts 2 --count 20
want=10 run_loadgen "ecc AKs" --connections 2 --hosts 1 --count 10 --ak ecc

[[ $status -eq 0 ]] && echo "all passed"
exit $status
