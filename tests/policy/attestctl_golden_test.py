#!/usr/bin/env python3
"""attestctl golden learn|import|list|show|diff|retire and policy apply|show|test (issue 5), on the real
vmboot boots and NVIDIA RIMs of ../shared/testdata: locally (dry runs, `policy test` with the boots'
real quotes) and against a running attestd on loopback (uploads, versions, diff, retire).

Only the standard library. usage: attestctl_golden_test.py ATTESTD ATTESTCTL TESTDATA
"""
import json
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ATTESTD = ATTESTCTL = ""
TESTDATA = Path()


def ctl(*args, check=None, env=None):
    r = subprocess.run([ATTESTCTL, *map(str, args)], capture_output=True, text=True, timeout=120, env=env)
    if check is not None:
        assert r.returncode == check, f"attestctl {' '.join(map(str, args))}: rc {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def vmboot(boot):
    return TESTDATA / "vmboot" / boot


POLICY = {
    "name": "nosb-direct-boot", "require": {"tpm": True, "event_log": True, "gpus": 0},
    "reference_sets": ["nosb-direct"], "pcrs": {}, "max_age_seconds": 300,
    "boot_applications": {"only_from": "nosb-direct"},
    "kernel_cmdline": {"only_from": "nosb-direct"},
    "events": {"pcrs": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "only_from": "nosb-direct"},
    "keys": ["disk-key"],
}


class Local(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls.tmp.name)
        r = ctl("golden", "learn", "--eventlog", vmboot("nosb-direct") / "eventlog.bin", "--pcrs",
                vmboot("nosb-direct") / "pcrs.json", "--name", "nosb-direct", "--dry-run", "--json", check=0)
        cls.set_file = cls.work / "nosb-direct.json"
        cls.set_file.write_text(r.stdout)
        cls.policy_file = cls.work / "policy.json"
        cls.policy_file.write_text(json.dumps(POLICY))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_learn_lists_what_it_learned_in_human_terms(self):
        doc = json.loads(self.set_file.read_text())
        self.assertEqual(doc["name"], "nosb-direct")
        # eventlog.json of the boot: 24 extending events, of which 6 separators share PCR 0-6 values.
        kinds = {(e["pcr"], e["type"]) for e in doc["events"]}
        self.assertIn((9, "EV_EVENT_TAG"), kinds)
        descriptions = [e.get("description", "") for e in doc["events"]]
        self.assertIn("SecureBoot = 0 (disabled)", descriptions)
        self.assertIn("BootOrder", descriptions)
        self.assertIn("Exit Boot Services Invocation", descriptions)
        self.assertEqual(sorted(doc["pcrs"]), ["sha1", "sha256", "sha384", "sha512"])
        human = ctl("golden", "learn", "--eventlog", vmboot("nosb-direct") / "eventlog.bin", "--pcrs",
                    vmboot("nosb-direct") / "pcrs.json", "--name", "nosb-direct", "--dry-run", check=0).stdout
        self.assertIn("boot_application", human)
        self.assertIn("SecureBoot = 0 (disabled)", human)
        self.assertIn("(dry run: nothing uploaded)", human)

    def test_learn_refuses_a_log_that_does_not_replay_to_the_given_pcrs(self):
        r = ctl("golden", "learn", "--eventlog", vmboot("nosb-direct") / "eventlog.bin", "--pcrs",
                vmboot("nosb-direct-cmdline2") / "pcrs.json", "--name", "x", "--dry-run", check=1)
        self.assertIn("eventlog.replay.pcr_mismatch", r.stderr)
        self.assertIn("nothing learned", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_policy_test_passes_the_learned_boot_with_its_real_quote(self):
        r = ctl("policy", "test", "--evidence", vmboot("nosb-direct"), "--policy", self.policy_file,
                "--reference-set", self.set_file, "--json", check=0)
        out = json.loads(r.stdout)
        self.assertEqual(out["verdict"], "affirming")
        self.assertTrue(out["quote_verified_locally"])
        self.assertEqual(out["reasons"], [])
        self.assertEqual(out["releasable_keys"], [])  # no TEE key is bound in a local test

    def test_policy_test_fails_cmdline2_with_exactly_the_command_line(self):
        r = ctl("policy", "test", "--evidence", vmboot("nosb-direct-cmdline2"), "--policy", self.policy_file,
                "--reference-set", self.set_file, "--json", check=1)
        out = json.loads(r.stdout)
        self.assertEqual(out["verdict"], "contraindicated")
        self.assertEqual([x["id"] for x in out["reasons"]], ["policy.kernel_cmdline.mismatch"])
        self.assertEqual(out["reasons"][0]["event"]["index"], 21)
        self.assertEqual(out["reasons"][0]["event"]["pcr"], 9)
        self.assertEqual(out["reasons"][0]["event"]["type"], "EV_EVENT_TAG")
        human = ctl("policy", "test", "--evidence", vmboot("nosb-direct-cmdline2"), "--policy", self.policy_file,
                    "--reference-set", self.set_file, check=1).stdout
        self.assertIn("policy nosb-direct-boot: contraindicated", human)
        self.assertIn("#21 pcr 9 EV_EVENT_TAG", human)

    def test_policy_test_refuses_an_invalid_policy_with_every_error(self):
        bad = self.work / "bad.json"
        bad.write_text(json.dumps(dict(POLICY, secure_boot="optional", kernel_cmdline={"matches": "("})))
        r = ctl("policy", "test", "--evidence", vmboot("nosb-direct"), "--policy", bad,
                "--reference-set", self.set_file, check=1)
        self.assertIn("policy.document.invalid_value: /secure_boot", r.stderr)
        self.assertIn("policy.document.invalid_value: /kernel_cmdline/matches", r.stderr)

    def test_import_rims_checks_their_signatures(self):
        samples = TESTDATA / "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples"
        rims = ["--rim", samples / "Driver_RIM_test_no_gpu.swidtag", "--rim",
                samples / "1010_0200_882_96005E0001_test_no_gpu.swidtag"]
        r = ctl("golden", "import", *rims, "--name", "h100", "--at", "2024-06-01T00:00:00Z", "--dry-run",
                "--print-json", check=0)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc["gpu"]["GH100"]), 33)  # MANIFEST: 33 active golden measurements
        # Today the RIM signer has expired: nothing is imported.
        r = ctl("golden", "import", *rims, "--name", "h100", "--at", "2026-11-24T00:00:00Z", "--dry-run", check=1)
        self.assertIn("rim.cert.expired", r.stderr)
        self.assertEqual(r.stdout, "")
        # A RIM edited after signing (the SDK's mismatch RIM) is refused whatever the time.
        r = ctl("golden", "import", "--rim", TESTDATA / "nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/"
                "testdata/sample_rims/NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml", "--name", "x",
                "--dry-run", check=1)
        self.assertIn("does not verify", r.stderr)

    def test_import_json_is_strict(self):
        doc = json.loads(self.set_file.read_text())
        doc["events"][0]["digest"] = doc["events"][0].pop("digests")
        bad = self.work / "bad-set.json"
        bad.write_text(json.dumps(doc))
        r = ctl("golden", "import", "--json", bad, "--dry-run", check=1)
        self.assertIn("policy.reference_set.unknown_key: /events/0/digest", r.stderr)
        self.assertIn("policy.reference_set.missing_key: /events/0/digests", r.stderr)
        r = ctl("golden", "import", "--json", self.set_file, "--dry-run", "--print-json", check=0)
        self.assertEqual(json.loads(r.stdout), json.loads(self.set_file.read_text()))


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls.tmp.name)
        data = cls.work / "data"
        cls.proc = subprocess.Popen([ATTESTD, "--data-dir", str(data), "--listen", "127.0.0.1:0"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        banner = cls.proc.stdout.readline()
        assert "listening on https://" in banner, banner
        port = int((data / "attestd.port").read_text())
        cls.server = ["--server", f"https://127.0.0.1:{port}", "--token-file", data / "demo-admin.token",
                      "--cacert", data / "tls" / "server.crt"]

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=30)
        cls.tmp.cleanup()

    def learn(self, boot):
        return ctl("golden", "learn", "--eventlog", vmboot(boot) / "eventlog.bin", "--pcrs",
                   vmboot(boot) / "pcrs.json", "--name", "vm", *self.server, check=0)

    def test_versions_diff_and_retire(self):
        self.assertIn("uploaded reference set vm version 1", self.learn("nosb-direct").stdout)
        self.assertIn("uploaded reference set vm version 2", self.learn("nosb-direct-cmdline2").stdout)
        listed = json.loads(ctl("golden", "list", "--json", *self.server, check=0).stdout)
        self.assertIn({"name": "vm", "version": 2}, [{"name": d["name"], "version": d["version"]} for d in listed])
        self.assertIn("vm", ctl("golden", "list", *self.server, check=0).stdout)
        shown = json.loads(ctl("golden", "show", "vm@1", "--json", *self.server, check=0).stdout)
        self.assertEqual(shown["version"], 1)
        self.assertIn("SecureBoot = 0 (disabled)", ctl("golden", "show", "vm", *self.server, check=0).stdout)

        diff = json.loads(ctl("golden", "diff", "vm@1", "vm@2", "--json", *self.server, check=0).stdout)
        # Only PCR 9 differs between the boots (vmboot/README.md): the stub's command-line event and
        # the PCR 9 value of each of the 4 banks.
        events_removed = [l for l in diff["removed"] if l.startswith("event ")]
        events_added = [l for l in diff["added"] if l.startswith("event ")]
        self.assertEqual(len(events_removed), 1, diff)
        self.assertEqual(len(events_added), 1, diff)
        self.assertTrue(events_removed[0].startswith("event pcr 9 EV_EVENT_TAG"), diff)
        pcr_lines = [l for l in diff["removed"] + diff["added"] if l.startswith("pcr ")]
        self.assertEqual(sorted({l.split()[1] for l in pcr_lines}), ["sha1:9", "sha256:9", "sha384:9", "sha512:9"])
        human = ctl("golden", "diff", "vm@1", "vm@2", *self.server, check=0).stdout
        self.assertIn("- event pcr 9 EV_EVENT_TAG", human)
        self.assertIn("+ event pcr 9 EV_EVENT_TAG", human)

        self.assertIn("retired reference set vm", ctl("golden", "retire", "vm", *self.server, check=0).stdout)
        listed = json.loads(ctl("golden", "list", "--json", *self.server, check=0).stdout)
        self.assertNotIn("vm", [d["name"] for d in listed])
        r = ctl("golden", "show", "vm", *self.server, check=1)
        self.assertIn("404", r.stderr)
        # Retired versions are kept: a specific one can still be read for the audit trail.
        self.assertEqual(json.loads(ctl("golden", "show", "vm@2", "--json", *self.server, check=0).stdout)["version"], 2)

    def test_policy_apply_and_show(self):
        f = self.work / "p.json"
        f.write_text(json.dumps(dict(POLICY, name="apply-me")))
        self.assertIn("applied policy apply-me version 1", ctl("policy", "apply", f, *self.server, check=0).stdout)
        shown = json.loads(ctl("policy", "show", "apply-me", "--json", *self.server, check=0).stdout)
        self.assertEqual(shown["document"]["kernel_cmdline"], {"only_from": "nosb-direct"})
        # An invalid document is refused locally with every error and never reaches the server.
        f.write_text(json.dumps(dict(POLICY, name="apply-me", colour="blue")))
        r = ctl("policy", "apply", f, *self.server, check=1)
        self.assertIn("policy.document.unknown_key: /colour", r.stderr)
        shown = json.loads(ctl("policy", "show", "apply-me", "--json", *self.server, check=0).stdout)
        self.assertEqual(shown["version"], 1)


if __name__ == "__main__":
    ATTESTD, ATTESTCTL, TESTDATA = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    del sys.argv[1:4]
    unittest.main(verbosity=2)
