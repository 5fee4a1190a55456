#!/usr/bin/python3
"""attestd end to end on loopback with a real TPM stack (issue 4 acceptance):

swtpm measures the real vmboot sb-shim-grub log; attestd starts on its embedded defaults; the admin
registers the tenant's TPM root and a host; the host enrolls through credential activation with
tpm2-tools (TPM2_ActivateCredential on swtpm answers attestd's MakeCredential); golden PCRs and a
policy are put; a real quote with the log gets `affirming` and an EAR that python3-jwcrypto (an
independent JOSE implementation) verifies against the JWKS; one changed golden PCR gives
`contraindicated` naming that PCR; replaying a challenge is refused; a quote from another AK is
refused; 200 attestations over 16 connections all get the right verdict.

Runs under Debian's /usr/bin/python3 (python3-jwcrypto). usage: service_e2e_test.py ATTESTD ATTESTCTL TESTDATA
"""
import base64
import concurrent.futures
import http.client
import json
import os
import random
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

from jwcrypto import jwk, jwt

ATTESTD = ATTESTCTL = ""
TESTDATA = Path()
LOG_PATH = ""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def free_port_pair():
    for _ in range(200):
        port = random.randrange(20000, 60000)
        socks = []
        try:
            for p in (port, port + 1):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return port
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port pair")


class Tpm:
    """A swtpm on loopback driven through tpm2-tools."""

    def __init__(self, work: Path):
        self.work = work
        self.port = free_port_pair()
        state = work / "tpmstate"
        state.mkdir()
        subprocess.run(["swtpm_setup", "--tpm2", "--tpmstate", str(state), "--pcr-banks", "sha1,sha256",
                        "--overwrite"], check=True, capture_output=True)
        self.proc = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={state}", "--server",
                                      f"type=tcp,port={self.port},bindaddr=127.0.0.1", "--ctrl",
                                      f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1", "--flags",
                                      "not-need-init,startup-clear"])
        self.env = dict(os.environ, TPM2TOOLS_TCTI=f"swtpm:host=127.0.0.1,port={self.port}")
        for _ in range(100):
            if subprocess.run(["tpm2_getrandom", "8"], env=self.env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)

    def run(self, *args, check=True):
        out = subprocess.run(list(args), env=self.env, cwd=self.work, capture_output=True)
        if check and out.returncode != 0:
            raise AssertionError(f"{args}: {out.stderr.decode()}")
        subprocess.run(["tpm2_flushcontext", "-t"], env=self.env, cwd=self.work, capture_output=True)
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Attestd:
    def __init__(self, work: Path):
        self.dir = work / "data"
        self.proc = subprocess.Popen([ATTESTD, "--data-dir", str(self.dir), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = self.proc.stdout.readline()
        if "listening on https://" not in banner:
            raise AssertionError(f"attestd did not start: {banner} {self.proc.stderr.read()}")
        self.port = int((self.dir / "attestd.port").read_text())
        self.ctx = ssl.create_default_context(cafile=str(self.dir / "tls" / "server.crt"))
        self.admin = (self.dir / "demo-admin.token").read_text().strip()

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)

    def call(self, method, path, body=None, token=None, conn=None):
        c = conn or self.conn()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, (json.loads(data) if data else None)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def cbor(value) -> bytes:
    """A minimal CBOR encoder (RFC 8949) for maps, arrays, text, bytes, ints, bools and null."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for size, code in ((1, 24), (2, 25), (4, 26), (8, 27)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | code]) + n.to_bytes(size, "big")
        raise ValueError(n)
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return head(3, len(data)) + data
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


def make_ca(work: Path):
    """A test TPM manufacturer CA (the tenant's trusted root)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(work / "ca.key"), "-out", str(work / "ca.pem"), "-days", "30", "-subj",
                    "/CN=attestd test TPM CA"], check=True, capture_output=True)


def issue_ek_cert(work: Path, ek_pem: Path) -> bytes:
    ext = work / "ek.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\n")
    subprocess.run(["openssl", "req", "-new", "-key", str(work / "ca.key"), "-subj", "/CN=unused", "-out",
                    str(work / "ek.csr")], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(work / "ek.csr"), "-CA", str(work / "ca.pem"), "-CAkey",
                    str(work / "ca.key"), "-CAcreateserial", "-force_pubkey", str(ek_pem), "-days", "30",
                    "-extfile", str(ext), "-outform", "DER", "-out", str(work / "ek_cert.der")],
                   check=True, capture_output=True)
    return (work / "ek_cert.der").read_bytes()


class ServiceEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(tempfile.mkdtemp())
        cls.tpm = Tpm(cls.work)
        cls.attestd = Attestd(cls.work)
        make_ca(cls.work)
        t = cls.tpm
        # The real boot, measured into the live TPM (EV_NO_ACTION is never extended).
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
        cls.ek_cert = issue_ek_cert(cls.work, cls.work / "ek.pem")

        a, admin = cls.attestd, cls.attestd.admin
        status, _ = a.call("POST", "/v1/tpm-roots", {"certificate": (cls.work / "ca.pem").read_text()}, admin)
        assert status == 201, status
        cls.attester = subprocess.run([ATTESTCTL, "--data-dir", str(a.dir), "token", "create", "--tenant", "demo",
                                       "--role", "attester"], check=True, capture_output=True,
                                      text=True).stdout.strip()
        ak_pub = (cls.work / "ak.pub").read_bytes()
        # Bound to its policy by label, not by name.
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-1", "ak_public": b64(ak_pub),
                                                     "labels": {"role": "gpu-node"}}, admin)
        assert status == 201, body
        # Golden values: the PCRs the real log produces (attestctl's replay of it).
        replay = json.loads(subprocess.run([ATTESTCTL, "eventlog", "replay", LOG_PATH, "--json"], check=True,
                                           capture_output=True).stdout)
        cls.golden = {str(i): [replay["banks"]["sha256"][str(i)]] for i in range(10)}
        cls.put_reference_set(cls.golden)
        status, body = a.call("PUT", "/v1/policies/gpu-node", {
            "version": 1, "name": "gpu-node",
            "require": {"tpm": True, "event_log": True, "gpus": 0},
            "reference_sets": ["vmboot"], "pcrs": {"sha256": list(range(10))}, "max_age_seconds": 300,
            "hosts": {"labels": {"role": "gpu-node"}}}, admin)
        assert status == 200, body

    @classmethod
    def put_reference_set(cls, pcrs):
        status, body = cls.attestd.call("PUT", "/v1/reference-sets/vmboot",
                                        {"version": 1, "name": "vmboot", "pcrs": {"sha256": pcrs}}, cls.attestd.admin)
        assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        cls.attestd.stop()
        cls.tpm.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------
    def enroll(self):
        a, t = self.attestd, self.tpm
        status, body = a.call("POST", "/v1/hosts/node-1/enrollment", {
            "ak_public": b64((self.work / "ak.pub").read_bytes()),
            "ek_public": b64((self.work / "ek.pub").read_bytes()),
            "ek_certificate": b64(self.ek_cert)}, self.attester)
        self.assertEqual(status, 201, body)
        (self.work / "cred.bin").write_bytes(base64.b64decode(body["credential"]))
        t.run("tpm2_startauthsession", "--policy-session", "-S", "session.ctx")
        t.run("tpm2_policysecret", "-S", "session.ctx", "-c", "e")
        t.run("tpm2_activatecredential", "-c", "ak.ctx", "-C", "ek.ctx", "-i", "cred.bin", "-o", "secret.bin", "-P",
              "session:session.ctx")
        t.run("tpm2_flushcontext", "session.ctx", check=False)
        status, body = a.call("POST", f"/v1/hosts/node-1/enrollment/{body['enrollment_id']}/activate",
                              {"secret": b64((self.work / "secret.bin").read_bytes())}, self.attester)
        self.assertEqual((status, body["trusted"]), (200, True), body)

    def quote(self, nonce_hex, ak_ctx="ak.ctx"):
        self.tpm.run("tpm2_quote", "-c", ak_ctx, "-l", "sha256:0,1,2,3,4,5,6,7,8,9", "-q", nonce_hex, "-m", "q.msg",
                     "-s", "q.sig", "-g", "sha256")
        out = self.tpm.run("tpm2_pcrread", "sha256:0,1,2,3,4,5,6,7,8,9").stdout.decode()
        pcrs = {}
        for line in out.splitlines():
            if ":" in line and "0x" in line:
                idx, val = line.split(":", 1)
                pcrs[idx.strip()] = val.strip().lower().removeprefix("0x")
        return {"quote": b64((self.work / "q.msg").read_bytes()), "signature": b64((self.work / "q.sig").read_bytes()),
                "pcrs": {"sha256": pcrs}, "event_log": b64(Path(LOG_PATH).read_bytes())}

    def challenge(self, conn=None):
        status, body = self.attestd.call("POST", "/v1/challenges", {"host_id": "node-1"}, self.attester, conn)
        self.assertEqual(status, 201, body)
        return body

    # -- the acceptance, in order --------------------------------------------------------------
    def test_flow(self):
        a = self.attestd
        # Before activation the AK is not trusted.
        c = self.challenge()
        status, body = a.call("POST", "/v1/attestations", {"challenge_id": c["challenge_id"], "host_id": "node-1",
                                                             "tpm": self.quote(c["nonce"])}, self.attester)
        self.assertEqual((status, body["reasons"][0]["id"]), (409, "attestation.host_not_enrolled"), body)

        self.enroll()

        c = self.challenge()
        evidence = {"challenge_id": c["challenge_id"], "host_id": "node-1", "tpm": self.quote(c["nonce"])}
        status, body = a.call("POST", "/v1/attestations", evidence, self.attester)
        self.assertEqual(status, 200, body)
        self.assertEqual((body["verdict"], body["reasons"]), ("affirming", []), body)

        # The EAR, checked by jwcrypto against our JWKS.
        status, jwks = a.call("GET", "/.well-known/jwks.json")
        self.assertEqual(status, 200)
        keyset = jwk.JWKSet.from_json(json.dumps(jwks))
        token = jwt.JWT(jwt=body["token"], key=keyset, algs=["ES256"])
        claims = json.loads(token.claims)
        self.assertEqual(claims["ear.status"], "affirming")
        self.assertEqual(claims["submods"]["tpm0"]["ear.status"], "affirming")
        self.assertEqual(claims["eat_profile"], "tag:github.com,2023:veraison/ear")
        self.assertEqual(base64.urlsafe_b64decode(claims["eat_nonce"] + "=" * (-len(claims["eat_nonce"]) % 4)).hex(),
                         c["nonce"])

        # The same challenge again: refused.
        status, body = a.call("POST", "/v1/attestations", evidence, self.attester)
        self.assertEqual((status, body["reasons"][0]["id"]), (409, "attestation.challenge_consumed"), body)

        # A quote from another AK of the same TPM: the signature does not verify under the enrolled AK.
        self.tpm.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak2.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                     "-u", "ak2.pub", "-n", "ak2.name")
        c = self.challenge()
        status, body = a.call("POST", "/v1/attestations", {"challenge_id": c["challenge_id"], "host_id": "node-1",
                                                             "tpm": self.quote(c["nonce"], "ak2.ctx")}, self.attester)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["verdict"], "contraindicated")
        self.assertIn("tpm.quote.signature_invalid", [r["id"] for r in body["reasons"]])

        # 200 attestations over 16 connections, each with its own challenge: all affirming.
        def one(conn):
            ch = self.challenge(conn)
            # Quotes come from one TPM: serialise them, the server sees the concurrency.
            with quote_lock:
                tpm_evidence = self.quote(ch["nonce"])
            s, b = a.call("POST", "/v1/attestations", {"challenge_id": ch["challenge_id"], "host_id": "node-1",
                                                        "tpm": tpm_evidence}, self.attester, conn)
            return s, b.get("verdict"), b.get("reasons")

        import threading
        quote_lock = threading.Lock()
        conns = [a.conn() for _ in range(16)]

        # Each connection belongs to one thread for the whole run (an http.client connection
        # carries one request at a time): thread k sends attestations k, k+16, k+32, ...
        def lane(k):
            return [one(conns[k]) for _ in range(k, 200, 16)]

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = [r for lane_results in pool.map(lane, range(16)) for r in lane_results]
        for c_ in conns:
            c_.close()
        bad = [r for r in results if r[0] != 200 or r[1] != "affirming"]
        self.assertEqual(bad, [])
        self.assertEqual(len(results), 200)

        # The same exchange in CBOR: byte strings instead of base64, and a CBOR answer.
        c = self.challenge()
        tpm_evidence = self.quote(c["nonce"])
        for field in ("quote", "signature", "event_log"):
            tpm_evidence[field] = base64.b64decode(tpm_evidence[field])
        conn = a.conn()
        conn.request("POST", "/v1/attestations", body=cbor({"challenge_id": c["challenge_id"], "host_id": "node-1",
                                                             "tpm": tpm_evidence}),
                     headers={"Content-Type": "application/cbor", "Accept": "application/cbor",
                              "Authorization": f"Bearer {self.attester}"})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        self.assertEqual((resp.status, resp.getheader("Content-Type")), (200, "application/cbor"), raw[:200])
        self.assertIn(cbor("affirming"), raw)

        # A real NVIDIA report cannot carry our fresh nonce: the GPU path refuses it with the
        # evidence core's reason, on its own submodule, while its certificate chain still validates.
        sample = TESTDATA / "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples"
        c = self.challenge()
        status, body = a.call("POST", "/v1/attestations", {
            "challenge_id": c["challenge_id"], "host_id": "node-1", "tpm": self.quote(c["nonce"]),
            "gpus": [{"vendor": "nvidia",
                      "report": b64(bytes.fromhex((sample / "hopperAttestationReport.txt").read_text().strip())),
                      "certificate_chain": (sample / "hopperCertChain.txt").read_text()}]}, self.attester)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["verdict"], "contraindicated")
        gpu_reasons = [r["id"] for r in body["reasons"] if r["submod"] == "gpu0"]
        self.assertIn("gpu.report.nonce_mismatch", gpu_reasons)
        self.assertNotIn("gpu.cert.chain_invalid", gpu_reasons)

        # One golden PCR changed: contraindicated, naming the PCR.
        golden = dict(self.golden)
        golden["4"] = ["00" * 32]
        self.put_reference_set(golden)
        c = self.challenge()
        status, body = a.call("POST", "/v1/attestations", {"challenge_id": c["challenge_id"], "host_id": "node-1",
                                                             "tpm": self.quote(c["nonce"])}, self.attester)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["verdict"], "contraindicated")
        mismatches = [r for r in body["reasons"] if r["id"] == "policy.golden.pcr_mismatch"]
        self.assertEqual(len(mismatches), 1, body)
        self.assertIn("PCR 4", mismatches[0]["message"])

        # /metrics counts verdicts by reason id and exposes the group-commit counters (whether writes
        # batch is the store's own test: here the single swtpm serialises the quotes).
        c = a.conn()
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        self.assertEqual(values.get('attestd_attestations_total{verdict="affirming"}'), 202.0, text)
        self.assertEqual(values.get('attestd_attestations_total{verdict="contraindicated"}'), 3.0)
        self.assertEqual(values.get('attestd_attestation_reasons_total{reason="policy.golden.pcr_mismatch"}'), 1.0)
        # Every challenge and every attestation is a write job: 205 + 203 at least.
        self.assertGreaterEqual(values.get('attestd_db_writes{what="jobs"}', 0), 408)
        self.assertGreater(values.get('attestd_db_writes{what="batches"}', 0), 0)


if __name__ == "__main__":
    ATTESTD, ATTESTCTL, TESTDATA = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    LOG_PATH = str(TESTDATA / "vmboot/sb-shim-grub/eventlog.bin")
    unittest.main(argv=sys.argv[:1], verbosity=2)
