#!/usr/bin/python3
"""The audit API of a real attestd on loopback TLS (issue 7): an auditor sees only its tenant's
records, filters and the opaque cursor, refused requests land in the system chain without the
token, checkpoints are signed and served, and the JSON-lines export verifies with both
`attestctl audit verify` and the independent verify_audit.py (and a tampered export with neither).

usage: audit_service_test.py ATTESTD ATTESTCTL VERIFY_AUDIT_PY
"""
import http.client
import json
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

ATTESTD, ATTESTCTL, VERIFY_PY = sys.argv[1:4]
del sys.argv[1:4]


def ak_pem(work: Path) -> str:
    key = work / "ak.key"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)],
                   check=True, capture_output=True)
    return subprocess.run(["openssl", "ec", "-in", str(key), "-pubout"], check=True, capture_output=True,
                          text=True).stdout


class AuditService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls.tmp.name)
        cls.dir = cls.work / "data"
        config = cls.work / "config.json"
        config.write_text(json.dumps({"audit": {"checkpoint_every": 5, "checkpoint_interval_s": 1}}))
        cls.proc = subprocess.Popen([ATTESTD, "--data-dir", str(cls.dir), "--listen", "127.0.0.1:0",
                                     "--config", str(config)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = cls.proc.stdout.readline()
        assert "listening on https://" in banner, banner + cls.proc.stderr.read()
        cls.port = int((cls.dir / "attestd.port").read_text())
        cls.cacert = cls.dir / "tls" / "server.crt"
        cls.ctx = ssl.create_default_context(cafile=str(cls.cacert))
        cls.admin = (cls.dir / "demo-admin.token").read_text().strip()
        cls.auditor = cls.token("demo", "auditor")
        cls.attester = cls.token("demo", "attester")
        subprocess.run([ATTESTCTL, "--data-dir", str(cls.dir), "tenant", "create", "other"], check=True,
                       capture_output=True)
        cls.other_admin = cls.token("other", "admin")
        cls.other_auditor = cls.token("other", "auditor")
        pem = ak_pem(cls.work)
        for i in range(4):
            status, doc = cls.call("POST", "/v1/hosts", cls.admin, {"host_id": f"demo-{i}", "ak_public": pem})
            assert status == 201, (status, doc)
        status, doc = cls.call("POST", "/v1/hosts", cls.other_admin, {"host_id": "other-0", "ak_public": pem})
        assert status == 201, (status, doc)

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=30)
        cls.tmp.cleanup()

    @classmethod
    def token(cls, tenant, role):
        out = subprocess.run([ATTESTCTL, "--data-dir", str(cls.dir), "token", "create", "--tenant", tenant,
                              "--role", role], check=True, capture_output=True, text=True).stdout
        return out.strip().splitlines()[0]

    @classmethod
    def call(cls, method, path, token, body=None, raw=False):
        c = http.client.HTTPSConnection("127.0.0.1", cls.port, context=cls.ctx, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        if raw:
            return r.status, data.decode()
        return r.status, (json.loads(data) if data else None)

    def audit(self, token, **params):
        status, doc = self.call("GET", "/v1/audit?" + urllib.parse.urlencode(params), token)
        self.assertEqual(status, 200, doc)
        return doc

    def test_auditor_sees_only_its_tenants_records(self):
        mine = self.audit(self.auditor, limit=1000)["records"]
        objects = {r["object"] for r in mine}
        self.assertTrue({"host:demo-0", "host:demo-3"} <= objects, objects)
        self.assertNotIn("host:other-0", objects)
        theirs = self.audit(self.other_auditor, limit=1000)["records"]
        self.assertIn("host:other-0", {r["object"] for r in theirs})
        self.assertFalse({r["object"] for r in theirs} & {f"host:demo-{i}" for i in range(4)})
        self.assertEqual(self.audit(self.other_auditor, host="demo-1")["records"], [])
        # The same ids never appear on both sides.
        self.assertFalse({r["id"] for r in mine} & {r["id"] for r in theirs})
        # Nor in the other tenant's export and checkpoints: its own chain only.
        status, body = self.call("GET", "/v1/audit/export", self.other_auditor, raw=True)
        self.assertEqual(status, 200)
        exported = [json.loads(l) for l in body.splitlines()]
        tenants = {l["tenant"] for l in exported if l["type"] == "record"}
        self.assertEqual(len(tenants), 1)
        self.assertNotIn("demo-", body)
        status, doc = self.call("GET", "/v1/audit/checkpoints", self.other_auditor)
        self.assertEqual(status, 200)
        self.assertEqual(doc["tenant"], tenants.pop())

    def test_host_filter_and_cursor_pages_newest_first(self):
        one = self.audit(self.auditor, host="demo-2")["records"]
        self.assertEqual([r["object"] for r in one], ["host:demo-2"])
        self.assertEqual(one[0]["action"], "host.create")
        seen, cursor = [], None
        while True:
            params = {"limit": 2, "action": "host.create"}
            if cursor:
                params["cursor"] = cursor
            page = self.audit(self.auditor, **params)
            seen += [r["object"] for r in page["records"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        # Every host.create exactly once, newest first, as one big page has them.
        whole = [r["object"] for r in self.audit(self.auditor, limit=1000, action="host.create")["records"]]
        self.assertEqual(seen, whole)
        self.assertEqual([o for o in seen if o.startswith("host:demo-")][-4:],
                         [f"host:demo-{i}" for i in (3, 2, 1, 0)])

    def test_bad_queries_and_roles_are_refused(self):
        status, doc = self.call("GET", "/v1/audit?cursor=bm90LWEtY3Vyc29y", self.auditor)
        self.assertEqual(status, 400)
        self.assertIn("audit.cursor_invalid", json.dumps(doc))
        status, doc = self.call("GET", "/v1/audit?since=yesterday", self.auditor)
        self.assertEqual(status, 400)
        self.assertIn("audit.query_invalid", json.dumps(doc))
        status, _ = self.call("GET", "/v1/audit", self.attester)
        self.assertEqual(status, 403)

    def test_refused_requests_are_in_the_system_chain_without_the_token(self):
        secret = "not-a-real-token-0123456789"
        status, _ = self.call("GET", "/v1/audit", secret)
        self.assertEqual(status, 401)
        db = sqlite3.connect(f"file:{self.dir / 'attestd.db'}?mode=ro", uri=True)
        rows = db.execute("SELECT actor, details, client_address FROM audit WHERE tenant_id = '' AND "
                          "action = 'auth.failure' ORDER BY chain_seq").fetchall()
        db.close()
        self.assertTrue(any(a == "anonymous" and '"auth.token.invalid"' in d and c == "127.0.0.1"
                            for a, d, c in rows), rows)
        self.assertFalse(any(secret in d for _, d, _ in rows))

    def wait_for_checkpoint(self, token):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, doc = self.call("GET", "/v1/audit/checkpoints", token)
            self.assertEqual(status, 200, doc)
            if doc["checkpoints"]:
                return doc["checkpoints"][0]
            time.sleep(0.2)
        self.fail("no checkpoint within 15 s")

    def test_export_verifies_with_both_verifiers_and_tampering_fails_both(self):
        cp = self.wait_for_checkpoint(self.auditor)
        status, body = self.call("GET", "/v1/audit/export", self.auditor, raw=True)
        self.assertEqual(status, 200)
        lines = [json.loads(l) for l in body.splitlines()]
        self.assertEqual(lines[-1]["type"], "checkpoint")
        self.assertGreaterEqual(lines[-1]["size"], cp["size"])
        records = [l for l in lines if l["type"] == "record"]
        self.assertEqual([r["seq"] for r in records], list(range(1, len(records) + 1)))
        export = self.work / "export.jsonl"
        export.write_text(body)
        status, jwks = self.call("GET", "/.well-known/jwks.json", None, raw=True)
        jwks_file = self.work / "jwks.json"
        jwks_file.write_text(jwks)

        cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--export", str(export), "--jwks", str(jwks_file)],
                             capture_output=True, text=True)
        self.assertEqual(cpp.returncode, 0, cpp.stdout + cpp.stderr)
        self.assertIn("1 checkpoint(s) match", cpp.stdout)
        py = subprocess.run(["/usr/bin/python3", VERIFY_PY, "--export", str(export), "--jwks", str(jwks_file)],
                            capture_output=True, text=True)
        self.assertEqual(py.returncode, 0, py.stdout + py.stderr)
        # Straight from the server, as an auditor would.
        token_file = self.work / "auditor.token"
        token_file.write_text(self.auditor + "\n")
        live = subprocess.run([ATTESTCTL, "audit", "verify", "--server", f"https://127.0.0.1:{self.port}",
                               "--token-file", str(token_file), "--cacert", str(self.cacert), "--jwks",
                               str(jwks_file)], capture_output=True, text=True)
        self.assertEqual(live.returncode, 0, live.stdout + live.stderr)

        # An edited export: details rewritten consistently (what a SIEM shows), hash left alone.
        victim = records[2]
        tampered = []
        for l in lines:
            if l.get("type") == "record" and l["seq"] == victim["seq"]:
                l = dict(l, actor="someone-else")
            tampered.append(json.dumps(l))
        bad = self.work / "tampered.jsonl"
        bad.write_text("\n".join(tampered) + "\n")
        want = f"FAIL audit.chain.hash_mismatch chain {victim['tenant']}: record {victim['seq']}"
        cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--export", str(bad), "--jwks", str(jwks_file)],
                             capture_output=True, text=True)
        self.assertEqual(cpp.returncode, 1, cpp.stdout)
        self.assertIn(want, cpp.stdout)
        py = subprocess.run(["/usr/bin/python3", VERIFY_PY, "--export", str(bad), "--jwks", str(jwks_file)],
                            capture_output=True, text=True)
        self.assertEqual(py.returncode, 1, py.stdout)
        self.assertIn(want, py.stdout)

        # The log grows; the old checkpoint still proves it only grew.
        old = self.work / "old-checkpoint.json"
        old.write_text(json.dumps(lines[-1]))
        self.call("POST", "/v1/hosts", self.admin, {"host_id": "demo-late", "ak_public": ak_pem(self.work)})
        grown = subprocess.run([ATTESTCTL, "audit", "verify", "--data-dir", str(self.dir), "--from-checkpoint",
                                str(old), "--jwks", str(jwks_file)], capture_output=True, text=True)
        self.assertEqual(grown.returncode, 0, grown.stdout + grown.stderr)


class AuditCli(AuditService):
    """attestctl audit query / tail against the same kind of server."""

    def server_args(self):
        token_file = self.work / "cli-auditor.token"
        token_file.write_text(self.auditor + "\n")
        return ["--server", f"https://127.0.0.1:{self.port}", "--token-file", str(token_file), "--cacert",
                str(self.cacert)]

    def test_query_prints_a_table_and_json(self):
        out = subprocess.run([ATTESTCTL, "audit", "query", "--host", "demo-1", *self.server_args()],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TIME"), lines)
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("host.create", lines[1])
        self.assertIn("host:demo-1", lines[1])
        out = subprocess.run([ATTESTCTL, "audit", "query", "--action", "host.create", "--json", *self.server_args()],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        objects = [json.loads(l)["object"] for l in out.stdout.splitlines()]
        self.assertIn("host:demo-0", objects)
        self.assertNotIn("host:other-0", objects)
        out = subprocess.run([ATTESTCTL, "audit", "query", "--since", "yesterday", *self.server_args()],
                             capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("audit.query_invalid", out.stderr)

    def test_tail_follow_prints_new_records(self):
        proc = subprocess.Popen([ATTESTCTL, "audit", "tail", "-f", "--json", "--limit", "1", "--interval-ms", "200",
                                 *self.server_args()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = json.loads(proc.stdout.readline())
            self.assertIn("seq", first)
            status, _ = self.call("POST", "/v1/hosts", self.admin, {"host_id": "tail-1", "ak_public": ak_pem(self.work)})
            self.assertEqual(status, 201)
            deadline = time.monotonic() + 10
            seen = []
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(json.loads(line)["object"])
                if "host:tail-1" in seen:
                    break
            self.assertIn("host:tail-1", seen)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    # The inherited tests run once, in AuditService.
    test_auditor_sees_only_its_tenants_records = None
    test_host_filter_and_cursor_pages_newest_first = None
    test_bad_queries_and_roles_are_refused = None
    test_refused_requests_are_in_the_system_chain_without_the_token = None
    test_export_verifies_with_both_verifiers_and_tampering_fails_both = None


if __name__ == "__main__":
    unittest.main()
