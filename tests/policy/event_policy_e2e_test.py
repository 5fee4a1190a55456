#!/usr/bin/python3
"""Event-level policy end to end (issue 5): swtpm measures the real vmboot sb-shim-grub log, attestd on
loopback, `attestctl golden learn` uploads the golden events and `attestctl policy apply` the policy;
a real quote with the log is affirming, and a policy whose kernel command line differs gives exactly
`policy.kernel_cmdline.mismatch` naming the grub event, with the EAR's configuration claim lowered
(checked by python3-jwcrypto). Reuses the set-up of tests/e2e/service_e2e_test.py.

Runs under Debian's /usr/bin/python3. usage: event_policy_e2e_test.py ATTESTD ATTESTCTL TESTDATA
"""
import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import service_e2e_test as se  # noqa: E402
from jwcrypto import jwk, jwt  # noqa: E402

GOOD_CMDLINE = "/vmlinuz console=ttyS0 attest.boot=sb-shim-grub"  # sb-shim-grub event 44


class EventPolicyEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            se.ServiceEndToEnd.setUpClass.__func__(cls)
        except BaseException:
            # Never leave swtpm and attestd running (they would hold ctest's pipes open).
            for part in ("attestd", "tpm"):
                if hasattr(cls, part):
                    getattr(cls, part).stop()
            raise
        cls.token_file = cls.work / "admin.token"
        cls.token_file.write_text(cls.attestd.admin)
        cls.server = ["--server", f"https://127.0.0.1:{cls.attestd.port}", "--token-file", str(cls.token_file),
                      "--cacert", str(cls.attestd.dir / "tls" / "server.crt")]

    @classmethod
    def tearDownClass(cls):
        se.ServiceEndToEnd.tearDownClass.__func__(cls)

    put_reference_set = classmethod(se.ServiceEndToEnd.put_reference_set.__func__)
    enroll = se.ServiceEndToEnd.enroll
    quote = se.ServiceEndToEnd.quote
    challenge = se.ServiceEndToEnd.challenge

    def ctl(self, *args):
        r = subprocess.run([se.ATTESTCTL, *map(str, args), *self.server], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"{args}\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def apply(self, cmdline):
        policy = {"name": "gpu-node", "require": {"tpm": True, "event_log": True, "gpus": 0},
                  "reference_sets": ["vmboot-events"], "pcrs": {}, "max_age_seconds": 300,
                  "hosts": {"labels": {"role": "gpu-node"}},
                  "secure_boot": "required",
                  "boot_applications": {"only_from": "vmboot-events"},
                  "kernel_cmdline": {"equals": cmdline},
                  "events": {"pcrs": list(range(10)), "only_from": "vmboot-events"}}
        f = self.work / "policy.json"
        f.write_text(json.dumps(policy))
        self.assertIn("applied policy gpu-node", self.ctl("policy", "apply", f))

    def attest(self):
        c = self.challenge()
        status, body = self.attestd.call("POST", "/v1/attestations", {
            "challenge_id": c["challenge_id"], "host_id": "node-1", "tpm": self.quote(c["nonce"])}, self.attester)
        self.assertEqual(status, 200, body)
        return body

    def ear(self, body):
        status, jwks = self.attestd.call("GET", "/.well-known/jwks.json")
        self.assertEqual(status, 200)
        token = jwt.JWT(jwt=body["token"], key=jwk.JWKSet.from_json(json.dumps(jwks)), algs=["ES256"])
        return json.loads(token.claims)

    def test_learned_events_pass_and_a_different_command_line_names_its_event(self):
        self.enroll()
        out = self.ctl("golden", "learn", "--eventlog", se.LOG_PATH, "--name", "vmboot-events")
        self.assertIn("uploaded reference set vmboot-events version 1", out)

        self.apply(GOOD_CMDLINE)
        body = self.attest()
        self.assertEqual((body["verdict"], body["reasons"]), ("affirming", []), body)
        tv = self.ear(body)["submods"]["tpm0"]["ear.trustworthiness-vector"]
        self.assertEqual(tv.get("executables"), 3, tv)  # approved boot

        self.apply("/vmlinuz console=ttyS0")
        body = self.attest()
        self.assertEqual(body["verdict"], "contraindicated", body)
        self.assertEqual([r["id"] for r in body["reasons"]], ["policy.kernel_cmdline.mismatch"], body)
        event = body["reasons"][0]["event"]
        self.assertEqual((event["index"], event["pcr"], event["type"]), (44, 8, "EV_IPL"), event)
        self.assertTrue(event["digest"].startswith("sha512:"), event)
        claims = self.ear(body)
        self.assertEqual(claims["submods"]["tpm0"]["ear.status"], "contraindicated")
        self.assertEqual(claims["submods"]["tpm0"]["ear.trustworthiness-vector"].get("configuration"), 96, claims)


if __name__ == "__main__":
    se.ATTESTD, se.ATTESTCTL, se.TESTDATA = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    se.LOG_PATH = str(se.TESTDATA / "vmboot/sb-shim-grub/eventlog.bin")
    unittest.main(argv=sys.argv[:1], verbosity=2)
