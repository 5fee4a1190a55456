#!/usr/bin/env python3
"""Issue 8 end to end: attestctl tenant create|list|delete and token create|list|revoke, offline
(--data-dir, while the server runs) and against attestd over real TLS on loopback (operator token).
Revoked (by the API or by another process), expired and deleted-tenant tokens are refused on the
very next request; a restricted attester asking about another host gets the answer of a missing
host; authentication failures are rate-limited per address (429 + Retry-After); and no token's
plaintext is ever in the database file, its WAL or the server's log.

Only the standard library.
usage: attestctl_tenancy_test.py ATTESTD ATTESTCTL
"""
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ATTESTD = ATTESTCTL = ""


class Server:
    def __init__(self, work: Path, config: dict | None = None):
        self.dir = work / "data"
        self.log = work / "attestd.log"
        argv = [ATTESTD, "--data-dir", str(self.dir), "--listen", "127.0.0.1:0"]
        if config is not None:
            cfg = work / "config.json"
            cfg.write_text(json.dumps(config))
            argv += ["--config", str(cfg)]
        self.log_file = open(self.log, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "listening on https://" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"attestd did not start: {self.log.read_text()}")
            time.sleep(0.05)
        self.port = int((self.dir / "attestd.port").read_text())
        self.url = f"https://127.0.0.1:{self.port}"
        self.cacert = self.dir / "tls" / "server.crt"
        self.ctx = ssl.create_default_context(cafile=str(self.cacert))

    def call(self, method, path, token, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data else None), r.headers

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log_file.close()


def reason(doc):
    return doc["reasons"][0]["id"] if doc and doc.get("reasons") else None


class TenancyCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls.tmp.name)
        cls.issued = []  # every plaintext token seen, for the never-stored check
        cls.server = Server(cls.work)
        # Bootstrap: the first operator token is made offline, beside the running server.
        code, out, err = cls.cli_static("--data-dir", str(cls.server.dir), "token", "create", "--role", "operator")
        assert code == 0, err
        cls.op_token = out.strip()
        cls.issued.append(cls.op_token)
        cls.op_file = cls.work / "operator.token"
        cls.op_file.write_text(cls.op_token + "\n")
        os.chmod(cls.op_file, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @staticmethod
    def cli_static(*args):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTESTD_")}
        p = subprocess.run([ATTESTCTL, *args], capture_output=True, text=True, timeout=120, env=clean)
        return p.returncode, p.stdout, p.stderr

    def online(self, *args, token_file=None):
        return self.cli_static(*args, "--server", self.server.url, "--token-file", str(token_file or self.op_file),
                               "--cacert", str(self.server.cacert))

    def offline(self, *args):
        return self.cli_static("--data-dir", str(self.server.dir), *args)

    def new_token(self, *args, offline=False):
        run = self.offline if offline else self.online
        code, out, err = run("token", "create", *args, "--json")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.issued.append(doc["token"])
        return doc

    def ensure_tenant(self, name):
        code, out, err = self.online("tenant", "list", "--json")
        self.assertEqual(code, 0, err)
        if name not in [t["name"] for t in json.loads(out)["tenants"]]:
            code, out, err = self.online("tenant", "create", name)
            self.assertEqual(code, 0, err)

    def test_tenant_create_list_show_a_table_and_json(self):
        code, out, err = self.online("tenant", "create", "acme-tbl")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"^tenant acme-tbl created \(id [0-9a-f]{32}\)$")
        code, out, err = self.online("tenant", "create", "acme-tbl")
        self.assertEqual(code, 1)
        self.assertRegex(err, r"HTTP 409\W+api\.conflict")
        code, out, err = self.offline("tenant", "create", "offline-tbl")
        self.assertEqual(code, 0, err)
        code, out, err = self.online("tenant", "list")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "ID", "CREATED"])
        names = [line.split()[0] for line in lines[1:]]
        self.assertIn("acme-tbl", names)
        self.assertIn("offline-tbl", names)
        code, out, err = self.offline("tenant", "list", "--json")
        self.assertEqual(code, 0, err)
        self.assertIn("offline-tbl", [t["name"] for t in json.loads(out)["tenants"]])

    def test_token_create_prints_the_token_once_and_list_never_shows_it(self):
        self.ensure_tenant("acme-list")
        code, out, err = self.online("token", "create", "--tenant", "acme-list", "--role", "attester",
                                     "--host", "web-1", "--host", "web-2")
        self.assertEqual(code, 0, err)
        token = out.strip()
        self.issued.append(token)
        self.assertRegex(token, r"^[A-Za-z0-9_-]{43}$")
        self.assertIn("shown only this once", err)
        for run in (self.online, self.offline):
            code, out, err = run("token", "list", "--tenant", "acme-list")
            self.assertEqual(code, 0, err)
            self.assertNotIn(token, out)
            lines = out.splitlines()
            self.assertEqual(lines[0].split(), ["ID", "TENANT", "ROLE", "CREATED", "EXPIRES", "REVOKED", "HOSTS", "KEYS"])
            self.assertIn("web-1,web-2", lines[1])
            code, out, err = run("token", "list", "--tenant", "acme-list", "--json")
            self.assertEqual(code, 0, err)
            for t in json.loads(out)["tokens"]:
                self.assertEqual(set(t), {"id", "tenant", "role", "created_at", "expires_at", "revoked_at", "hosts", "keys"})

    def test_token_revoked_through_the_api_is_refused_on_the_next_request(self):
        self.ensure_tenant("acme-rev")
        doc = self.new_token("--tenant", "acme-rev", "--role", "admin")
        status, _, _ = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 200)
        code, out, err = self.online("token", "revoke", doc["id"])
        self.assertEqual(code, 0, err)
        self.assertIn(f"token {doc['id']} revoked at ", out)
        status, body, headers = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 401)
        self.assertEqual(reason(body), "auth.token.revoked")

    def test_token_revoked_offline_by_another_process_is_refused_on_the_next_request(self):
        self.ensure_tenant("acme-off")
        doc = self.new_token("--tenant", "acme-off", "--role", "admin", offline=True)
        status, _, _ = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 200)
        code, out, err = self.offline("token", "revoke", doc["id"], "--json")
        self.assertEqual(code, 0, err)
        self.assertIsNotNone(json.loads(out)["revoked_at"])
        status, body, _ = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 401)
        self.assertEqual(reason(body), "auth.token.revoked")

    def test_expired_token_is_refused_on_the_next_request(self):
        self.ensure_tenant("acme-exp")
        doc = self.new_token("--tenant", "acme-exp", "--role", "admin", "--expires-in", "2s")
        self.assertIsNotNone(doc["expires_at"])
        status, _, _ = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 200)
        time.sleep(2.2)
        status, body, headers = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 401)
        self.assertEqual(reason(body), "auth.token.expired")
        self.assertIn('error="invalid_token"', headers["WWW-Authenticate"])

    def test_deleting_a_tenant_needs_yes_and_stops_its_tokens_at_once(self):
        self.ensure_tenant("acme-del")
        doc = self.new_token("--tenant", "acme-del", "--role", "admin")
        status, _, _ = self.server.call("POST", "/v1/hosts", doc["token"], {"host_id": "h"})
        code, out, err = self.online("tenant", "delete", "acme-del")
        self.assertEqual(code, 2)
        self.assertIn("--yes", err)
        code, out, err = self.online("tenant", "delete", "acme-del", "--yes")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"^tenant acme-del deleted \(id [0-9a-f]{32}\)$")
        status, body, _ = self.server.call("GET", "/v1/hosts", doc["token"])
        self.assertEqual(status, 401)
        self.assertEqual(reason(body), "auth.token.invalid")
        code, out, err = self.online("tenant", "delete", "acme-del", "--yes")
        self.assertEqual(code, 1)
        self.assertRegex(err, r"HTTP 404\W+api\.not_found")

    def test_operator_commands_refuse_a_tenant_token(self):
        self.ensure_tenant("acme-role")
        doc = self.new_token("--tenant", "acme-role", "--role", "admin")
        admin_file = self.work / "admin-role.token"
        admin_file.write_text(doc["token"])
        code, out, err = self.online("tenant", "list", token_file=admin_file)
        self.assertEqual(code, 1)
        self.assertRegex(err, r"HTTP 403\W+auth\.role\.forbidden")

    def test_restricted_attester_asking_about_another_host_gets_the_missing_host_answer(self):
        self.ensure_tenant("acme-res")
        admin = self.new_token("--tenant", "acme-res", "--role", "admin")["token"]
        pem = subprocess.run(["openssl", "ec", "-pubout"], input=subprocess.run(
            ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout"], capture_output=True, check=True).stdout,
            capture_output=True, check=True).stdout.decode()
        for h in ("web-1", "web-2"):
            status, body, _ = self.server.call("POST", "/v1/hosts", admin, {"host_id": h, "ak_public": pem})
            self.assertEqual(status, 201, body)
        restricted = self.new_token("--tenant", "acme-res", "--role", "attester", "--host", "web-1")["token"]
        free = self.new_token("--tenant", "acme-res", "--role", "attester")["token"]
        status, _, _ = self.server.call("POST", "/v1/challenges", restricted, {"host_id": "web-1"})
        self.assertEqual(status, 201)
        s_other, b_other, _ = self.server.call("POST", "/v1/challenges", restricted, {"host_id": "web-2"})
        s_missing, b_missing, _ = self.server.call("POST", "/v1/challenges", free, {"host_id": "nope"})
        self.assertEqual(s_other, 404)
        self.assertEqual(s_other, s_missing)
        del b_other["request_id"], b_missing["request_id"]
        self.assertEqual(b_other, b_missing)

    def test_zz_no_plaintext_token_in_the_database_its_wal_or_the_server_log(self):
        # Runs last (name order): every token issued above, online and offline, is checked.
        self.assertGreaterEqual(len(self.issued), 8)
        blobs = {p.name: p.read_bytes() for p in self.server.dir.glob("attestd.db*")}
        self.assertIn("attestd.db", blobs)
        self.assertIn("attestd.db-wal", blobs)
        blobs["attestd.log"] = self.server.log.read_bytes()
        for token in self.issued:
            for name, data in blobs.items():
                self.assertNotIn(token.encode(), data, f"a token's plaintext is in {name}")


class DemoTenantDeleted(unittest.TestCase):
    def test_a_deleted_demo_tenant_stays_deleted_and_the_server_still_starts(self):
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(Path(tmp))
            code, out, err = TenancyCommands.cli_static("--data-dir", str(server.dir), "tenant", "delete", "demo",
                                                        "--yes")
            self.assertEqual(code, 0, err)
            server.stop()
            again = Server(Path(tmp))  # the same data directory
            try:
                code, out, err = TenancyCommands.cli_static("--data-dir", str(again.dir), "tenant", "list", "--json")
                self.assertEqual(code, 0, err)
                self.assertNotIn("demo", [t["name"] for t in json.loads(out)["tenants"]])
                token = (again.dir / "demo-admin.token").read_text().strip()
                status, body, _ = again.call("GET", "/v1/hosts", token)
                self.assertEqual((status, reason(body)), (401, "auth.token.invalid"))
            finally:
                again.stop()


class AuthRateLimit(unittest.TestCase):
    def test_failures_over_the_budget_get_429_with_retry_after(self):
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(Path(tmp), {"limits": {"auth_failure_burst": 3, "auth_failures_per_minute": 6}})
            try:
                token = (server.dir / "demo-admin.token").read_text().strip()
                for _ in range(3):
                    status, body, _ = server.call("GET", "/v1/hosts", "wrong")
                    self.assertEqual((status, reason(body)), (401, "auth.token.invalid"))
                status, body, headers = server.call("GET", "/v1/hosts", token)
                self.assertEqual((status, reason(body)), (429, "auth.rate_limited"))
                self.assertEqual(headers["Content-Type"], "application/problem+json")
                self.assertEqual(headers["Retry-After"], "10")
            finally:
                server.stop()

    def test_unknown_limit_key_is_a_config_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "c.json"
            cfg.write_text(json.dumps({"limits": {"auth_failures_per_hour": 5}}))
            p = subprocess.run([ATTESTD, "--data-dir", str(Path(tmp) / "d"), "--config", str(cfg)],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("auth_failures_per_hour", p.stderr)


if __name__ == "__main__":
    ATTESTD, ATTESTCTL = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
