#!/usr/bin/python3
"""Key release end to end on loopback with a real TPM stack (issue 6 acceptance).

swtpm measures the real vmboot sb-shim-grub log and quotes with tpm2-tools; attestd runs with a short
EAR lifetime. The agent makes an ephemeral key, binds SHA-256(nonce || RFC 7638 thumbprint) into
the quote, and asks for keys in the attestation: the key comes back as a JWE that python3-jwcrypto
and the `jose` tool both decrypt to the stored secret (jose for the EC key only: Debian 12's jose
has no RSA-OAEP). Then every refusal, each with its reason id and audited: a man in the middle who
swaps tee_public_key after quoting (tpm.quote.nonce_mismatch, no key), a contraindicated verdict's
EAR, another tenant's EAR, an expired EAR, a key the policy does not allow, unmet host labels, a
missing binding. Finally the database, its WAL and attestd's output hold no byte of the secret.

usage: key_release_e2e_test.py ATTESTD ATTESTCTL TESTDATA   (Debian's /usr/bin/python3)
"""
import base64
import hashlib
import json
import os
import signal
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from jwcrypto import jwe, jwk

sys.path.insert(0, str(Path(__file__).resolve().parent))
import service_e2e_test as base  # noqa: E402  (Tpm, make_ca, issue_ek_cert, b64)

ATTESTD = ATTESTCTL = ""
TESTDATA = Path()
LOG_PATH = ""
EAR_LIFETIME = 8
SECRET = b"\x00\xffattestd-e2e-SECRET-\x13\x37-" + os.urandom(16)
b64 = base.b64


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Attestd(base.Attestd):
    """attestd with a config file and its whole output in a file, to be searched for the secret."""

    def __init__(self, work: Path):
        self.dir = work / "data"
        self.log = work / "attestd.log"
        config = work / "attestd.json"
        config.write_text(json.dumps({"attestation": {"token_lifetime_s": EAR_LIFETIME}}))
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([ATTESTD, "--data-dir", str(self.dir), "--listen", "127.0.0.1:0", "--config",
                                      str(config)], stdout=self.logf, stderr=subprocess.STDOUT, text=True)
        for _ in range(300):
            if "listening on https://" in self.log.read_text():
                break
            if self.proc.poll() is not None:
                raise AssertionError(f"attestd did not start: {self.log.read_text()}")
            time.sleep(0.05)
        import ssl
        self.port = int((self.dir / "attestd.port").read_text())
        self.ctx = ssl.create_default_context(cafile=str(self.dir / "tls" / "server.crt"))
        self.admin = (self.dir / "demo-admin.token").read_text().strip()

    def get(self, path, headers):
        c = self.conn()
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data else None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.logf.close()


def decrypt_jwcrypto(token: str, key: jwk.JWK) -> bytes:
    obj = jwe.JWE()
    obj.allowed_algs = ["RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM"]
    obj.deserialize(token, key=key)
    return obj.payload


def decrypt_jose(work: Path, token: str, key: jwk.JWK) -> bytes:
    (work / "k.jwk").write_text(key.export_private())
    (work / "t.jwe").write_text(token)
    out = subprocess.run(["jose", "jwe", "dec", "-i", str(work / "t.jwe"), "-k", str(work / "k.jwk"), "-O", "-"],
                         capture_output=True)
    if out.returncode != 0:
        raise AssertionError(f"jose refused the JWE: {out.stderr.decode()}")
    return out.stdout


def binding(nonce_hex: str, key: jwk.JWK) -> str:
    thumb = base64.urlsafe_b64decode(key.thumbprint() + "=" * (-len(key.thumbprint()) % 4))
    return hashlib.sha256(bytes.fromhex(nonce_hex) + thumb).hexdigest()


class KeyReleaseEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base.ATTESTD, base.ATTESTCTL, base.TESTDATA, base.LOG_PATH = ATTESTD, ATTESTCTL, TESTDATA, LOG_PATH
        cls.work = Path(tempfile.mkdtemp())
        cls.tpm = base.Tpm(cls.work)
        cls.attestd = Attestd(cls.work)
        base.make_ca(cls.work)
        t = cls.tpm
        events = json.loads(subprocess.run([ATTESTCTL, "eventlog", "show", LOG_PATH, "--json"], check=True,
                                           capture_output=True).stdout)["events"]
        for e in events:
            if e["type"] == 3:
                continue
            spec = ",".join(f"{bank}={e['digests'][bank]}" for bank in ("sha1", "sha256"))
            t.run("tpm2_pcrextend", f"{e['pcr']}:{spec}")
        t.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub", "-f", "tss")
        t.run("tpm2_readpublic", "-c", "ek.ctx", "-f", "pem", "-o", "ek.pem")
        t.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa", "-u",
              "ak.pub", "-n", "ak.name")
        cls.ek_cert = base.issue_ek_cert(cls.work, cls.work / "ek.pem")
        replay = json.loads(subprocess.run([ATTESTCTL, "eventlog", "replay", LOG_PATH, "--json"], check=True,
                                           capture_output=True).stdout)
        cls.golden = {str(i): [replay["banks"]["sha256"][str(i)]] for i in range(10)}
        # Two tenants with the same machine enrolled: demo (the key's owner) and globex.
        a = cls.attestd
        cls.tenants = {"demo": {"admin": a.admin}}
        subprocess.run([ATTESTCTL, "--data-dir", str(a.dir), "tenant", "create", "globex"], check=True,
                       capture_output=True)
        cls.tenants["globex"] = {"admin": cls.token("globex", "admin")}
        for name, creds in cls.tenants.items():
            creds["attester"] = cls.token(name, "attester")
            cls.setup_tenant(creds)

    @classmethod
    def token(cls, tenant, role):
        return subprocess.run([ATTESTCTL, "--data-dir", str(cls.attestd.dir), "token", "create", "--tenant", tenant,
                               "--role", role], check=True, capture_output=True, text=True).stdout.strip()

    @classmethod
    def setup_tenant(cls, creds):
        a, admin = cls.attestd, creds["admin"]
        status, body = a.call("POST", "/v1/tpm-roots", {"certificate": (cls.work / "ca.pem").read_text()}, admin)
        assert status == 201, (status, body)
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-1",
                                                     "ak_public": b64((cls.work / "ak.pub").read_bytes()),
                                                     "labels": {"role": "gpu-node", "zone": "eu"}}, admin)
        assert status == 201, body
        status, body = a.call("PUT", "/v1/reference-sets/vmboot",
                              {"version": 1, "name": "vmboot", "pcrs": {"sha256": cls.golden}}, admin)
        assert status == 200, body
        status, body = a.call("PUT", "/v1/policies/gpu-node", {
            "version": 1, "name": "gpu-node",
            "require": {"tpm": True, "event_log": True, "gpus": 0},
            "reference_sets": ["vmboot"], "pcrs": {"sha256": list(range(10))}, "max_age_seconds": 300,
            "hosts": {"labels": {"role": "gpu-node"}}}, admin)
        assert status == 200, body
        # Credential activation: TPM2_ActivateCredential answers this tenant's MakeCredential.
        t = cls.tpm
        status, body = a.call("POST", "/v1/hosts/node-1/enrollment", {
            "ak_public": b64((cls.work / "ak.pub").read_bytes()),
            "ek_public": b64((cls.work / "ek.pub").read_bytes()),
            "ek_certificate": b64(cls.ek_cert)}, creds["attester"])
        assert status == 201, body
        (cls.work / "cred.bin").write_bytes(base64.b64decode(body["credential"]))
        t.run("tpm2_startauthsession", "--policy-session", "-S", "session.ctx")
        t.run("tpm2_policysecret", "-S", "session.ctx", "-c", "e")
        t.run("tpm2_activatecredential", "-c", "ak.ctx", "-C", "ek.ctx", "-i", "cred.bin", "-o", "secret.bin", "-P",
              "session:session.ctx")
        t.run("tpm2_flushcontext", "session.ctx", check=False)
        status, body = a.call("POST", f"/v1/hosts/node-1/enrollment/{body['enrollment_id']}/activate",
                              {"secret": b64((cls.work / "secret.bin").read_bytes())}, creds["attester"])
        assert status == 200 and body["trusted"], body

    @classmethod
    def tearDownClass(cls):
        if cls.attestd.proc.poll() is None:
            cls.attestd.stop()
        cls.tpm.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------
    def quote(self, qualifying_hex):
        self.tpm.run("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:0,1,2,3,4,5,6,7,8,9", "-q", qualifying_hex, "-m",
                     "q.msg", "-s", "q.sig", "-g", "sha256")
        out = self.tpm.run("tpm2_pcrread", "sha256:0,1,2,3,4,5,6,7,8,9").stdout.decode()
        pcrs = {}
        for line in out.splitlines():
            if ":" in line and "0x" in line:
                idx, val = line.split(":", 1)
                pcrs[idx.strip()] = val.strip().lower().removeprefix("0x")
        return {"quote": b64((self.work / "q.msg").read_bytes()), "signature": b64((self.work / "q.sig").read_bytes()),
                "pcrs": {"sha256": pcrs}, "event_log": b64(Path(LOG_PATH).read_bytes())}

    def attest(self, tenant, release, bound_key=None, sent_key=None):
        """One attestation: the quote binds bound_key; the request carries sent_key (default: the same)."""
        a, creds = self.attestd, self.tenants[tenant]
        status, c = a.call("POST", "/v1/challenges", {"host_id": "node-1"}, creds["attester"])
        self.assertEqual(status, 201, c)
        qualifying = binding(c["nonce"], bound_key) if bound_key else c["nonce"]
        req = {"challenge_id": c["challenge_id"], "host_id": "node-1", "tpm": self.quote(qualifying),
               "release": release}
        sent = sent_key if sent_key is not None else bound_key
        if sent:
            req["tee_public_key"] = json.loads(sent.export_public())
        status, body = a.call("POST", "/v1/attestations", req, creds["attester"])
        self.assertEqual(status, 200, body)
        return body

    def release_by_ear(self, ear, name="model-key"):
        return self.attestd.get(f"/v1/keys/{name}/release", {"Authorization": f"Bearer {ear}"})

    def audit_rows(self):
        db = sqlite3.connect(f"file:{self.attestd.dir / 'attestd.db'}?mode=ro", uri=True)
        try:
            return [(t, a, json.loads(d)) for t, a, d in db.execute(
                "SELECT tenant_id, action, details FROM audit WHERE action IN ('key.release', 'key.refuse', 'key.put') "
                "ORDER BY id")]
        finally:
            db.close()

    # -- the acceptance, in order --------------------------------------------------------------
    def test_key_release(self):
        a, admin = self.attestd, self.tenants["demo"]["admin"]
        for name, body in (("model-key", {"secret": b64(SECRET), "policies": ["gpu-node"]}),
                           ("other-policy", {"secret": b64(SECRET), "policies": ["storage"]}),
                           ("eu-only", {"generate": "aes-256", "policies": ["gpu-node"],
                                        "conditions": {"host_labels": {"zone": "us"}}})):
            status, resp = a.call("PUT", f"/v1/keys/{name}", body, admin)
            self.assertEqual(status, 201, resp)
            self.assertNotIn("secret", resp)
        # Metadata only, never the secret.
        status, listing = a.call("GET", "/v1/keys", None, admin)
        self.assertEqual(status, 200)
        self.assertEqual(sorted(k["name"] for k in listing["keys"]), ["eu-only", "model-key", "other-policy"])
        self.assertNotIn(b64(SECRET), json.dumps(listing))

        # 1. The agent's ephemeral P-256 key, bound into the quote: the key comes back as a JWE.
        agent = jwk.JWK.generate(kty="EC", crv="P-256")
        body = self.attest("demo", ["model-key", "other-policy", "eu-only", "missing"], agent)
        self.assertEqual((body["verdict"], body["reasons"]), ("affirming", []), body)
        self.assertEqual(sorted(body["keys"]), ["model-key"], body)
        token = body["keys"]["model-key"]
        self.assertEqual(decrypt_jwcrypto(token, agent), SECRET)
        self.assertEqual(decrypt_jose(self.work, token, agent), SECRET)
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        self.assertEqual((header["alg"], header["enc"], header["kid"]), ("ECDH-ES+A256KW", "A256GCM", "model-key:1"))
        refused = {k: v["id"] for k, v in body["key_refusals"].items()}
        self.assertEqual(refused, {"other-policy": "key.policy_denied", "eu-only": "key.conditions_unmet",
                                   "missing": "key.not_found"})
        good_ear = body["token"]

        # 2. Later, by a workload holding the EAR: the same key, to the same attested key.
        status, resp = self.release_by_ear(good_ear)
        self.assertEqual(status, 200, resp)
        self.assertEqual(decrypt_jwcrypto(resp["jwe"], agent), SECRET)
        self.assertEqual(decrypt_jose(self.work, resp["jwe"], agent), SECRET)
        status, resp = self.release_by_ear(good_ear, "other-policy")
        self.assertEqual((status, resp["reasons"][0]["id"]), (403, "key.policy_denied"), resp)
        ear_issued = time.monotonic()

        # An RSA agent key: RSA-OAEP-256, checked by jwcrypto (Debian's jose has no RSA-OAEP).
        rsa_agent = jwk.JWK.generate(kty="RSA", size=2048)
        body = self.attest("demo", ["model-key"], rsa_agent)
        self.assertEqual(body["verdict"], "affirming", body)
        rsa_token = body["keys"]["model-key"]
        self.assertEqual(json.loads(base64.urlsafe_b64decode(rsa_token.split(".")[0] + "=="))["alg"], "RSA-OAEP-256")
        self.assertEqual(decrypt_jwcrypto(rsa_token, rsa_agent), SECRET)

        # 3. A man in the middle swaps tee_public_key after quoting: the quote no longer carries the
        #    binding of the key sent, so the verdict fails and nothing is released.
        mallory = jwk.JWK.generate(kty="EC", crv="P-256")
        body = self.attest("demo", ["model-key"], agent, sent_key=mallory)
        self.assertEqual(body["verdict"], "contraindicated", body)
        self.assertIn("tpm.quote.nonce_mismatch", [r["id"] for r in body["reasons"]])
        self.assertEqual(body["keys"], {}, body)
        self.assertEqual(body["key_refusals"]["model-key"]["id"], "ear.not_affirming")
        # 4. ... and its contraindicated EAR releases nothing either.
        status, resp = self.release_by_ear(body["token"])
        self.assertEqual((status, resp["reasons"][0]["id"]), (403, "ear.not_affirming"), resp)

        # 5. No tee_public_key at all: nothing to encrypt to.
        body = self.attest("demo", ["model-key"])
        self.assertEqual(body["verdict"], "affirming", body)
        self.assertEqual(body["keys"], {})
        self.assertEqual(body["key_refusals"]["model-key"]["id"], "key.binding_missing")
        status, resp = self.release_by_ear(body["token"])
        self.assertEqual((status, resp["reasons"][0]["id"]), (403, "key.binding_missing"), resp)

        # 6. Another tenant's EAR (globex attested the same machine, affirming): demo's key is not
        #    reachable from globex; globex has no such key.
        body = self.attest("globex", [], agent)
        self.assertEqual(body["verdict"], "affirming", body)
        status, resp = self.release_by_ear(body["token"])
        self.assertEqual((status, resp["reasons"][0]["id"]), (404, "key.not_found"), resp)
        # A forged tenant claim does not verify at all.
        parts = body["token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=="))
        demo_tenant = [t for t, act, d in self.audit_rows() if act == "key.put"][0]
        claims["ear.attestd.tenant"] = demo_tenant
        forged = ".".join([parts[0], b64url(json.dumps(claims).encode()), parts[2]])
        status, resp = self.release_by_ear(forged)
        self.assertEqual((status, resp["reasons"][0]["id"]), (401, "ear.invalid"), resp)

        # 7. The good EAR once expired (lifetime EAR_LIFETIME s, no leeway for releases).
        time.sleep(max(0.0, EAR_LIFETIME + 1.5 - (time.monotonic() - ear_issued)))
        status, resp = self.release_by_ear(good_ear)
        self.assertEqual((status, resp["reasons"][0]["id"]), (401, "ear.expired"), resp)

        # Every decision is in the audit with its reason; none carries the secret.
        rows = self.audit_rows()
        decisions = [(act, d.get("name"), d.get("reason"), d.get("via")) for _, act, d in rows if act != "key.put"]
        expected = [
            ("key.release", "model-key", None, "attestation"),
            ("key.refuse", "other-policy", "key.policy_denied", "attestation"),
            ("key.refuse", "eu-only", "key.conditions_unmet", "attestation"),
            ("key.refuse", "missing", "key.not_found", "attestation"),
            ("key.release", "model-key", None, "ear"),
            ("key.refuse", "other-policy", "key.policy_denied", "ear"),
            ("key.release", "model-key", None, "attestation"),
            ("key.refuse", "model-key", "ear.not_affirming", "attestation"),
            ("key.refuse", "model-key", "ear.not_affirming", "ear"),
            ("key.refuse", "model-key", "key.binding_missing", "attestation"),
            ("key.refuse", "model-key", "key.binding_missing", "ear"),
            ("key.refuse", "model-key", "key.not_found", "ear"),
            ("key.refuse", "model-key", "ear.invalid", "ear"),
            ("key.refuse", "model-key", "ear.expired", "ear"),
        ]
        self.assertEqual(decisions, expected)
        globex_rows = [t for t, act, d in rows if act == "key.refuse" and d.get("reason") == "key.not_found"
                       and d.get("via") == "ear"]
        self.assertNotEqual(globex_rows[0], demo_tenant)  # audited in globex's own chain
        for _, _, d in rows:
            self.assertNotIn(b64(SECRET), json.dumps(d))
        tenant_of = {(d.get("reason"), d.get("via")): t for t, act, d in rows if act == "key.refuse"}
        # A forged EAR names no tenant we can trust: the service's own chain. An expired one was
        # ours (its signature verifies): the refusal is in demo's chain.
        self.assertEqual(tenant_of[("ear.invalid", "ear")], "")
        self.assertEqual(tenant_of[("ear.expired", "ear")], demo_tenant)

        # Rotation and destruction.
        status, resp = a.call("PUT", "/v1/keys/model-key", {"generate": "aes-256", "policies": ["gpu-node"]}, admin)
        self.assertEqual((status, resp["version"]), (200, 2), resp)
        status, resp = a.call("DELETE", "/v1/keys/model-key", None, admin)
        self.assertEqual((status, resp["destroyed_versions"]), (200, 2), resp)
        status, resp = a.call("GET", "/v1/keys/model-key", None, admin)
        self.assertEqual(status, 404, resp)

        # 8. No byte of the secret in the database, its WAL or attestd's output: the WAL while
        #    attestd runs (a clean stop checkpoints and removes it), then everything after the stop.
        needles = [SECRET, SECRET[2:18], b64(SECRET).encode(), b64url(SECRET).encode(), SECRET.hex().encode()]
        live_wal = (self.attestd.dir / "attestd.db-wal").read_bytes()
        self.assertGreater(len(live_wal), 0)
        for n in needles:
            self.assertNotIn(n, live_wal, "the live WAL holds the secret")
        self.attestd.stop()
        files = [self.attestd.dir / "attestd.db", self.attestd.dir / "attestd.db-wal", self.attestd.log]
        searched = 0
        for f in files:
            if not f.exists():
                continue
            data = f.read_bytes()
            searched += 1
            for n in needles:
                self.assertNotIn(n, data, f"{f} holds the secret ({n[:8]!r}...)")
        self.assertGreaterEqual(searched, 2)
        # grep(1) agrees, over the whole data directory.
        out = subprocess.run(["grep", "-rlaF", b64(SECRET), str(self.attestd.dir), str(self.attestd.log)],
                             capture_output=True)
        self.assertEqual(out.returncode, 1, out.stdout)


if __name__ == "__main__":
    ATTESTD, ATTESTCTL, TESTDATA = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    LOG_PATH = str(TESTDATA / "vmboot/sb-shim-grub/eventlog.bin")
    unittest.main(argv=sys.argv[:1], verbosity=2)
