#!/usr/bin/env bash
# Sets up, builds and starts attestd on its embedded defaults: a SQLite database, a self-signed TLS
# certificate, an ES256 result-signing key and a `demo` tenant whose admin token is written once
# to $ATTESTD_DATA_DIR/demo-admin.token. Runs in the foreground; Ctrl-C (SIGINT) or SIGTERM stops
# it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
DATA_DIR=${ATTESTD_DATA_DIR:-data}
LISTEN=${ATTESTD_LISTEN:-127.0.0.1:8443}
echo "start: attestd --data-dir $DATA_DIR --listen $LISTEN"
echo "start: try  curl --cacert $DATA_DIR/tls/server.crt https://${LISTEN}/healthz"
echo "start:      curl --cacert $DATA_DIR/tls/server.crt -H \"Authorization: Bearer \$(cat $DATA_DIR/demo-admin.token)\" \\"
echo "start:           https://${LISTEN}/v1/policies/default"
exec build/verifier/attestd --data-dir "$DATA_DIR" --listen "$LISTEN"
