#!/usr/bin/env python3
"""attestctl against a running attestd (issue 5, `hosts list|show|assign-policy`): the connection
options (--server/--token-file/--cacert and ATTESTD_URL/ATTESTD_TOKEN/ATTESTD_CACERT), paging through
more hosts than one page holds, human tables and --json, and how errors surface: HTTP problem ids,
an untrusted server certificate, a missing server or token, a role that may not write.

Only the standard library and the openssl CLI (for AK public keys as PEM).
usage: attestctl_server_test.py ATTESTD ATTESTCTL
"""
import concurrent.futures
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ATTESTD = ATTESTCTL = ""


class Server:
    def __init__(self, work: Path):
        self.dir = work / "data"
        self.proc = subprocess.Popen([ATTESTD, "--data-dir", str(self.dir), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = self.proc.stdout.readline()
        if "listening on https://" not in banner:
            raise AssertionError(f"attestd did not start: {banner} {self.proc.stderr.read()}")
        self.port = int((self.dir / "attestd.port").read_text())
        self.url = f"https://127.0.0.1:{self.port}"
        self.cacert = self.dir / "tls" / "server.crt"
        self.token_file = self.dir / "demo-admin.token"
        self.ctx = ssl.create_default_context(cafile=str(self.cacert))

    def call(self, method, path, body=None, conn=None):
        c = conn or http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        headers = {"Content-Type": "application/json",
                   "Authorization": f"Bearer {self.token_file.read_text().strip()}"}
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, (json.loads(data) if data else None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def ak_pem(work: Path) -> str:
    key = work / "ak.key"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)],
                   check=True, capture_output=True)
    return subprocess.run(["openssl", "ec", "-in", str(key), "-pubout"], check=True, capture_output=True,
                          text=True).stdout


class HostsCommands(unittest.TestCase):
    HOSTS = 1003  # more than one 1,000-host page

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls.tmp.name)
        cls.server = Server(cls.work)
        pem = ak_pem(cls.work)

        def create(chunk):
            conn = http.client.HTTPSConnection("127.0.0.1", cls.server.port, context=cls.server.ctx, timeout=30)
            for i in chunk:
                body = {"host_id": f"node-{i:05d}", "ak_public": pem, "labels": {"rack": f"r{i % 3}"}}
                if i == 1:
                    body["policy"] = "gpu-nodes"
                status, doc = cls.server.call("POST", "/v1/hosts", body, conn)
                assert status == 201, (status, doc)
            conn.close()

        chunks = [range(k, cls.HOSTS, 8) for k in range(8)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(create, chunks))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def run_cli(self, *args, env=None, server=True):
        argv = [ATTESTCTL, *args]
        if server:
            argv += ["--server", self.server.url, "--token-file", str(self.server.token_file), "--cacert",
                     str(self.server.cacert)]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTESTD_")}
        clean.update(env or {})
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=clean)
        return p.returncode, p.stdout, p.stderr

    def test_list_pages_through_every_host_in_order(self):
        code, out, err = self.run_cli("hosts", "list", "--json")
        self.assertEqual(code, 0, err)
        hosts = json.loads(out)
        self.assertEqual([h["host_id"] for h in hosts], [f"node-{i:05d}" for i in range(self.HOSTS)])

    def test_list_prints_a_table_with_policy_binding_and_labels(self):
        code, out, err = self.run_cli("hosts", "list")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["HOST", "TRUSTED", "POLICY", "LABELS"])
        self.assertEqual(len(lines), 1 + self.HOSTS)
        self.assertEqual(lines[2].split(), ["node-00001", "no", "gpu-nodes", "rack=r1"])
        self.assertEqual(lines[1].split(), ["node-00000", "no", "(by", "labels)", "rack=r0"])

    def test_server_pages_carry_a_cursor_until_the_last(self):
        status, first = self.server.call("GET", "/v1/hosts?limit=2")
        self.assertEqual(status, 200)
        self.assertEqual([h["host_id"] for h in first["hosts"]], ["node-00000", "node-00001"])
        status, second = self.server.call("GET", f"/v1/hosts?limit=2&after={first['next']}")
        self.assertEqual([h["host_id"] for h in second["hosts"]], ["node-00002", "node-00003"])
        status, last = self.server.call("GET", f"/v1/hosts?limit=5&after=node-{self.HOSTS - 2:05d}")
        self.assertEqual([h["host_id"] for h in last["hosts"]], [f"node-{self.HOSTS - 1:05d}"])
        self.assertNotIn("next", last)
        for bad in ("0", "1001", "x", "5x"):
            status, doc = self.server.call("GET", f"/v1/hosts?limit={bad}")
            self.assertEqual(status, 400, bad)
            self.assertEqual(doc["reasons"][0]["id"], "api.query_invalid")

    def test_show_prints_one_host_and_names_a_missing_one(self):
        code, out, err = self.run_cli("hosts", "show", "node-00001")
        self.assertEqual(code, 0, err)
        self.assertIn("policy:   gpu-nodes", out)
        self.assertIn("labels:   rack=r1", out)
        code, out, err = self.run_cli("hosts", "show", "node-00001", "--json")
        self.assertEqual(json.loads(out)["policy"], "gpu-nodes")
        code, out, err = self.run_cli("hosts", "show", "no-such-host")
        self.assertEqual(code, 1)
        self.assertIn("HTTP 404", err)
        self.assertIn("api.not_found", err)

    def test_assign_policy_by_name_then_back_to_labels(self):
        code, out, err = self.run_cli("hosts", "assign-policy", "node-00007", "cpu-nodes")
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip(), "node-00007: policy cpu-nodes")
        self.assertEqual(self.server.call("GET", "/v1/hosts/node-00007")[1]["policy"], "cpu-nodes")
        code, out, err = self.run_cli("hosts", "assign-policy", "node-00007", "--by-labels", "--label", "rack=r9",
                                      "--label", "zone=b", "--json")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertIsNone(doc["policy"])
        self.assertEqual(doc["labels"], {"rack": "r9", "zone": "b"})
        self.assertEqual(self.server.call("GET", "/v1/hosts/node-00007")[1]["labels"], {"rack": "r9", "zone": "b"})

    def test_assign_policy_refuses_ambiguous_or_malformed_requests(self):
        code, _, err = self.run_cli("hosts", "assign-policy", "node-00008")
        self.assertEqual(code, 2)
        self.assertIn("either a POLICY name or --by-labels", err)
        code, _, err = self.run_cli("hosts", "assign-policy", "node-00008", "p", "--by-labels")
        self.assertEqual(code, 2)
        code, _, err = self.run_cli("hosts", "assign-policy", "node-00008", "p", "--label", "novalue")
        self.assertEqual(code, 2)
        self.assertIn("KEY=VALUE", err)
        code, _, err = self.run_cli("hosts", "assign-policy", "no-such-host", "p")
        self.assertEqual(code, 1)
        self.assertIn("api.not_found", err)
        for body in ({}, {"policy": 5}, {"policy": ""}, {"labels": {"a": 1}}, {"labels": []}, {"owner": "x"}):
            status, doc = self.server.call("PATCH", "/v1/hosts/node-00008", body)
            self.assertEqual(status, 400, body)
            self.assertEqual(doc["reasons"][0]["id"], "api.body_invalid", body)
        self.assertIsNone(self.server.call("GET", "/v1/hosts/node-00008")[1]["policy"])

    def test_environment_variables_stand_in_for_the_flags(self):
        env = {"ATTESTD_URL": self.server.url, "ATTESTD_TOKEN": self.server.token_file.read_text().strip(),
               "ATTESTD_CACERT": str(self.server.cacert)}
        code, out, err = self.run_cli("hosts", "show", "node-00002", "--json", env=env, server=False)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["host_id"], "node-00002")
        env = {"ATTESTD_URL": self.server.url, "ATTESTD_TOKEN_FILE": str(self.server.token_file),
               "ATTESTD_CACERT": str(self.server.cacert)}
        code, out, err = self.run_cli("hosts", "show", "node-00002", "--json", env=env, server=False)
        self.assertEqual(code, 0, err)

    def test_missing_server_or_token_is_a_usage_error(self):
        code, _, err = self.run_cli("hosts", "list", server=False)
        self.assertEqual(code, 2)
        self.assertIn("no server", err)
        code, _, err = self.run_cli("hosts", "list", env={"ATTESTD_URL": self.server.url}, server=False)
        self.assertEqual(code, 2)
        self.assertIn("no token", err)
        code, _, err = self.run_cli("hosts", "list", env={"ATTESTD_URL": "http://127.0.0.1:1",
                                                          "ATTESTD_TOKEN": "x"}, server=False)
        self.assertEqual(code, 2)
        self.assertIn("https://", err)

    def test_a_wrong_token_is_refused_by_the_server(self):
        bad = self.work / "bad.token"
        bad.write_text("not-a-token\n")
        p = subprocess.run([ATTESTCTL, "hosts", "list", "--server", self.server.url, "--token-file", str(bad),
                            "--cacert", str(self.server.cacert)], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 401", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_a_server_that_never_answers_is_a_timeout_not_a_hang(self):
        import socket
        import time
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts the TCP connection (backlog) and never speaks TLS
        try:
            start = time.monotonic()
            p = subprocess.run([ATTESTCTL, "hosts", "list", "--server", f"https://127.0.0.1:{silent.getsockname()[1]}",
                                "--token-file", str(self.server.token_file), "--cacert", str(self.server.cacert),
                                "--timeout", "1"], capture_output=True, text=True, timeout=60)
            elapsed = time.monotonic() - start
        finally:
            silent.close()
        self.assertEqual(p.returncode, 1)
        self.assertIn("TLS handshake timed out", p.stderr)
        self.assertLess(elapsed, 20)

    def test_an_untrusted_server_certificate_is_refused(self):
        other = self.work / "other.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(self.work / "other.key"), "-out", str(other), "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1"],
                       check=True, capture_output=True)
        p = subprocess.run([ATTESTCTL, "hosts", "list", "--server", self.server.url, "--token-file",
                            str(self.server.token_file), "--cacert", str(other)], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate verify failed", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_an_auditor_may_list_but_not_assign(self):
        token = subprocess.run([ATTESTCTL, "--data-dir", str(self.server.dir), "token", "create", "--tenant", "demo",
                                "--role", "auditor"], check=True, capture_output=True, text=True).stdout.strip()
        tf = self.work / "auditor.token"
        tf.write_text(token)
        base = ["--server", self.server.url, "--token-file", str(tf), "--cacert", str(self.server.cacert)]
        p = subprocess.run([ATTESTCTL, "hosts", "show", "node-00003", *base], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([ATTESTCTL, "hosts", "assign-policy", "node-00003", "x", *base], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 403", p.stderr)


if __name__ == "__main__":
    ATTESTD, ATTESTCTL = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
