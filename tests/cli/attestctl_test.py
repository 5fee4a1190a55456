#!/usr/bin/env python3
"""attestctl's command-line contract: output shapes, exit codes (0 valid, 1 invalid, 2 usage) and
reason ids, on real evidence from ../shared/testdata.

usage: attestctl_test.py ATTESTCTL TESTDATA_DIR
"""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ATTESTCTL = ""
TESTDATA = Path()


def run(*args):
    proc = subprocess.run([ATTESTCTL, *map(str, args)], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def run_json(*args):
    code, out, err = run(*args)
    try:
        return code, json.loads(out)
    except json.JSONDecodeError as e:
        raise AssertionError(f"attestctl {' '.join(map(str, args))} printed no JSON (exit {code}): {out!r} {err!r}") from e


def reason_ids(doc):
    return [r["id"] for r in doc["reasons"]]


# PCRs each vmboot log extends (vmboot/*/verify.txt, "extends per PCR"): no grub and no shim
# under QEMU -kernel, so no PCR 8 or 14 there.
TOUCHED = {
    "nosb-direct": [0, 1, 2, 3, 4, 5, 6, 7, 9],
    "nosb-direct-cmdline2": [0, 1, 2, 3, 4, 5, 6, 7, 9],
    "sb-shim-grub": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14],
}


class EventlogReplay(unittest.TestCase):
    def test_vmboot_logs_replay_to_the_pcrs_the_tpm_reported_in_every_bank(self):
        for boot in ("nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub"):
            with self.subTest(boot=boot):
                folder = TESTDATA / "vmboot" / boot
                code, doc = run_json("eventlog", "replay", folder / "eventlog.bin", "--json")
                self.assertEqual(code, 0, doc)
                self.assertEqual(doc["reasons"], [])
                tpm = json.loads((folder / "pcrs.json").read_text())
                self.assertEqual(sorted(doc["banks"]), ["sha1", "sha256", "sha384", "sha512"])
                self.assertEqual(doc["touched"], TOUCHED[boot])
                for bank, values in doc["banks"].items():
                    self.assertEqual(sorted(map(int, values)), doc["touched"])
                    for pcr, value in values.items():
                        self.assertEqual(value, tpm[bank][pcr].lower(), f"{bank} PCR{pcr}")

    def test_rejected_logs_exit_1_with_a_parse_reason(self):
        cases = {
            "keylime/test/data/create-mb-policy/binary_bios_measurements-empty": "eventlog.parse.empty",
            "keylime/test/data/create-mb-policy/binary_bios_measurements-bogus": "eventlog.parse.event_too_large",
        }
        for path, reason in cases.items():
            with self.subTest(path=path):
                code, doc = run_json("eventlog", "replay", TESTDATA / path, "--json")
                self.assertEqual(code, 1)
                self.assertEqual(reason_ids(doc), [reason])
                self.assertEqual(doc["banks"], {})

    def test_spec_id_event_that_lies_about_its_size_is_rejected(self):
        code, doc = run_json("eventlog", "replay", TESTDATA / "tpm2-tools/test/integration/fixtures/specid-vendordata.bin",
                             "--json")
        self.assertEqual(code, 1)
        self.assertEqual(len(doc["reasons"]), 1)
        self.assertTrue(doc["reasons"][0]["id"].startswith("eventlog.parse."), doc)

    def test_missing_file_is_a_usage_error(self):
        code, _, err = run("eventlog", "replay", "/nonexistent/log.bin", "--json")
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent/log.bin", err)


class EventlogShow(unittest.TestCase):
    def test_text_output_has_one_line_per_event(self):
        log = TESTDATA / "vmboot/sb-shim-grub/eventlog.bin"
        code, doc = run_json("eventlog", "show", log, "--json")
        self.assertEqual(code, 0)
        code, out, _ = run("eventlog", "show", log)
        self.assertEqual(code, 0)
        self.assertEqual(len(out.splitlines()), len(doc["events"]))

    def test_json_decodes_secure_boot_and_kernel_command_line(self):
        code, doc = run_json("eventlog", "show", TESTDATA / "vmboot/sb-shim-grub/eventlog.bin", "--json")
        self.assertEqual(code, 0)
        secure_boot = [e["data"] for e in doc["events"]
                       if e["data"].get("kind") == "efi_variable" and e["data"]["name"] == "SecureBoot"]
        self.assertEqual(len(secure_boot), 1)
        self.assertEqual(secure_boot[0]["data"], "01")
        texts = [e["data"].get("text", "") for e in doc["events"] if e["type_name"] == "EV_IPL"]
        self.assertTrue(any("attest.boot=sb-shim-grub" in t for t in texts), texts)


class QuoteVerify(unittest.TestCase):
    def vmboot(self, boot, quote="quote", ak="ak.pub", nonce=None, eventlog=True, pcrs=None):
        folder = TESTDATA / "vmboot" / boot
        args = ["quote", "verify", "--ak", folder / ak, "--quote", folder / f"{quote}.msg", "--sig",
                folder / f"{quote}.sig", "--nonce", nonce or (folder / "nonce.hex").read_text().strip(),
                "--pcrs", pcrs or folder / f"{quote}.pcrs", "--json"]
        if eventlog:
            args += ["--eventlog", folder / "eventlog.bin"]
        return run_json(*args)

    def test_every_vmboot_quote_verifies_with_its_log(self):
        for boot in ("nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub"):
            for quote, ak in (("quote", "ak.pub"), ("quote_multibank", "ak.pub"), ("quote_ecc", "ak_ecc.pub")):
                with self.subTest(boot=boot, quote=quote):
                    code, doc = self.vmboot(boot, quote, ak)
                    self.assertEqual((code, doc["valid"], doc["reasons"]), (0, True, []))
                    self.assertEqual(doc["claims"]["extra_data"],
                                     (TESTDATA / "vmboot" / boot / "nonce.hex").read_text().strip())
                    # The quotes cover PCR 0-9; whatever else the log extends is reported unverified.
                    touched = TOUCHED[boot]
                    eventlog = doc["claims"]["eventlog"]
                    self.assertEqual(eventlog["verified_pcrs"]["sha256"], [p for p in touched if p < 10])
                    self.assertEqual(eventlog["unverified_pcrs"].get("sha256", []), [p for p in touched if p >= 10])

    def test_pem_ak_and_json_pcrs_are_accepted(self):
        code, doc = self.vmboot("sb-shim-grub", ak="ak.pem", pcrs=TESTDATA / "vmboot/sb-shim-grub/pcrs.json")
        self.assertEqual((code, doc["valid"]), (0, True), doc)

    def test_wrong_nonce_exits_1_with_nonce_mismatch(self):
        code, doc = self.vmboot("sb-shim-grub", nonce="00" * 32)
        self.assertEqual(code, 1)
        self.assertFalse(doc["valid"])
        self.assertEqual(reason_ids(doc), ["tpm.quote.nonce_mismatch"])

    def test_log_of_another_boot_exits_1_with_pcr_mismatch(self):
        folder = TESTDATA / "vmboot/nosb-direct"
        other = TESTDATA / "vmboot/nosb-direct-cmdline2/eventlog.bin"
        code, doc = run_json("quote", "verify", "--ak", folder / "ak.pub", "--quote", folder / "quote.msg", "--sig",
                             folder / "quote.sig", "--nonce", (folder / "nonce.hex").read_text().strip(), "--pcrs",
                             folder / "quote.pcrs", "--eventlog", other, "--json")
        self.assertEqual(code, 1)
        # Only the kernel command line differs between the two boots, and it is measured in PCR 9.
        self.assertEqual(reason_ids(doc), ["eventlog.replay.pcr_mismatch"])
        self.assertIn("9", doc["reasons"][0]["message"])

    def test_gce_quotes_verify_in_three_banks_with_their_log(self):
        base = TESTDATA / "go-tpm-tools/internal/test/attestations"
        for name, nonce in (("gce-cos-85-nonce9009", "9009"), ("gce-cos-85-no-nonce", "")):
            for bank in ("sha1", "sha256", "sha384"):
                with self.subTest(name=name, bank=bank):
                    code, doc = run_json("quote", "verify", "--ak", base / f"{name}.ak_public.tpmt", "--quote",
                                         base / f"{name}.quote_{bank}.attest", "--sig", base / f"{name}.quote_{bank}.sig",
                                         "--nonce", nonce, "--pcrs", base / f"{name}.quote_{bank}.pcrs.json",
                                         "--eventlog", base / f"{name}.eventlog.bin", "--json")
                    self.assertEqual((code, doc["reasons"]), (0, []))

    def test_windows_shielded_vm_quote_verifies_with_its_log(self):
        base = TESTDATA / "go-attestation/attest/testdata/windows_gcp_shielded_vm"
        code, doc = run_json("quote", "verify", "--ak", f"{base}.ak_public.tpmt", "--quote", f"{base}.quote.attest",
                             "--sig", f"{base}.quote.sig", "--nonce", "", "--pcrs", f"{base}.pcrs.json",
                             "--eventlog", f"{base}.eventlog.bin", "--json")
        self.assertEqual((code, doc["reasons"]), (0, []))

    def test_usage_errors_exit_2(self):
        folder = TESTDATA / "vmboot/sb-shim-grub"
        code, _, _ = run("quote", "verify", "--quote", folder / "quote.msg")
        self.assertEqual(code, 2)
        code, _, _ = run("quote", "verify", "--ak", folder / "ak.pub", "--quote", folder / "quote.msg", "--sig",
                         folder / "quote.sig", "--nonce", "xyz", "--pcrs", folder / "quote.pcrs")
        self.assertEqual(code, 2)
        code, _, _ = run("quote", "verify", "--ak", folder / "ak.pub", "--quote", folder / "quote.msg", "--sig",
                         folder / "quote.sig", "--nonce", "00", "--pcrs", "/nonexistent")
        self.assertEqual(code, 2)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as bad:
            bad.write('{"sha256": {"0": "abcd"}}')
            bad.flush()
            code, _, err = run("quote", "verify", "--ak", folder / "ak.pub", "--quote", folder / "quote.msg", "--sig",
                               folder / "quote.sig", "--nonce", "00", "--pcrs", bad.name)
            self.assertEqual(code, 2)
            self.assertIn("sha256:0", err)
        code, _, _ = run("no-such-command")
        self.assertEqual(code, 2)


if __name__ == "__main__":
    ATTESTCTL, TESTDATA = sys.argv[1], Path(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
