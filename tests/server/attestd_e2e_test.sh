#!/usr/bin/env bash
# End-to-end: the real attestd binary on loopback, checked with independent TLS clients
# (curl, openssl s_client): embedded defaults, TLS versions and suites, problem+json, metrics,
# certificate reload on SIGHUP and a clean exit on SIGTERM.
# Usage: attestd_e2e_test.sh PATH/TO/attestd
set -euo pipefail

ATTESTD=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/attestd-e2e-XXXXXX")
PID=
cleanup() {
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [[ -f $WORK/stderr ]] && sed 's/^/  attestd: /' "$WORK/stderr" >&2; exit 1; }
pass() { echo "ok: $*"; }

DATA=$WORK/data
"$ATTESTD" --data-dir "$DATA" --listen 127.0.0.1:0 >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!
for _ in $(seq 100); do
  [[ -s $WORK/stdout ]] && break
  kill -0 "$PID" 2>/dev/null || fail "attestd exited early"
  sleep 0.1
done
PORT=$(tr -d '\n' <"$DATA/attestd.port")
grep -q "^listening on https://127.0.0.1:$PORT " "$WORK/stdout" || fail "banner: $(cat "$WORK/stdout")"
pass "started on port $PORT (port file and banner agree)"

CERT=$DATA/tls/server.crt
KEY=$DATA/tls/server.key
[[ $(stat -c %a "$KEY") == 600 ]] || fail "key mode $(stat -c %a "$KEY")"
[[ $(stat -c %a "$DATA") == 700 ]] || fail "data dir mode $(stat -c %a "$DATA")"
pass "self-signed certificate generated, key 0600, data dir 0700"

body=$(curl -sS --fail --cacert "$CERT" "https://localhost:$PORT/healthz")
[[ $body == '{"status":"ok"}' ]] || fail "healthz body: $body"
curl -sS --fail --cacert "$CERT" "https://127.0.0.1:$PORT/readyz" >/dev/null || fail "IP SAN"
pass "curl verifies the certificate for localhost and 127.0.0.1"

curl -sS --fail --cacert "$CERT" --tlsv1.2 --tls-max 1.2 "https://localhost:$PORT/healthz" >/dev/null || fail "TLS 1.2"
curl -sS --fail --cacert "$CERT" --tlsv1.3 "https://localhost:$PORT/healthz" >/dev/null || fail "TLS 1.3"
pass "TLS 1.2 and 1.3 accepted"

s_client() { timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" </dev/null >"$WORK/s_client" 2>&1; }
for v in -tls1 -tls1_1; do
  if s_client "$v" -cipher 'DEFAULT:@SECLEVEL=0'; then fail "openssl s_client $v was accepted"; fi
  grep -qiE 'alert protocol version|unsupported protocol|no protocols available' "$WORK/s_client" ||
    fail "$v refused for an unexpected reason: $(tail -3 "$WORK/s_client")"
done
pass "openssl s_client -tls1 and -tls1_1 refused (protocol version)"
for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 AES128-GCM-SHA256; do
  if s_client -tls1_2 -cipher "$c:@SECLEVEL=0"; then fail "TLS 1.2 suite $c was accepted"; fi
done
s_client -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 || fail "ChaCha20 refused"
s_client -tls1_2 || fail "default TLS 1.2 handshake"
grep -q 'Cipher is ECDHE-ECDSA-AES128-GCM-SHA256' "$WORK/s_client" || fail "server preference: $(grep Cipher "$WORK/s_client")"
pass "TLS 1.2 CBC and non-ECDHE suites refused; server prefers ECDHE-ECDSA-AES128-GCM-SHA256"

code=$(curl -sS -o "$WORK/body" -w '%{http_code} %{content_type}' --cacert "$CERT" "https://localhost:$PORT/nope")
[[ $code == "404 application/problem+json" ]] || fail "404: $code"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["status"]==404 and p["reasons"][0]["id"]=="http.route.not_found" and len(p["request_id"])==32, p' "$WORK/body" || fail "problem body"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --cacert "$CERT" "https://localhost:$PORT/healthz")
[[ $code == 405 ]] || fail "405: $code"
pass "404 and 405 as problem+json"

# A 2 MiB upload: curl sends Expect: 100-continue, the server answers 413 from the header.
head -c $((2 * 1024 * 1024)) /dev/zero >"$WORK/big"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERT" -H 'Content-Type: application/json' --data-binary @"$WORK/big" "https://localhost:$PORT/healthz" || true)
[[ $code == 413 ]] || fail "413: $code"
pass "oversized body refused with 413"

metrics=$(curl -sS --fail --cacert "$CERT" "https://localhost:$PORT/metrics")
grep -q '^attestd_http_requests_total{route="/healthz",method="GET",status="200"} [0-9]' <<<"$metrics" || fail "metrics: $metrics"
grep -q '^attestd_tls_handshake_failures_total [1-9]' <<<"$metrics" || fail "handshake failures not counted"
pass "/metrics counts requests and refused handshakes"

# SIGHUP: new certificate for new handshakes, an open connection keeps working.
OLD=$WORK/old.crt
cp "$CERT" "$OLD"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=attestd-reloaded \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -keyout "$WORK/new.key" -out "$WORK/new.crt" 2>/dev/null
# Keep a connection open across the reload: s_client sends one request after the HUP.
( sleep 1.5; printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'; sleep 1 ) |
  timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" -servername localhost >"$WORK/held" 2>/dev/null &
HELD=$!
sleep 0.5
cp "$WORK/new.key" "$KEY"
cp "$WORK/new.crt" "$CERT"
kill -HUP "$PID"
sleep 0.3
curl -sS --fail --cacert "$WORK/new.crt" "https://localhost:$PORT/healthz" >/dev/null || fail "new cert after SIGHUP"
if curl -sS --fail --cacert "$OLD" "https://localhost:$PORT/healthz" >/dev/null 2>&1; then fail "old cert still served"; fi
wait "$HELD" || true
grep -q '^HTTP/1.1 200' "$WORK/held" || fail "connection opened before the reload: $(cat "$WORK/held")"
grep -q 'TLS certificate reloaded' "$WORK/stderr" || fail "reload not logged"
pass "SIGHUP reloads the certificate; a connection from before keeps working"

kill -TERM "$PID"
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "still running 5 s after SIGTERM"
rc=0
wait "$PID" || rc=$?
PID=
[[ $rc == 0 ]] || fail "exit status $rc after SIGTERM"
grep -q 'attestd: stopped' "$WORK/stderr" || fail "no stop message"
pass "SIGTERM: clean exit 0"

# Restart on the same data dir: the certificate is reused, not regenerated.
before=$(sha256sum <"$CERT")
echo '{"limits": {"max_body_bytes": 10}, "nope": 1}' >"$WORK/bad.json"
if "$ATTESTD" --data-dir "$DATA" --listen 127.0.0.1:0 --config "$WORK/bad.json" >/dev/null 2>"$WORK/bad.err"; then
  fail "unknown config key accepted"
fi
grep -q "unknown key 'nope'" "$WORK/bad.err" || fail "config error: $(cat "$WORK/bad.err")"
[[ $(sha256sum <"$CERT") == "$before" ]] || fail "certificate changed"
pass "unknown config keys are refused"
echo "all e2e checks passed"
