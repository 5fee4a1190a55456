#!/usr/bin/python3
"""attest-agent end to end (issue 9 acceptance): the real agent binary against swtpm and a real
attestd on loopback.

swtpm measures the real vmboot sb-shim-grub log; its EK certificate (issued by a test manufacturer
CA over the EK that tpm2_createek derives from the standard template) sits in NV 0x01c00002 where
the agent reads it. The agent creates and persists its AK, enrolls through credential activation,
attests `affirming` and receives a key that equals the stored secret (mode 0600); its AK stays the
same across runs; `run` survives an attestd restart; after tpm2_pcrextend the verdict is
`contraindicated` and no key is written; an unreachable or silent TPM gives a clear error and a
non-zero exit within a bounded time; no private key material is left in the state or output dirs.
EKs from the three standard templates (RSA 2048, ECC P-256, ECC P-384 H-3 with its certificate at
0x01c00016) enroll. `run` keeps going through attestd being killed, a server that never answers,
5xx answers, a TPM that never answers and a missing event log, and ends non-zero on configuration
errors only. A configured event log that cannot be read fails the attestation ("none" opts out).
Under strace, the only file `attest` opens for writing is the released key's.

usage: agent_e2e_test.py ATTEST_AGENT ATTESTD ATTESTCTL TESTDATA FAKE_NVML   (Debian's /usr/bin/python3)
"""
import json
import os
import re
import signal
import socket
import stat
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
import service_e2e_test as base  # noqa: E402  (Tpm, make_ca, issue_ek_cert, b64)

AGENT = ATTESTD = ATTESTCTL = FAKE_NVML = ""
TESTDATA = Path()
LOG_PATH = ""
SECRET = b"\x00\xffagent-e2e-SECRET-" + os.urandom(16)
b64 = base.b64


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Attestd(base.Attestd):
    """attestd on a fixed loopback port so that a restart comes back at the same address."""

    def __init__(self, work: Path, port: int, generation: int = 0):
        self.dir = work / "data"
        self.log = work / f"attestd-{generation}.log"
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen([ATTESTD, "--data-dir", str(self.dir), "--listen", f"127.0.0.1:{port}"],
                                     stdout=self.logf, stderr=subprocess.STDOUT, text=True)
        for _ in range(300):
            if "listening on https://" in self.log.read_text():
                break
            if self.proc.poll() is not None:
                raise AssertionError(f"attestd did not start: {self.log.read_text()}")
            time.sleep(0.05)
        else:
            raise AssertionError("attestd did not start in 15 s")
        import ssl
        self.port = port
        self.ctx = ssl.create_default_context(cafile=str(self.dir / "tls" / "server.crt"))
        self.admin = (self.dir / "demo-admin.token").read_text().strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.logf.close()


class SilentListener:
    """`count` consecutive loopback ports that accept connections and never answer."""

    def __init__(self, count, port=None):
        self.count = count
        self.port = port
        self.stop = threading.Event()
        self.accepted = []
        self.listeners = []
        self.threads = []

    def __enter__(self):
        for _ in range(50):
            port = self.port or free_port()
            try:
                self.listeners = [socket.socket() for _ in range(self.count)]
                for i, s in enumerate(self.listeners):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", port + i))
                    s.listen(4)
                break
            except OSError:
                for s in self.listeners:
                    s.close()
        for s in self.listeners:
            th = threading.Thread(target=self.accept_all, args=(s,), daemon=True)
            th.start()
            self.threads.append(th)
        return port

    def accept_all(self, s):
        s.settimeout(0.2)
        while not self.stop.is_set():
            try:
                self.accepted.append(s.accept()[0])
            except OSError:
                pass

    def __exit__(self, *exc):
        self.stop.set()
        for th in self.threads:
            th.join()
        for s in self.listeners + self.accepted:
            s.close()


class FailingServer:
    """An HTTPS server on loopback (its own self-signed certificate, which the agent pins) that
    answers every request with 503 and an RFC 9457 problem, as attestd does when overloaded."""

    def __init__(self, work: Path):
        import http.server
        import ssl
        self.cert, self.key = work / "failing.crt", work / "failing.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(self.key), "-out", str(self.cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.dumps({"type": "about:blank", "status": 503, "title": "Service Unavailable",
                                   "reasons": [{"id": "server.overloaded", "message": "try later"}]}).encode()
                self.send_response(503)
                self.send_header("Content-Type", "application/problem+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_lines(out):
    """The log lines of `run` (stdout), each checked to be one attestation's line."""
    lines = out.stdout.splitlines()
    for line in lines:
        assert "host=" in line and ("verdict=" in line or "error=" in line), line
    return lines


class AgentEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base.ATTESTD, base.ATTESTCTL = ATTESTD, ATTESTCTL
        cls.work = Path(tempfile.mkdtemp())
        cls.tpm = base.Tpm(cls.work)
        cls.port = free_port()
        cls.attestd = Attestd(cls.work, cls.port)
        base.make_ca(cls.work)
        t = cls.tpm
        events = json.loads(subprocess.run([ATTESTCTL, "eventlog", "show", LOG_PATH, "--json"], check=True,
                                           capture_output=True).stdout)["events"]
        for e in events:
            if e["type"] == 3:  # EV_NO_ACTION is never extended
                continue
            spec = ",".join(f"{bank}={e['digests'][bank]}" for bank in ("sha1", "sha256"))
            t.run("tpm2_pcrextend", f"{e['pcr']}:{spec}")
        # The manufacturer's EK certificate, provisioned in NV as the TCG EK profile says.
        t.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub", "-f", "tss")
        t.run("tpm2_readpublic", "-c", "ek.ctx", "-f", "pem", "-o", "ek.pem")
        cert = base.issue_ek_cert(cls.work, cls.work / "ek.pem")
        t.run("tpm2_nvdefine", "0x01c00002", "-C", "o", "-s", str(len(cert)), "-a",
              "ownerread|ownerwrite|authread|no_da")
        t.run("tpm2_nvwrite", "0x01c00002", "-C", "o", "-i", "ek_cert.der")

        a, admin = cls.attestd, cls.attestd.admin
        status, body = a.call("POST", "/v1/tpm-roots", {"certificate": (cls.work / "ca.pem").read_text()}, admin)
        assert status == 201, body
        (cls.work / "attester.token").write_text(subprocess.run(
            [ATTESTCTL, "--data-dir", str(a.dir), "token", "create", "--tenant", "demo", "--role", "attester"],
            check=True, capture_output=True, text=True).stdout.strip() + "\n")
        cls.state = cls.work / "agent-state"
        cls.config = cls.work / "agent.json"
        cls.config.write_text(json.dumps({
            "server": f"https://127.0.0.1:{cls.port}", "ca_file": str(a.dir / "tls" / "server.crt"),
            "credential_file": str(cls.work / "attester.token"), "host_id": "node-1", "tcti": t.env["TPM2TOOLS_TCTI"],
            "state_dir": str(cls.state), "pcrs": list(range(10)), "event_log": LOG_PATH, "tpm_timeout_s": 20}))
        # `init` makes the AK; the administrator registers the host with its public area.
        out = cls.agent("init")
        assert out.returncode == 0, out.stderr
        cls.ak_name = out.stdout.split()[0].removeprefix("ak_name=")
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-1",
                                                     "ak_public": b64((cls.state / "ak.pub").read_bytes()),
                                                     "labels": {"role": "gpu-node"}}, admin)
        assert status == 201, body
        replay = json.loads(subprocess.run([ATTESTCTL, "eventlog", "replay", LOG_PATH, "--json"], check=True,
                                           capture_output=True).stdout)
        golden = {str(i): [replay["banks"]["sha256"][str(i)]] for i in range(10)}
        status, body = a.call("PUT", "/v1/reference-sets/vmboot",
                              {"version": 1, "name": "vmboot", "pcrs": {"sha256": golden}}, admin)
        assert status == 200, body
        status, body = a.call("PUT", "/v1/policies/gpu-node", {
            "version": 1, "name": "gpu-node", "require": {"tpm": True, "event_log": True, "gpus": 0},
            "reference_sets": ["vmboot"], "pcrs": {"sha256": list(range(10))}, "max_age_seconds": 300,
            "hosts": {"labels": {"role": "gpu-node"}}}, admin)
        assert status == 200, body
        status, body = a.call("PUT", "/v1/keys/model-key", {"secret": b64(SECRET), "policies": ["gpu-node"]}, admin)
        assert status == 201, body

    @classmethod
    def tearDownClass(cls):
        if cls.attestd.proc.poll() is None:
            cls.attestd.stop()
        cls.tpm.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def agent(cls, *args, timeout=60, config=True, env=None):
        cmd = [AGENT] + (["--config", str(cls.config)] if config else []) + list(args)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if os.environ.get("AGENT_E2E_VERBOSE"):
            print(f"\n$ {' '.join(args)} -> {out.returncode}\n{out.stdout}{out.stderr}", file=sys.stderr)
        return out

    # -- the acceptance, in order --------------------------------------------------------------
    def test_1_enroll(self):
        # Before activation the service refuses the host's evidence.
        out = self.agent("attest")
        self.assertEqual(out.returncode, 1, out)
        self.assertIn("attestation.host_not_enrolled", out.stderr)
        out = self.agent("enroll")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"ak_name={self.ak_name}", out.stdout)
        status, host = self.attestd.call("GET", "/v1/hosts/node-1", None, self.attestd.admin)
        self.assertEqual((status, host["trusted"], host["ak_name"]), (200, True, self.ak_name), host)

    def test_2_ak_is_reused_across_runs(self):
        before = {p.name: p.read_bytes() for p in self.state.iterdir()}
        out = self.agent("init")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(),
                         [f"ak_name={self.ak_name}", f"ak_public={self.state / 'ak.pub'}", "loaded"])
        self.assertEqual({p.name: p.read_bytes() for p in self.state.iterdir()}, before)

    def test_3_attest_affirming_releases_the_key(self):
        out_dir = self.work / "keys-p256"
        out_dir.mkdir()
        out = self.agent("attest", "--release", "model-key", "--release", "missing", "--out", str(out_dir))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("verdict=affirming", out.stdout)
        self.assertIn("reasons=[]", out.stdout)
        self.assertIn("released=[model-key]", out.stdout)
        self.assertIn("refused=[missing:key.not_found]", out.stdout)
        key_file = out_dir / "model-key"
        self.assertEqual(key_file.read_bytes(), SECRET)
        self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)
        # The RSA-3072 ephemeral key (RSA-OAEP-256), to stdout.
        out = self.agent("--key-type", "rsa3072", "attest", "--release", "model-key", "--stdout")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"model-key {b64(SECRET)}\n", out.stdout)
        self.assertIn("verdict=affirming", out.stdout)

    def test_3e_ecc_ek_and_ak_enroll_and_attest(self):
        # Template L-2 (ECC P-256) EK with its certificate at 0x01c0000a, an ECDSA AK, ECDH credential activation.
        t, a = self.tpm, self.attestd
        t.run("tpm2_createek", "-c", "ek-ecc.ctx", "-G", "ecc", "-u", "ek-ecc.pub", "-f", "tss")
        t.run("tpm2_readpublic", "-c", "ek-ecc.ctx", "-f", "pem", "-o", "ek-ecc.pem")
        cert = base.issue_ek_cert(self.work, self.work / "ek-ecc.pem")
        t.run("tpm2_nvdefine", "0x01c0000a", "-C", "o", "-s", str(len(cert)), "-a",
              "ownerread|ownerwrite|authread|no_da")
        t.run("tpm2_nvwrite", "0x01c0000a", "-C", "o", "-i", "ek_cert.der")
        state = self.work / "agent-state-ecc"
        flags = ["--host-id", "node-2", "--state-dir", str(state), "--ek-alg", "ecc", "--ak-alg", "ecc"]
        out = self.agent(*flags, "init")
        self.assertEqual(out.returncode, 0, out.stderr)
        status, body = a.call("POST", "/v1/hosts", {"host_id": "node-2",
                                                     "ak_public": b64((state / "ak.pub").read_bytes()),
                                                     "labels": {"role": "gpu-node"}}, a.admin)
        self.assertEqual(status, 201, body)
        out = self.agent(*flags, "enroll")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.attestd.call("GET", "/v1/hosts/node-2", None, a.admin)[1]["ak_name"],
                         out.stdout.split()[-1].removeprefix("ak_name="))
        out = self.agent(*flags, "attest", "--release", "model-key", "--stdout")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("verdict=affirming", out.stdout)
        self.assertIn(f"model-key {b64(SECRET)}\n", out.stdout)
        out = subprocess.run(["tpm2_print", "-t", "TPM2B_PUBLIC", str(state / "ak.pub")], capture_output=True,
                             text=True)
        self.assertIn("ecdsa", out.stdout)

    def test_3g_gpu_report_files_reach_the_verifier(self):
        # A real H100 report (hex, as NVIDIA's SDK stores it) and its chain: carried to attestd intact,
        # so the only GPU finding is that its nonce is not this attestation's binding.
        gpu = TESTDATA / "nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/testdata"
        out = self.agent("attest", "--gpu-report", str(gpu / "hopperAttestationReport.txt"),
                         "--gpu-chain", str(gpu / "hopperCertChain.txt"))
        self.assertEqual(out.returncode, 2, out)
        self.assertIn("verdict=contraindicated", out.stdout)
        self.assertIn("gpu.report.nonce_mismatch", out.stdout)
        self.assertNotIn("gpu.report.malformed", out.stdout)
        self.assertNotIn("gpu.report.signature_invalid", out.stdout)

    def test_3n_nvml_gpus_are_collected_at_run_time(self):
        # Through the NVML API (dlopen'ed; here a stand-in serving a real H100 report and chain):
        # the GPU without confidential computing is skipped, the other's report reaches attestd,
        # which verifies it and finds the recorded nonce is not this attestation's binding.
        gpu = TESTDATA / "nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/testdata"
        nonce_file = self.work / "nvml-nonce"
        env = dict(os.environ, FAKE_NVML_REPORT=str(gpu / "hopperAttestationReport.txt"),
                   FAKE_NVML_CHAIN=str(gpu / "hopperCertChain.txt"), FAKE_NVML_NONCE=str(nonce_file))
        out = self.agent("--nvml-library", FAKE_NVML, "attest", env=env)
        self.assertEqual(out.returncode, 2, out)
        self.assertIn("gpu.report.nonce_mismatch", out.stdout)
        self.assertNotIn("gpu.report.malformed", out.stdout)
        self.assertNotIn("gpu.report.signature_invalid", out.stdout)
        self.assertNotIn("gpu.cert.", out.stdout)
        self.assertRegex(nonce_file.read_text(), "^[0-9a-f]{64}$")
        # --no-nvml: the library is not asked at all.
        nonce_file.unlink()
        out = self.agent("--nvml-library", FAKE_NVML, "--no-nvml", "attest", env=env)
        self.assertEqual(out.returncode, 0, out)
        self.assertIn("verdict=affirming", out.stdout)
        self.assertFalse(nonce_file.exists())

    def test_3l_unreadable_event_log_fails_closed(self):
        # A configured log that is missing, unreadable or empty fails the attestation: it is never
        # left out silently. Only "none" attests without one, and the policy then sees no log.
        empty = self.work / "empty-eventlog"
        empty.write_bytes(b"")
        for path, reason in ((self.work / "no-such-log", "agent.eventlog.missing"),
                             (self.work, "agent.eventlog.unreadable"),  # a directory: opens, never reads
                             (empty, "agent.eventlog.empty")):
            out = self.agent("--event-log", str(path), "attest")
            self.assertEqual(out.returncode, 1, out)
            self.assertIn(f"attest-agent: {reason}: ", out.stderr)
            self.assertIn(str(path), out.stderr)
            self.assertNotIn("verdict=", out.stdout)
        out = self.agent("--event-log", "none", "attest")
        self.assertEqual(out.returncode, 2, out)
        self.assertIn("verdict=contraindicated", out.stdout)
        self.assertIn("policy.evidence.event_log_missing", out.stdout)
        # An empty value is neither a path nor the opt-out: a configuration error.
        out = self.agent("--event-log", "", "attest")
        self.assertEqual(out.returncode, 78, out)
        self.assertIn("agent.config.invalid", out.stderr)
        # `run` logs the failure and tries again; it does not exit.
        out = self.agent("--event-log", str(self.work / "no-such-log"), "run", "--interval", "200ms",
                         "--max-backoff", "200ms", "--count", "2")
        self.assertEqual(out.returncode, 0, out)
        lines = run_lines(out)
        self.assertEqual(len(lines), 2, out.stdout)
        for line in lines:
            self.assertIn("error=agent.eventlog.missing", line)

    def test_3p_ecc_p384_ek_enrolls_and_attests(self):
        # Template H-3 (ECC P-384, nameAlg SHA-384, AES-256-CFB, PolicyB, userWithAuth) with its
        # certificate at the high-range index 0x01c00016. The certificate is issued over the key
        # tpm2_createek -G ecc384 derives, so enrollment (which checks that the certificate's key is
        # the EK the agent sends, then activates a credential made to it with KDFe SHA-384 and
        # AES-256) passes only if the agent's template is byte for byte the standard one and it read
        # the certificate from 0x01c00016 (0x01c0000a holds the P-256 EK's, test_3e).
        t, a = self.tpm, self.attestd
        t.run("tpm2_createek", "-c", "ek-384.ctx", "-G", "ecc384", "-u", "ek-384.pub", "-f", "tss")
        t.run("tpm2_readpublic", "-c", "ek-384.ctx", "-f", "pem", "-o", "ek-384.pem")
        cert = base.issue_ek_cert(self.work, self.work / "ek-384.pem")
        t.run("tpm2_nvdefine", "0x01c00016", "-C", "o", "-s", str(len(cert)), "-a",
              "ownerread|ownerwrite|authread|no_da")
        t.run("tpm2_nvwrite", "0x01c00016", "-C", "o", "-i", "ek_cert.der")
        state = self.work / "agent-state-384"
        for ak_alg, host in (("ecc", "node-3"), ("rsa", "node-4")):
            flags = ["--host-id", host, "--state-dir", str(state / ak_alg), "--ek-alg", "ecc384", "--ak-alg", ak_alg]
            out = self.agent(*flags, "init")
            self.assertEqual(out.returncode, 0, out.stderr)
            status, body = a.call("POST", "/v1/hosts", {"host_id": host,
                                                         "ak_public": b64((state / ak_alg / "ak.pub").read_bytes()),
                                                         "labels": {"role": "gpu-node"}}, a.admin)
            self.assertEqual(status, 201, body)
            out = self.agent(*flags, "enroll")
            self.assertEqual(out.returncode, 0, out.stderr)
            host_record = self.attestd.call("GET", f"/v1/hosts/{host}", None, a.admin)[1]
            self.assertTrue(host_record["trusted"], host_record)
            out = self.agent(*flags, "attest", "--release", "model-key", "--stdout")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("verdict=affirming", out.stdout)
            self.assertIn(f"model-key {b64(SECRET)}\n", out.stdout)

    def test_4_no_private_key_material_on_disk(self):
        # The state dir holds the AK pair only (its private part TPM-wrapped); the output dir the key.
        self.assertEqual(sorted(p.name for p in self.state.iterdir()), ["ak.priv", "ak.pub"])
        self.assertEqual(sorted(p.name for p in (self.work / "keys-p256").iterdir()), ["model-key"])
        for d in (self.state, self.work / "keys-p256"):
            for p in d.iterdir():
                data = p.read_bytes()
                for marker in (b"PRIVATE KEY", b'"d"', b"-----BEGIN"):
                    self.assertNotIn(marker, data, p)
        # tpm2-tools reads the AK pair as the TPM structures they claim to be.
        out = subprocess.run(["tpm2_print", "-t", "TPM2B_PUBLIC", str(self.state / "ak.pub")], capture_output=True,
                             text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign", out.stdout)

    def test_4s_only_the_released_key_is_written_to_disk(self):
        # Every file the agent opens for writing, creates, renames, links or truncates during an
        # attestation with key release, as the kernel sees it (strace): only the released key's
        # temporary file, renamed into place, holding exactly the secret. The ephemeral private key
        # has no file to go to; core dumps are off (PR_SET_DUMPABLE 0) so it cannot leave that way.
        out_dir = self.work / "keys-strace"
        out_dir.mkdir()
        trace = self.work / "attest.strace"
        syscalls = "open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,truncate,mknodat,memfd_create,prctl"
        for key_type in ("p256", "rsa3072"):
            for f in out_dir.iterdir():
                f.unlink()
            # In the sanitized build (scripts/sanitize.sh) LeakSanitizer cannot run under ptrace and
            # aborts the agent; the other tests check leaks. No effect on an uninstrumented agent.
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
            out = subprocess.run(["strace", "-f", "-qq", "-e", f"trace={syscalls}", "-o", str(trace), AGENT,
                                  "--config", str(self.config), "--key-type", key_type, "attest", "--release",
                                  "model-key", "--out", str(out_dir)], capture_output=True, text=True, timeout=60,
                                 env=env)
            self.assertEqual(out.returncode, 0, out)
            self.assertIn("released=[model-key]", out.stdout)
            calls = trace.read_text().splitlines()
            written = []
            for call in calls:
                m = re.search(r'\b(open|openat|openat2|creat)\((?:AT_FDCWD, |\d+, )?"([^"]*)", ([^,)]*)', call)
                if m and (m.group(1) == "creat" or re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", m.group(3))):
                    written.append(m.group(2))  # attempts count too, whether they succeeded or not
                elif re.search(r"\b(rename|renameat2?|link|linkat|truncate|mknodat|memfd_create)\(", call):
                    written.append(call.split("(", 1)[1])
            tmp = str(out_dir / ".model-key.tmp")
            self.assertEqual(written[0], tmp, "\n".join(calls))
            self.assertEqual(len(written), 2, written)
            self.assertIn(f'"{tmp}"', written[1])
            self.assertIn(f'"{out_dir / "model-key"}"', written[1])
            self.assertTrue(any("prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE" in c for c in calls), calls)
            self.assertEqual([p.name for p in out_dir.iterdir()], ["model-key"])
            self.assertEqual((out_dir / "model-key").read_bytes(), SECRET)

    def test_5_run_survives_attestd_restart(self):
        # attestd killed mid-run (SIGKILL, no goodbye), then its address taken by a server that
        # accepts and never answers, then attestd back: `run` logs each failure, keeps going and
        # attests affirming again; only the signal ends it, with status 0.
        log = self.work / "run.log"
        with open(log, "w") as logf:
            proc = subprocess.Popen([AGENT, "--config", str(self.config), "--server-timeout", "1", "run",
                                     "--interval", "1s", "--max-backoff", "2s"], stdout=logf, stderr=subprocess.STDOUT)
            try:
                def wait_for(predicate, what, limit=30):
                    deadline = time.monotonic() + limit
                    while time.monotonic() < deadline:
                        lines = log.read_text().splitlines()
                        if predicate(lines):
                            return lines
                        self.assertIsNone(proc.poll(), f"the agent exited: {log.read_text()}")
                        time.sleep(0.1)
                    self.fail(f"no {what} in {limit} s: {log.read_text()}")

                wait_for(lambda ls: any("verdict=affirming" in l for l in ls), "first verdict")
                self.attestd.proc.kill()
                self.attestd.proc.wait(timeout=30)
                self.attestd.logf.close()
                lines = wait_for(lambda ls: any("error=agent.server.unreachable" in l for l in ls), "retry")
                with SilentListener(1, port=self.port):
                    errors_at = len(lines)
                    lines = wait_for(lambda ls: any("error=agent.server.timeout" in l for l in ls[errors_at:]),
                                     "server timeout")
                errors_at = len(lines)
                type(self).attestd = Attestd(self.work, self.port, generation=1)
                lines = wait_for(lambda ls: any("verdict=affirming" in l for l in ls[errors_at:]), "recovery")
                for line in lines:  # one line per attestation, each naming the host
                    self.assertIn("host=node-1", line)
                    self.assertTrue("verdict=" in line or "error=" in line, line)
            finally:
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=10)
        self.assertEqual(rc, 0, log.read_text())

    def test_5x_run_retries_5xx_with_backoff(self):
        # A 503 (with its problem's reason id) is logged and retried after a jittered, growing wait.
        with FailingServer(self.work) as server:
            out = self.agent("--server", f"https://127.0.0.1:{server.port}", "--ca-file", str(server.cert), "run",
                             "--interval", "100ms", "--max-backoff", "5s", "--count", "3")
            requests = server.requests
        self.assertEqual(out.returncode, 0, out)
        lines = run_lines(out)
        self.assertEqual(len(lines), 3, out.stdout)
        waits = []
        for line in lines:
            self.assertIn("error=server.overloaded", line)
            self.assertIn("HTTP 503", line)
            waits.append(int(line.split("retry_in=")[1].split("ms")[0]))
        # Full jitter in [ceiling/2, ceiling], ceiling = 0.5 s * 2^failures: 1 s, 2 s, 4 s.
        for wait, ceiling in zip(waits, (1000, 2000, 4000)):
            self.assertGreaterEqual(wait, ceiling // 2, waits)
            self.assertLessEqual(wait, ceiling, waits)
        self.assertEqual(requests, 3)  # one challenge request per attempt, none after the count

    def test_6_changed_pcr_is_contraindicated_without_key(self):
        self.tpm.run("tpm2_pcrextend", "7:sha256=" + "11" * 32)
        out_dir = self.work / "keys-after-extend"
        out_dir.mkdir()
        out = self.agent("attest", "--release", "model-key", "--out", str(out_dir))
        self.assertEqual(out.returncode, 2, out)
        self.assertIn("verdict=contraindicated", out.stdout)
        self.assertIn("released=[]", out.stdout)
        self.assertIn("refused=[model-key:ear.not_affirming]", out.stdout)
        self.assertEqual(list(out_dir.iterdir()), [])

    def test_7_unreachable_tpm_fails_fast_and_clearly(self):
        port = free_port()
        start = time.monotonic()
        out = self.agent("--tcti", f"swtpm:host=127.0.0.1,port={port}", "attest")
        self.assertEqual(out.returncode, 1, out)
        self.assertIn("agent.tpm.unreachable", out.stderr)
        self.assertLess(time.monotonic() - start, 10)

    def test_7f_tpm_in_failure_mode_is_named_and_run_keeps_retrying(self):
        # swtpm's CMD_STOP leaves a TPM that answers every command with TPM_RC_FAILURE.
        work = self.work / "failing"
        work.mkdir()
        failing = base.Tpm(work)
        try:
            subprocess.run(["swtpm_ioctl", "--tcp", f"127.0.0.1:{failing.port + 1}", "--stop"], check=True,
                           capture_output=True)
            tcti = failing.env["TPM2TOOLS_TCTI"]
            out = self.agent("--tcti", tcti, "--state-dir", str(work / "state"), "attest")
            self.assertEqual(out.returncode, 1, out)
            self.assertIn("agent.tpm.failure_mode", out.stderr)
            # `run` does not exit on it: it logs and retries (here twice, then stops as told).
            out = self.agent("--tcti", tcti, "--state-dir", str(work / "state"), "run", "--interval", "200ms",
                             "--max-backoff", "200ms", "--count", "2")
            self.assertEqual(out.returncode, 0, out)
            lines = out.stdout.splitlines()
            self.assertEqual(len(lines), 2, out.stdout)
            for line in lines:
                self.assertIn("error=agent.tpm.failure_mode", line)
        finally:
            failing.stop()

    def test_7r_run_reconnects_to_a_restarted_tpm(self):
        # The TPM goes away under `run` (swtpm stopped: the TCTI connection breaks) and comes back
        # with the same state: the agent logs agent.tpm.unreachable meanwhile, then opens the TPM
        # again, loads its AK and quotes. (Another TPM than node-1's, so attestd answers with a
        # verdict against it; what matters is that the quote reached attestd again.)
        work = self.work / "restarting"
        work.mkdir()
        tpm = base.Tpm(work)
        swtpm_args = tpm.proc.args
        log = work / "run.log"
        with open(log, "w") as logf:
            proc = subprocess.Popen([AGENT, "--config", str(self.config), "--tcti", tpm.env["TPM2TOOLS_TCTI"],
                                     "--state-dir", str(work / "state"), "--tpm-timeout", "5", "run", "--interval",
                                     "300ms", "--max-backoff", "500ms"], stdout=logf, stderr=subprocess.STDOUT)
            try:
                def wait_for(predicate, what, limit=30):
                    deadline = time.monotonic() + limit
                    while time.monotonic() < deadline:
                        lines = log.read_text().splitlines()
                        if predicate(lines):
                            return lines
                        self.assertIsNone(proc.poll(), f"the agent exited: {log.read_text()}")
                        time.sleep(0.1)
                    self.fail(f"no {what} in {limit} s: {log.read_text()}")

                wait_for(lambda ls: any("verdict=" in l for l in ls), "first quote")
                tpm.stop()
                lines = wait_for(lambda ls: any("error=agent.tpm.unreachable" in l for l in ls), "TPM error")
                tpm.proc = subprocess.Popen(swtpm_args)
                errors_at = len(lines)
                wait_for(lambda ls: any("verdict=" in l for l in ls[errors_at:]), "quote after the restart")
            finally:
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=10)
                tpm.stop()
        if os.environ.get("AGENT_E2E_VERBOSE"):
            print(log.read_text(), file=sys.stderr)
        self.assertEqual(rc, 0, log.read_text())

    def test_8_silent_tpm_gives_timeout_not_hang(self):
        # A TPM that accepts the connection and never answers (a hung device): bounded by --tpm-timeout.
        with SilentListener(2) as port:
            start = time.monotonic()
            out = self.agent("--tcti", f"swtpm:host=127.0.0.1,port={port}", "--tpm-timeout", "2", "attest", timeout=30)
            elapsed = time.monotonic() - start
        self.assertEqual(out.returncode, 3, out)
        self.assertIn("agent.tpm.timeout", out.stderr)
        self.assertLess(elapsed, 15)

    def test_8s_silent_server_gives_timeout_not_hang(self):
        # attestd's address accepts TCP and never speaks TLS: bounded by --server-timeout.
        with SilentListener(1) as port:
            start = time.monotonic()
            out = self.agent("--server", f"https://127.0.0.1:{port}", "--server-timeout", "2", "attest", timeout=30)
            elapsed = time.monotonic() - start
        self.assertEqual(out.returncode, 4, out)
        self.assertIn("agent.server.timeout", out.stderr)
        self.assertLess(elapsed, 15)

    def test_8t_run_survives_a_silent_tpm(self):
        # A TPM that never answers ends the attempt at --tpm-timeout; `run` logs it, starts over and
        # keeps running (here until --count), instead of exiting.
        with SilentListener(2) as port:
            start = time.monotonic()
            out = self.agent("--tcti", f"swtpm:host=127.0.0.1,port={port}", "--tpm-timeout", "1", "run",
                             "--interval", "200ms", "--max-backoff", "200ms", "--count", "2", timeout=30)
            elapsed = time.monotonic() - start
        self.assertEqual(out.returncode, 0, out)
        lines = run_lines(out)
        self.assertEqual(len(lines), 2, out.stdout)
        for line in lines:
            self.assertIn("error=agent.tpm.timeout", line)
        self.assertLess(elapsed, 15)

    def test_9_configuration_errors_exit_78(self):
        out = self.agent("--tcti", "swtpm:host=127.0.0.1,port=1", "run", config=False)
        self.assertEqual(out.returncode, 78, out)
        self.assertIn("agent.config.invalid", out.stderr)
        out = self.agent("--pcrs", "0-30", "attest")
        self.assertEqual(out.returncode, 78, out)
        self.assertIn("agent.config.invalid", out.stderr)
        # `run` stops, non-zero, on each configuration error, before or after its first attempt.
        bad_json = self.work / "bad-agent.json"
        bad_json.write_text("{\"server\": ")
        for args, reason, what in (
                (["--credential-file", str(self.work / "no-such-token")], "agent.config.invalid", "no-such-token"),
                (["--ca-file", str(self.work / "no-such-ca.pem")], "agent.config.invalid", "no-such-ca.pem"),
                (["--tcti", "nosuchtcti:x"], "agent.config.tcti", "nosuchtcti"),
                (["--tcti", "swtpm:nonsense=1"], "agent.config.tcti", "nonsense")):
            out = self.agent(*args, "run", "--interval", "200ms", "--count", "3")
            self.assertEqual(out.returncode, 78, out)
            self.assertIn(f"attest-agent: {reason}: ", out.stderr)
            self.assertIn(what, out.stderr)
        out = self.agent("--tcti", "nosuchtcti:x", "attest")
        self.assertEqual(out.returncode, 78, out)
        self.assertIn("attest-agent: agent.config.tcti: ", out.stderr)
        for config in (bad_json, self.work / "no-such-config.json"):
            out = subprocess.run([AGENT, "--config", str(config), "run"], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 78, out)
            self.assertIn("agent.config.invalid", out.stderr)


if __name__ == "__main__":
    AGENT, ATTESTD, ATTESTCTL, FAKE_NVML = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
    TESTDATA = Path(sys.argv[4])
    LOG_PATH = str(TESTDATA / "vmboot/sb-shim-grub/eventlog.bin")
    unittest.main(argv=sys.argv[:1], verbosity=2)
