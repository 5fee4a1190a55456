#!/usr/bin/python3
"""TLS client certificates as host credentials (issue 8), end to end against the real attestd.

attestd starts on loopback; swtpm + tpm2-tools are the host's TPM; Python's ssl module (an
independent TLS client) presents client certificates made at test time by python3-cryptography,
and `openssl s_client` checks the handshake with and without one. The admin registers the host's
certificate; the host, holding no token, enrolls, gets a challenge and an `affirming` attestation;
it is refused another host (404 as missing) and admin routes (403); an unknown certificate is 401
auth.certificate.unknown, a revoked one 401 auth.certificate.revoked on the next request of the same
kept-alive connection, an expired or not yet valid one 401 auth.certificate.expired; a certificate
of tenant A never acts for tenant B's host of the same name; with a token beside it, the token
decides; after SIGHUP (TLS reload) and on a resumed session it still works; with
tls.client_certificates "off" the server no longer asks for one. `attestctl host certificate
add|list|revoke` manages them.

attest-agent, given --client-cert/--client-key and no token, enrolls and attests `affirming`.

usage: client_certificate_e2e_test.py ATTESTD ATTESTCTL TESTDATA ATTEST_AGENT (Debian's /usr/bin/python3)
"""
import base64
import datetime
import http.client
import json
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent))
import service_e2e_test as base  # noqa: E402  (its swtpm, attestd and EK-certificate helpers)

ATTESTCTL = AGENT = ""


def client_cert(work: Path, name: str, not_before=None, not_after=None):
    """A P-256 leaf certificate and key as PEM files; returns (cert path, key path, PEM, SHA-256 hex)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(minutes=5))
            .not_valid_after(not_after or now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path, key_path = work / f"{name}.crt", work / f"{name}.key"
    cert_path.write_text(pem)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, pem, cert.fingerprint(hashes.SHA256()).hex()


class ClientCertificateEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(tempfile.mkdtemp())
        cls.tpm = base.Tpm(cls.work)
        cls.attestd = base.Attestd(cls.work)
        base.make_ca(cls.work)
        t = cls.tpm
        t.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub", "-f", "tss")
        t.run("tpm2_readpublic", "-c", "ek.ctx", "-f", "pem", "-o", "ek.pem")
        t.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa", "-u",
              "ak.pub", "-n", "ak.name")
        cls.ek_cert = base.issue_ek_cert(cls.work, cls.work / "ek.pem")

        a, admin = cls.attestd, cls.attestd.admin
        status, body = a.call("POST", "/v1/tpm-roots", {"certificate": (cls.work / "ca.pem").read_text()}, admin)
        assert status == 201, body
        ak_pub = base.b64((cls.work / "ak.pub").read_bytes())
        for host in ("node-1", "node-2"):
            status, body = a.call("POST", "/v1/hosts", {"host_id": host, "ak_public": ak_pub, "policy": "tpm-only"},
                                  admin)
            assert status == 201, body
        # Golden PCRs: what this fresh swtpm holds.
        pcrs = cls.pcrs()
        status, body = a.call("PUT", "/v1/reference-sets/fresh",
                              {"version": 1, "name": "fresh", "pcrs": {"sha256": {k: [v] for k, v in pcrs.items()}}},
                              admin)
        assert status == 200, body
        status, body = a.call("PUT", "/v1/policies/tpm-only", {
            "version": 1, "name": "tpm-only", "require": {"tpm": True, "event_log": False, "gpus": 0},
            "reference_sets": ["fresh"], "pcrs": {"sha256": list(range(10))}, "max_age_seconds": 300}, admin)
        assert status == 200, body

        # Tenant B, with a host of the same name.
        subprocess.run([ATTESTCTL, "--data-dir", str(a.dir), "tenant", "create", "globex"], check=True,
                       capture_output=True)
        cls.globex_admin = subprocess.run([ATTESTCTL, "--data-dir", str(a.dir), "token", "create", "--tenant",
                                           "globex", "--role", "admin"], check=True, capture_output=True,
                                          text=True).stdout.strip()
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-1", "ak_public": ak_pub}, cls.globex_admin)
        assert status == 201, body

        # node-1's certificate, registered by demo's admin.
        cls.cert, cls.key, pem, cls.sha = client_cert(cls.work, "node-1")
        status, body = a.call("POST", "/v1/hosts/node-1/certificates", {"certificate": pem}, admin)
        assert status == 201, body
        assert body["sha256"] == cls.sha, body
        cls.cert_id = body["certificate_id"]

    @classmethod
    def tearDownClass(cls):
        cls.attestd.stop()
        cls.tpm.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------
    @classmethod
    def pcrs(cls):
        out = cls.tpm.run("tpm2_pcrread", "sha256:0,1,2,3,4,5,6,7,8,9").stdout.decode()
        values = {}
        for line in out.splitlines():
            if ":" in line and "0x" in line:
                idx, val = line.split(":", 1)
                values[idx.strip()] = val.strip().lower().removeprefix("0x")
        return values

    def context(self, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=str(self.attestd.dir / "tls" / "server.crt"))
        if cert:
            ctx.load_cert_chain(str(cert), str(key))
        return ctx

    def conn(self, cert=None, key=None, port=None):
        return http.client.HTTPSConnection("127.0.0.1", port or self.attestd.port, context=self.context(cert, key),
                                           timeout=30)

    def host_conn(self):
        return self.conn(self.cert, self.key)

    def call(self, conn, method, path, body=None, token=None):
        return self.attestd.call(method, path, body, token, conn)

    def call_once(self, cert, key, method, path, body=None):
        conn = self.conn(cert, key)
        try:
            return self.call(conn, method, path, body)
        finally:
            conn.close()

    def quote(self, nonce_hex):
        self.tpm.run("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:0,1,2,3,4,5,6,7,8,9", "-q", nonce_hex, "-m", "q.msg",
                     "-s", "q.sig", "-g", "sha256")
        return {"quote": base.b64((self.work / "q.msg").read_bytes()),
                "signature": base.b64((self.work / "q.sig").read_bytes()), "pcrs": {"sha256": self.pcrs()}}

    def assertProblem(self, answer, status, reason):
        self.assertEqual((answer[0], answer[1]["reasons"][0]["id"]), (status, reason), answer[1])

    def enroll_with_certificate(self, conn):
        """Credential activation by the host itself, authenticated by its certificate alone."""
        status, body = self.call(conn, "POST", "/v1/hosts/node-1/enrollment", {
            "ak_public": base.b64((self.work / "ak.pub").read_bytes()),
            "ek_public": base.b64((self.work / "ek.pub").read_bytes()),
            "ek_certificate": base.b64(self.ek_cert)})
        self.assertEqual(status, 201, body)
        (self.work / "cred.bin").write_bytes(base64.b64decode(body["credential"]))
        t = self.tpm
        t.run("tpm2_startauthsession", "--policy-session", "-S", "session.ctx")
        t.run("tpm2_policysecret", "-S", "session.ctx", "-c", "e")
        t.run("tpm2_activatecredential", "-c", "ak.ctx", "-C", "ek.ctx", "-i", "cred.bin", "-o", "secret.bin", "-P",
              "session:session.ctx")
        t.run("tpm2_flushcontext", "session.ctx", check=False)
        status, body = self.call(conn, "POST", f"/v1/hosts/node-1/enrollment/{body['enrollment_id']}/activate",
                                 {"secret": base.b64((self.work / "secret.bin").read_bytes())})
        self.assertEqual((status, body["trusted"]), (200, True), body)

    def attest(self, conn):
        status, ch = self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"})
        self.assertEqual(status, 201, ch)
        return self.call(conn, "POST", "/v1/attestations",
                         {"challenge_id": ch["challenge_id"], "host_id": "node-1", "tpm": self.quote(ch["nonce"])})

    def register(self, pem, host="node-1", token=None):
        return self.attestd.call("POST", f"/v1/hosts/{host}/certificates", {"certificate": pem},
                                 token or self.attestd.admin)

    # -- the acceptance ------------------------------------------------------------------------
    def test_0_attestctl_host_certificate_add_list_revoke(self):
        a = self.attestd
        token_file = self.work / "admin.token"
        token_file.write_text(a.admin + "\n")
        server = ["--server", f"https://127.0.0.1:{a.port}", "--token-file", str(token_file), "--cacert",
                  str(a.dir / "tls" / "server.crt")]

        def attestctl(*args):
            return subprocess.run([ATTESTCTL, "host", "certificate", *args, *server], capture_output=True, text=True,
                                  timeout=60)

        cert, _, _, sha = client_cert(self.work, "node-2")
        out = attestctl("add", "node-2", str(cert), "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        added = json.loads(out.stdout)
        self.assertEqual((added["host_id"], added["sha256"]), ("node-2", sha))
        out = attestctl("list", "node-2")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(added["certificate_id"], out.stdout)
        out = attestctl("revoke", "node-2", added["certificate_id"], "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIsNotNone(json.loads(out.stdout)["revoked_at"])
        out = attestctl("list", "node-2", "--json")
        self.assertEqual([c["revoked_at"] is not None for c in json.loads(out.stdout)["certificates"]], [True])
        # Refusals surface with their reason id and a non-zero exit.
        out = attestctl("add", "node-2", str(cert))
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("host.certificate.registered", out.stderr)
        out = attestctl("list", "node-9")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("api.not_found", out.stderr)

    def test_1_host_with_certificate_and_no_token_attests_affirming(self):
        conn = self.host_conn()
        self.enroll_with_certificate(conn)
        status, body = self.attest(conn)
        self.assertEqual((status, body["verdict"], body["reasons"]), (200, "affirming", []), body)
        # Audited with the certificate as the actor.
        status, audit = self.attestd.call("GET", "/v1/audit?host=node-1&action=attestation.record", None,
                                          self.attestd.admin)
        self.assertEqual(status, 200, audit)
        self.assertTrue(audit["records"], audit)
        self.assertEqual(audit["records"][0]["actor"], self.cert_id, audit["records"][0])
        conn.close()

    def test_2_the_certificate_is_refused_another_host_and_admin_routes(self):
        conn = self.host_conn()
        self.assertProblem(self.call(conn, "POST", "/v1/challenges", {"host_id": "node-2"}), 404, "api.not_found")
        self.assertProblem(self.call(conn, "POST", "/v1/challenges", {"host_id": "node-9"}), 404, "api.not_found")
        for method, path in (("GET", "/v1/hosts"), ("GET", "/v1/hosts/node-1/certificates"), ("GET", "/v1/audit")):
            self.assertProblem(self.call(conn, method, path), 403, "auth.role.forbidden")
        conn.close()

    def test_3_a_certificate_of_tenant_a_never_acts_for_tenant_b(self):
        conn = self.host_conn()
        status, ch = self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"})
        self.assertEqual(status, 201, ch)
        conn.close()
        # The challenge is demo's node-1's; globex's node-1 has none.
        status, theirs = self.attestd.call("GET", "/v1/audit?host=node-1&action=challenge.create", None,
                                           self.globex_admin)
        self.assertEqual(status, 200, theirs)
        self.assertEqual(theirs["records"], [])
        status, ours = self.attestd.call("GET", "/v1/audit?host=node-1&action=challenge.create", None,
                                         self.attestd.admin)
        self.assertIn(ch["challenge_id"], [r["details"]["challenge_id"] for r in ours["records"]])
        # globex cannot register it (one SHA-256, one host) and the refusal names nobody.
        status, body = self.register(self.cert.read_text(), token=self.globex_admin)
        self.assertEqual((status, body["reasons"][0]["id"]), (409, "host.certificate.registered"), body)
        self.assertNotIn("demo", json.dumps(body))

    def test_4_unknown_expired_and_not_yet_valid_certificates(self):
        cert, key, _, _ = client_cert(self.work, "stranger")
        self.assertProblem(self.call_once(cert, key, "POST", "/v1/challenges", {"host_id": "node-1"}), 401,
                           "auth.certificate.unknown")
        now = datetime.datetime.now(datetime.timezone.utc)
        later, later_key, later_pem, _ = client_cert(self.work, "later", not_before=now + datetime.timedelta(hours=1))
        status, body = self.register(later_pem)
        self.assertEqual(status, 201, body)
        self.assertProblem(self.call_once(later, later_key, "POST", "/v1/challenges", {"host_id": "node-1"}),
                           401, "auth.certificate.expired")
        # Valid for eight more seconds (room for a loaded machine to register and use it): accepted,
        # then refused on the same connection once notAfter has passed.
        short, short_key, short_pem, _ = client_cert(self.work, "short", not_after=now + datetime.timedelta(seconds=8))
        status, body = self.register(short_pem)
        self.assertEqual(status, 201, body)
        conn = self.conn(short, short_key)
        status, body = self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"})
        self.assertEqual(status, 201, body)
        time.sleep(max(0.0, (now + datetime.timedelta(seconds=9.5) - datetime.datetime.now(
            datetime.timezone.utc)).total_seconds()))
        self.assertProblem(self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"}), 401,
                           "auth.certificate.expired")
        conn.close()

    def test_5_revocation_is_refused_on_the_next_request_of_the_same_connection(self):
        cert, key, pem, _ = client_cert(self.work, "to-revoke")
        status, body = self.register(pem)
        self.assertEqual(status, 201, body)
        cid = body["certificate_id"]
        conn = self.conn(cert, key)
        status, body = self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"})
        self.assertEqual(status, 201, body)
        sock = conn.sock
        self.assertIsNotNone(sock)
        status, body = self.attestd.call("DELETE", f"/v1/hosts/node-1/certificates/{cid}", None, self.attestd.admin)
        self.assertEqual(status, 200, body)
        self.assertIsNotNone(body["revoked_at"])
        self.assertProblem(self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"}), 401,
                           "auth.certificate.revoked")
        self.assertIs(conn.sock, sock, "the refusal came over the same kept-alive TLS connection")
        conn.close()
        # Listed as revoked; node-1's own certificate is untouched.
        status, body = self.attestd.call("GET", "/v1/hosts/node-1/certificates", None, self.attestd.admin)
        states = {c["certificate_id"]: c["revoked_at"] for c in body["certificates"]}
        self.assertIsNotNone(states[cid])
        self.assertIsNone(states[self.cert_id])

    def test_6_with_a_token_beside_the_certificate_the_token_decides(self):
        conn = self.host_conn()
        status, body = self.call(conn, "GET", "/v1/hosts", token=self.globex_admin)
        self.assertEqual(status, 200, body)
        self.assertEqual([h["host_id"] for h in body["hosts"]], ["node-1"], "globex's hosts, the token's tenant")
        self.assertProblem(self.call(conn, "POST", "/v1/challenges", {"host_id": "node-1"}, token="not-a-token"),
                           401, "auth.token.invalid")
        conn.close()

    def test_7_openssl_s_client_with_and_without_a_certificate(self):
        request = ("POST /v1/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Content-Length: 20\r\nConnection: close\r\n\r\n{\"host_id\":\"node-1\"}")
        base_cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.attestd.port}", "-CAfile",
                    str(self.attestd.dir / "tls" / "server.crt"), "-verify_return_error", "-quiet"]
        with_cert = subprocess.run(base_cmd + ["-cert", str(self.cert), "-key", str(self.key)], input=request,
                                   capture_output=True, text=True, timeout=30)
        self.assertIn("HTTP/1.1 201", with_cert.stdout, with_cert.stderr)
        without = subprocess.run(base_cmd, input=request, capture_output=True, text=True, timeout=30)
        self.assertIn("HTTP/1.1 401", without.stdout, without.stderr)
        self.assertIn("auth.token.missing", without.stdout)

    def test_8_resumed_sessions_and_a_reloaded_tls_context_keep_the_certificate(self):
        ctx = self.context(self.cert, self.key)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # a session id the client can hold before any read

        def challenge(session=None):
            raw = socket.create_connection(("127.0.0.1", self.attestd.port), timeout=30)
            s = ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session)
            body = b'{"host_id":"node-1"}'
            s.sendall(b"POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            reused, sess = s.session_reused, s.session
            s.close()
            return data.split(b"\r\n", 1)[0], reused, sess

        status, reused, session = challenge()
        self.assertEqual((status, reused), (b"HTTP/1.1 201 Created", False))
        status, reused, _ = challenge(session)
        self.assertEqual((status, reused), (b"HTTP/1.1 201 Created", True), "a resumed session keeps its certificate")
        self.attestd.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        status, _, _ = challenge()
        self.assertEqual(status, b"HTTP/1.1 201 Created", "the reloaded context still asks for certificates")

    def test_9_with_client_certificates_off_the_server_does_not_ask(self):
        data = self.work / "off"
        data.mkdir()
        (self.work / "off.json").write_text(json.dumps({"tls": {"client_certificates": "off"}}))
        proc = subprocess.Popen([base.ATTESTD, "--data-dir", str(data), "--listen", "127.0.0.1:0", "--config",
                                 str(self.work / "off.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            banner = proc.stdout.readline()
            self.assertIn("listening on https://", banner, proc.stderr.read() if proc.poll() is not None else "")
            port = int((data / "attestd.port").read_text())
            ctx = ssl.create_default_context(cafile=str(data / "tls" / "server.crt"))
            ctx.load_cert_chain(str(self.cert), str(self.key))
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            conn.request("GET", "/v1/hosts")
            r = conn.getresponse()
            body = json.loads(r.read())
            self.assertEqual((r.status, body["reasons"][0]["id"]), (401, "auth.token.missing"), body)
            conn.close()
            # An unknown value is a configuration error.
            (self.work / "bad.json").write_text(json.dumps({"tls": {"client_certificates": "required"}}))
            bad = subprocess.run([base.ATTESTD, "--data-dir", str(self.work / "bad"), "--listen", "127.0.0.1:0",
                                  "--config", str(self.work / "bad.json")], capture_output=True, text=True,
                                 timeout=30)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("tls.client_certificates", bad.stderr)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)

    def test_z_attest_agent_enrolls_and_attests_with_its_certificate_alone(self):
        a = self.attestd
        state = self.work / "agent-state"
        cert, key, pem, _ = client_cert(self.work, "node-agent")
        config = self.work / "agent.json"
        config.write_text(json.dumps({
            "server": f"https://127.0.0.1:{a.port}", "ca_file": str(a.dir / "tls" / "server.crt"),
            "client_certificate": str(cert), "client_key": str(key), "host_id": "node-agent",
            "tcti": self.tpm.env["TPM2TOOLS_TCTI"], "state_dir": str(state), "pcrs": list(range(10)),
            "event_log": "none", "ek_certificate_file": str(self.work / "ek_cert.der"), "tpm_timeout_s": 20}))

        def agent(*args):
            return subprocess.run([AGENT, "--config", str(config), "--no-nvml", *args], capture_output=True,
                                  text=True, timeout=120)

        out = agent("init")
        self.assertEqual(out.returncode, 0, out.stderr)
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-agent", "ak_public": base.b64(
            (state / "ak.pub").read_bytes()), "policy": "tpm-only"}, a.admin)
        self.assertEqual(status, 201, body)
        out = agent("enroll")
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertIn("auth.certificate.unknown", out.stderr)
        status, body = self.register(pem, host="node-agent")
        self.assertEqual(status, 201, body)
        out = agent("enroll")
        self.assertEqual(out.returncode, 0, out.stderr)
        out = agent("attest")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("verdict=affirming", out.stdout)
        # Both a token and a certificate: a configuration error, not a guess.
        config.write_text(json.dumps({**json.loads(config.read_text()), "credential_file": str(self.work / "x")}))
        out = agent("attest")
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("not both", out.stderr)


if __name__ == "__main__":
    base.ATTESTD, ATTESTCTL, base.TESTDATA, AGENT = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    base.ATTESTCTL = ATTESTCTL
    unittest.main(argv=sys.argv[:1], verbosity=2)
