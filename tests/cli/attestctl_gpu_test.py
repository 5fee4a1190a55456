#!/usr/bin/env python3
"""attestctl gpu verify and spdm verify on the real NVIDIA reports and spdm-emu captures of
../shared/testdata: exit codes, reason ids and claims.

usage: attestctl_gpu_test.py ATTESTCTL TESTDATA_DIR
"""
import json
import subprocess
import sys
import unittest
from pathlib import Path

ATTESTCTL = ""
TESTDATA = Path()
SAMPLES = "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples"
GO_NVTRUST_NONCE = "4cff7f5380ead8fad8ec2c531c110aca4302a88f603792801a8ca29ee151af2e"

# index/nvidia_reports.json entries 0-12 (reports given as files) and the exact reasons we give.
# Device certificates are valid from 2021-2023 to 9999, so any time after mid-2023 works.
EXPECTED = {
    0: [],
    1: [],
    2: ["gpu.cert.chain_invalid"],                       # go-nvtrust invalidCertChain.txt
    3: [],
    4: [],
    5: [],
    6: ["gpu.report.signature_invalid", "gpu.report.fwid_mismatch"],
    7: [],                                               # Blackwell
    8: [],                                               # NVSwitch LS10
    9: ["gpu.report.signature_invalid"],                  # NVSwitch, invalid signature
    10: ["gpu.cert.chain_too_short", "gpu.report.signature_invalid", "gpu.cert.fwid_missing"],  # root only
    11: ["gpu.cert.chain_invalid"],                      # intermediate missing
    12: ["gpu.report.signature_invalid", "gpu.cert.fwid_missing"],  # FMC leaf missing
}


def run_json(*args):
    proc = subprocess.run([ATTESTCTL, *map(str, args)], capture_output=True, text=True, timeout=60)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"no JSON from attestctl {args} (exit {proc.returncode}): {proc.stderr}") from e


class GpuVerify(unittest.TestCase):
    def index(self):
        return json.loads((TESTDATA / "index/nvidia_reports.json").read_text())

    def test_every_report_given_as_a_file_gets_its_expected_verdict_and_reasons(self):
        entries = self.index()
        for i, reasons in EXPECTED.items():
            e = entries[i]
            with self.subTest(i=i, report=e["report"], chain=e["cert_chain"]):
                code, doc = run_json("gpu", "verify", "--report", TESTDATA / e["report"], "--chain",
                                     TESTDATA / e["cert_chain"], "--nonce", e["expected_nonce"], "--at",
                                     "2025-01-01T00:00:00Z", "--json")
                self.assertEqual([r["id"] for r in doc["reasons"]], reasons)
                self.assertEqual(code, 0 if not reasons else 1)
                self.assertEqual(doc["valid"], not reasons)
                # The index's own expectation agrees on valid versus rejected.
                self.assertEqual(e["expected_outcome"].startswith("reject"), bool(reasons), e["expected_outcome"])

    def test_claims_of_the_nvtrust_h100_sample(self):
        e = self.index()[0]
        code, doc = run_json("gpu", "verify", "--report", TESTDATA / e["report"], "--chain", TESTDATA / e["cert_chain"],
                             "--nonce", e["expected_nonce"], "--json")
        self.assertEqual(code, 0)
        c = doc["claims"]
        self.assertEqual(c["driver_version"], "550.90.07")
        self.assertEqual(c["vbios_version"], "96.00.9F.00.01")
        self.assertEqual(c["hardware_model"], "GH100 A01 GSP BROM")
        self.assertTrue(c["chain_valid"])
        self.assertTrue(c["fwid_bound"])
        self.assertTrue(c["nonce_matches"])
        self.assertEqual(len(c["measurements"]), 64)

    def test_wrong_nonce_is_refused(self):
        e = self.index()[0]
        code, doc = run_json("gpu", "verify", "--report", TESTDATA / e["report"], "--chain", TESTDATA / e["cert_chain"],
                             "--nonce", "00" * 32, "--json")
        self.assertEqual(code, 1)
        self.assertEqual([r["id"] for r in doc["reasons"]], ["gpu.report.nonce_mismatch"])

    def rim_run(self, at):
        return run_json("gpu", "verify", "--report", TESTDATA / "go-nvtrust/pkg/gonvtrust/mocks/attestationReport.txt",
                        "--chain", TESTDATA / "go-nvtrust/pkg/gonvtrust/mocks/gpuAkCertChain.txt", "--nonce",
                        GO_NVTRUST_NONCE, "--driver-rim", TESTDATA / SAMPLES / "Driver_RIM_test_no_gpu.swidtag",
                        "--vbios-rim", TESTDATA / SAMPLES / "1010_0200_882_96005E0001_test_no_gpu.swidtag", "--at", at,
                        "--json")

    def test_mock_report_matches_every_golden_value_of_the_test_rims_while_their_signer_is_valid(self):
        code, doc = self.rim_run("2024-06-01T00:00:00Z")
        self.assertEqual((code, doc["reasons"]), (0, []))
        self.assertTrue(doc["claims"]["measurements_match"])
        self.assertEqual(doc["mismatches"], [])
        # NVDEC0 is disabled in this report (0x55), so RIM index 35 is not compared: 32 of 33.
        self.assertEqual(len(doc["claims"]["compared_indices"]), 32)

    def test_test_rims_are_refused_once_their_signer_expired_and_nothing_is_compared(self):
        code, doc = self.rim_run("2026-11-24T00:00:00Z")
        self.assertEqual(code, 1)
        self.assertEqual([r["id"] for r in doc["reasons"]], ["rim.cert.expired", "rim.cert.expired"])
        self.assertFalse(doc["claims"]["measurements_compared"])

    def test_bad_time_is_a_usage_error(self):
        proc = subprocess.run([ATTESTCTL, "gpu", "verify", "--report", "x", "--chain", "y", "--nonce", "00", "--at",
                               "yesterday"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)


class SpdmVerify(unittest.TestCase):
    def test_every_spdm_emu_capture_verifies(self):
        captures = sorted(p for p in (TESTDATA / "spdm-emu").iterdir() if p.is_dir())
        self.assertEqual(len(captures), 6)
        for capture in captures:
            with self.subTest(capture=capture.name):
                code, doc = run_json("spdm", "verify", "--transcript", capture, "--json")
                self.assertEqual((code, doc["reasons"]), (0, []))
                version = capture.name[1] + "." + capture.name[2]
                self.assertEqual(doc["claims"]["spdm_version"], version)

    def test_wrong_nonce_is_refused(self):
        code, doc = run_json("spdm", "verify", "--transcript", TESTDATA / "spdm-emu/v13_p384_all", "--nonce", "00" * 32,
                             "--json")
        self.assertEqual(code, 1)
        self.assertIn("spdm.nonce_mismatch", [r["id"] for r in doc["reasons"]])


if __name__ == "__main__":
    ATTESTCTL, TESTDATA = sys.argv[1], Path(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
