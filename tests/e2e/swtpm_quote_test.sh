#!/usr/bin/env bash
# End to end on a real TPM stack: a fresh swtpm on loopback measures a real boot log (the events of
# ../shared/testdata/vmboot/sb-shim-grub extended into its PCRs), tpm2-tools makes fresh RSA and ECC
# AKs and quotes with a random nonce, and both attestctl and tpm2_checkquote must accept the
# quotes; tampering must be rejected by both, with attestctl naming the exact reason.
#
# usage: swtpm_quote_test.sh ATTESTCTL TESTDATA_DIR
set -euo pipefail

ATTESTCTL=$1
TESTDATA=$2
LOG="$TESTDATA/vmboot/sb-shim-grub/eventlog.bin"

work=$(mktemp -d)
swtpm_pid=""
cleanup() {
  [[ -n "$swtpm_pid" ]] && kill "$swtpm_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

source "$(dirname "$0")/lib/swtpm.sh"
start_swtpm "$work" sha1,sha256,sha384,sha512

# Measure the real log into the live TPM: every event except EV_NO_ACTION, every bank.
"$ATTESTCTL" eventlog show "$LOG" --json >events.json
jq -r '.events[] | select(.type != 3) |
  "\(.pcr):" + ([.digests | to_entries[] | "\(.key)=\(.value)"] | join(","))' events.json >extends.txt
[[ $(wc -l <extends.txt) -eq 48 ]] || fail "expected 48 measured events, got $(wc -l <extends.txt)"
while read -r spec; do tpm2_pcrextend "$spec"; done <extends.txt

# The live PCRs must now be what tpm2_eventlog (independent) computes for the log.
tpm2_eventlog "$LOG" | sed -n '/^pcrs:/,$p' | awk '/^  sha256:/{f=1;next} /^  [a-z]/{f=0} f' |
  sed 's/ //g' | tr 'A-F' 'a-f' >expected_sha256.txt
tpm2_pcrread sha256:0,1,2,3,4,5,6,7,8,9,14 | awk '/^  sha256:/{f=1;next} f' | sed 's/ //g' | tr 'A-F' 'a-f' >live_sha256.txt
if diff -q expected_sha256.txt live_sha256.txt >/dev/null; then
  pass "live swtpm PCRs equal tpm2_eventlog's replay of the real log"
else
  fail "live PCRs differ from tpm2_eventlog's replay"; diff expected_sha256.txt live_sha256.txt || true
fi

tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null; flush
tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name >/dev/null; flush
tpm2_readpublic -c ak.ctx -f pem -o ak.pem >/dev/null; flush
tpm2_createak -C ek.ctx -c akecc.ctx -G ecc -g sha256 -s ecdsa -u akecc.pub -n akecc.name >/dev/null; flush

nonce=$(openssl rand -hex 32)
other_nonce=$(openssl rand -hex 32)
selection="sha1:0,1,2,3,4,5,6,7,8,9,14+sha256:0,1,2,3,4,5,6,7,8,9,14+sha384:0,7"

tpm2_quote -c ak.ctx -l "$selection" -q "$nonce" -m rsa.msg -s rsa.sig -o rsa.pcrs -g sha256 >/dev/null; flush
tpm2_quote -c akecc.ctx -l "$selection" -q "$nonce" -m ecc.msg -s ecc.sig -o ecc.pcrs -g sha256 >/dev/null; flush

# expect_ours NAME EXIT REASON ARGS...: attestctl exits EXIT and, when REASON is set, lists it.
expect_ours() {
  local name=$1 want_exit=$2 want_reason=$3
  shift 3
  local out rc=0
  out=$("$ATTESTCTL" quote verify "$@" --json) || rc=$?
  if [[ $rc -ne $want_exit ]]; then
    fail "$name: attestctl exit $rc, expected $want_exit: $out"
    return
  fi
  if [[ -n "$want_reason" ]] && ! jq -e --arg r "$want_reason" '[.reasons[].id] | index($r) != null' <<<"$out" >/dev/null; then
    fail "$name: attestctl did not report $want_reason: $out"
    return
  fi
  if [[ $want_exit -eq 0 ]] && ! jq -e '.valid == true and (.reasons | length == 0)' <<<"$out" >/dev/null; then
    fail "$name: attestctl exit 0 but not valid: $out"
    return
  fi
  pass "$name: attestctl exit $rc ${want_reason}"
}

# expect_theirs NAME OK|FAIL ARGS...: tpm2_checkquote's verdict.
expect_theirs() {
  local name=$1 want=$2
  shift 2
  if tpm2_checkquote "$@" >/dev/null 2>&1; then got=OK; else got=FAIL; fi
  if [[ $got == "$want" ]]; then pass "$name: tpm2_checkquote $got"; else fail "$name: tpm2_checkquote $got, expected $want"; fi
}

for kind in rsa ecc; do
  ak=ak.pub; [[ $kind == ecc ]] && ak=akecc.pub
  expect_ours "$kind quote with log" 0 "" --ak "$ak" --quote "$kind.msg" --sig "$kind.sig" --nonce "$nonce" \
    --pcrs "$kind.pcrs" --eventlog "$LOG"
  expect_theirs "$kind quote" OK -u "$ak" -m "$kind.msg" -s "$kind.sig" -f "$kind.pcrs" -q "$nonce"

  expect_ours "$kind other nonce" 1 tpm.quote.nonce_mismatch --ak "$ak" --quote "$kind.msg" --sig "$kind.sig" \
    --nonce "$other_nonce" --pcrs "$kind.pcrs"
  expect_theirs "$kind other nonce" FAIL -u "$ak" -m "$kind.msg" -s "$kind.sig" -f "$kind.pcrs" -q "$other_nonce"

  # A flipped byte in the middle of the signed message (inside clockInfo): signature fails.
  cp "$kind.msg" "$kind.tampered.msg"
  printf '\x5a' | dd of="$kind.tampered.msg" bs=1 seek=80 conv=notrunc status=none
  expect_ours "$kind tampered quote" 1 tpm.quote.signature_invalid --ak "$ak" --quote "$kind.tampered.msg" \
    --sig "$kind.sig" --nonce "$nonce" --pcrs "$kind.pcrs"
  expect_theirs "$kind tampered quote" FAIL -u "$ak" -m "$kind.tampered.msg" -s "$kind.sig" -f "$kind.pcrs" -q "$nonce"
done

# The PEM form of the AK verifies the same quote.
expect_ours "rsa quote, PEM AK" 0 "" --ak ak.pem --quote rsa.msg --sig rsa.sig --nonce "$nonce" --pcrs rsa.pcrs

# Another AK's signature.
expect_ours "rsa quote under the ECC AK" 1 tpm.quote.signature_invalid --ak akecc.pub --quote rsa.msg --sig rsa.sig \
  --nonce "$nonce" --pcrs rsa.pcrs

# After one more extend of PCR 4 the quote is still genuine, but the log no longer explains it.
tpm2_pcrextend "4:sha1=$(printf 'x' | sha1sum | cut -c1-40),sha256=$(printf 'x' | sha256sum | cut -c1-64)"
tpm2_quote -c ak.ctx -l "$selection" -q "$nonce" -m late.msg -s late.sig -o late.pcrs -g sha256 >/dev/null; flush
expect_theirs "quote after an unlogged extend" OK -u ak.pub -m late.msg -s late.sig -f late.pcrs -q "$nonce"
expect_ours "quote after an unlogged extend" 1 eventlog.replay.pcr_mismatch --ak ak.pub --quote late.msg \
  --sig late.sig --nonce "$nonce" --pcrs late.pcrs --eventlog "$LOG"

echo "$failures failed"
[[ $failures -eq 0 ]]
