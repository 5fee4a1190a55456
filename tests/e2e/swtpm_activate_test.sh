#!/usr/bin/env bash
# End to end credential activation on a real TPM stack: a fresh swtpm on loopback, EKs from the
# standard templates (tpm2_createek: RSA 2048, ECC P-256, ECC P-384), an AK under each
# (tpm2_createak), attestd's software TPM2_MakeCredential (make_credential_tool) and
# tpm2_activatecredential, which must recover exactly the secret. A credential made for another
# Name, for another EK, or activated with another AK must fail. tpm2_makecredential's own output
# (software mode, -T none) must have the same layout as ours and activate too.
#
# usage: swtpm_activate_test.sh MAKE_CREDENTIAL_TOOL
set -euo pipefail

TOOL=$1

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

# activate KIND CRED AK_CTX OUT: TPM2_ActivateCredential with the EK of KIND. The low-range EK
# templates (RSA 2048, ECC P-256) clear userWithAuth and need PolicySecret(TPM_RH_ENDORSEMENT) in a
# policy session; the high-range ones (here ECC P-384, nameAlg SHA-384) set userWithAuth with an
# empty authValue (TCG EK Credential Profile 2.x, Annex B), so a password session does.
activate() {
  local kind=$1 cred=$2 akctx=$3 out=$4 rc=0
  rm -f "$out"
  local attrs  # captured first: grep -q under pipefail would make tpm2_print's SIGPIPE a failure
  attrs=$(tpm2_print -t TPM2B_PUBLIC "ek_$kind.pub")
  if grep -q '^  value: .*userwithauth' <<<"$attrs"; then
    tpm2_activatecredential -c "$akctx" -C "ek_$kind.ctx" -i "$cred" -o "$out" >/dev/null 2>"activate_$kind.err" || rc=$?
  else
    tpm2_startauthsession --policy-session -S session.ctx >/dev/null
    tpm2_policysecret -S session.ctx -c e >/dev/null
    tpm2_activatecredential -c "$akctx" -C "ek_$kind.ctx" -i "$cred" -o "$out" -P "session:session.ctx" \
      >/dev/null 2>"activate_$kind.err" || rc=$?
    tpm2_flushcontext session.ctx >/dev/null
  fi
  flush
  return $rc
}

# The TPM's answer to the last failed activation with the EK of KIND (the Esys return code).
# TPM_RC_INTEGRITY (0x09F) on parameter 1, credentialBlob (Part 2, 6.6): the outer HMAC, which
# covers the AK Name, does not verify (Part 3, 12.5.1).
RC_INTEGRITY_BLOB=0x000001df
tpm_rc() { grep -o 'ErrorCode (0x[0-9a-fA-F]*)' "activate_$1.err" | head -1 || true; }

kinds="rsa ecc ecc384"
for kind in $kinds; do
  alg=$kind; [[ $kind == ecc ]] && alg=ecc256
  tpm2_createek -c "ek_$kind.ctx" -G "$alg" -u "ek_$kind.pub" >/dev/null; flush
  # A signing AK of the same family as its EK, as tpm2_createak defaults would make it.
  akalg=rsa; scheme=rsassa
  [[ $kind != rsa ]] && { akalg=ecc; scheme=ecdsa; }
  tpm2_createak -C "ek_$kind.ctx" -c "ak_$kind.ctx" -G "$akalg" -g sha256 -s "$scheme" -u "ak_$kind.pub" \
    -n "ak_$kind.name" >/dev/null; flush
done

for kind in $kinds; do
  head -c 32 /dev/urandom >"secret_$kind.bin"

  # Our credential, activated by the TPM.
  if ! "$TOOL" "ek_$kind.pub" "ak_$kind.name" "secret_$kind.bin" "cred_$kind.out"; then
    fail "$kind: make_credential_tool refused the EK/AK"; continue
  fi
  if activate "$kind" "cred_$kind.out" "ak_$kind.ctx" "recovered_$kind.bin" &&
     cmp -s "secret_$kind.bin" "recovered_$kind.bin"; then
    pass "$kind EK: tpm2_activatecredential recovers the secret of attestd's credential"
  else
    fail "$kind EK: activation of attestd's credential failed: $(cat "activate_$kind.err")"
  fi

  # Same layout as tpm2_makecredential (software mode): header, TPM2B_ID_OBJECT size,
  # TPM2B_ENCRYPTED_SECRET size, total length; and its credential activates as well.
  tpm2_makecredential -T none -e "ek_$kind.pub" -s "secret_$kind.bin" -n "$(xxd -p -c 256 "ak_$kind.name")" \
    -o "theirs_$kind.out" >/dev/null 2>&1
  layout() { xxd -p -l 10 "$1"; stat -c %s "$1"; }
  if [[ "$(layout "cred_$kind.out")" == "$(layout "theirs_$kind.out")" ]]; then
    pass "$kind EK: credential file layout equals tpm2_makecredential's"
  else
    fail "$kind EK: layout differs: ours $(layout "cred_$kind.out" | tr '\n' ' ') theirs $(layout "theirs_$kind.out" | tr '\n' ' ')"
  fi
  if activate "$kind" "theirs_$kind.out" "ak_$kind.ctx" "recovered_theirs_$kind.bin" &&
     cmp -s "secret_$kind.bin" "recovered_theirs_$kind.bin"; then
    pass "$kind EK: tpm2_makecredential's credential activates too (control)"
  else
    fail "$kind EK: tpm2_makecredential's credential does not activate: $(cat "activate_$kind.err")"
  fi

  # A credential bound to another Name (one bit of the AK Name's digest flipped) must not activate.
  cp "ak_$kind.name" "wrong_$kind.name"
  printf "\\x$(printf %02x $(( $(od -An -tu1 -j5 -N1 "ak_$kind.name") ^ 1 )))" |
    dd of="wrong_$kind.name" bs=1 seek=5 conv=notrunc status=none
  "$TOOL" "ek_$kind.pub" "wrong_$kind.name" "secret_$kind.bin" "cred_wrong_$kind.out"
  if activate "$kind" "cred_wrong_$kind.out" "ak_$kind.ctx" "recovered_wrong_$kind.bin"; then
    fail "$kind EK: a credential for another Name activated"
  elif [[ $(tpm_rc "$kind") != *"$RC_INTEGRITY_BLOB"* ]]; then
    fail "$kind EK: a credential for another Name failed, but not on its integrity: $(cat "activate_$kind.err")"
  else
    pass "$kind EK: a credential for another Name does not activate ($(tpm_rc "$kind"))"
  fi
done

# A credential for the RSA AK activated with the ECC AK (a real, loaded AK of another Name).
if activate rsa cred_rsa.out ak_ecc.ctx recovered_cross.bin; then
  fail "a credential for the RSA AK activated with another AK"
elif [[ $(tpm_rc rsa) != *"$RC_INTEGRITY_BLOB"* ]]; then
  fail "a credential for the RSA AK failed with another AK, but not on its integrity: $(cat activate_rsa.err)"
else
  pass "a credential for the RSA AK does not activate with another AK ($(tpm_rc rsa))"
fi

# A credential made to another EK (the P-256 EK) but activated with the RSA EK.
"$TOOL" ek_ecc.pub ak_rsa.name secret_rsa.bin cred_other_ek.out
if activate rsa cred_other_ek.out ak_rsa.ctx recovered_other_ek.bin; then
  fail "a credential made to another EK activated"
else
  pass "a credential made to another EK does not activate ($(tpm_rc rsa))"
fi

echo "$failures failed"
[[ $failures -eq 0 ]]
