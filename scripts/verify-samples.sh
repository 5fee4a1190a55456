#!/usr/bin/env bash
# Verifies the sample evidence in samples/ with attestctl: each quote against its AK, nonce and
# PCRs, with the measured-boot log replayed against the quoted PCRs.
set -euo pipefail
cd "$(dirname "$0")/.."
ATTESTCTL=${1:-build/cli/attestctl}
status=0
for dir in samples/*/; do
  name=$(basename "$dir")
  nonce=$(tr -d '\n' <"$dir/nonce.hex")
  for q in quote quote_ecc; do
    ak="$dir/ak.pub"
    [[ $q == quote_ecc ]] && ak="$dir/ak_ecc.pub"
    echo "== $name/$q"
    if ! "$ATTESTCTL" quote verify --ak "$ak" --quote "$dir/$q.msg" --sig "$dir/$q.sig" \
        --nonce "$nonce" --pcrs "$dir/$q.pcrs" --eventlog "$dir/eventlog.bin"; then
      status=1
    fi
  done
  echo "== $name/eventlog replay"
  "$ATTESTCTL" eventlog replay "$dir/eventlog.bin" --json | head -c 600; echo " ..."
done
exit $status
