#!/usr/bin/env python3
"""Our replay agrees with tpm2_eventlog (tpm2-tools, an independent implementation) on every log
in ../shared/testdata that tpm2_eventlog reads.

For each log in index/eventlogs.json: run `tpm2_eventlog FILE`, take its computed "pcrs:" section,
run `attestctl eventlog replay FILE --json`, and require identical values for every bank and PCR
that tpm2_eventlog reports. Logs tpm2_eventlog itself refuses are listed, not compared; the test
fails if fewer logs than expected could be compared, so it cannot pass by comparing nothing.

usage: eventlog_agreement_test.py ATTESTCTL TESTDATA_DIR
"""
import json
import subprocess
import sys
from pathlib import Path

# tpm2-tools 5.4 reads these real logs; dropping below this means the comparison silently shrank.
MIN_COMPARED = 44


def tpm2_eventlog_pcrs(path: Path):
    """Returns {bank: {index: hex}} from tpm2_eventlog's output, or None if it refuses the log."""
    for version in ([], ["--eventlog-version=2"]):
        proc = subprocess.run(["tpm2_eventlog", *version, str(path)], capture_output=True, text=True)
        if proc.returncode == 0:
            break
    else:
        return None
    banks, bank, in_pcrs = {}, None, False
    for line in proc.stdout.splitlines():
        if line.startswith("pcrs:"):
            in_pcrs = True
            continue
        if not in_pcrs:
            continue
        if line.startswith("    ") and bank is not None:
            index, value = (part.strip() for part in line.split(":", 1))
            banks[bank][int(index)] = value.lower().removeprefix("0x")
        elif line.startswith("  ") and line.strip().endswith(":"):
            bank = line.strip()[:-1]
            banks[bank] = {}
        elif line.strip():
            in_pcrs = False
    return banks


def main() -> int:
    attestctl, testdata = sys.argv[1], Path(sys.argv[2])
    index = json.loads((testdata / "index" / "eventlogs.json").read_text())
    # The vmboot logs (real OVMF + swtpm boots) are not in the index; they replay like the rest.
    index += [{"path": f"vmboot/{boot}/eventlog.bin", "parses": True}
              for boot in ("nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub")]
    compared, refused, failures = [], [], []
    for entry in index:
        if not entry.get("parses"):
            continue
        path = testdata / entry["path"]
        theirs = tpm2_eventlog_pcrs(path)
        if theirs is None:
            refused.append(entry["path"])
            continue
        proc = subprocess.run([attestctl, "eventlog", "replay", str(path), "--json"], capture_output=True, text=True)
        try:
            ours = json.loads(proc.stdout)["banks"]
        except (json.JSONDecodeError, KeyError):
            failures.append(f"{entry['path']}: attestctl printed no replay (exit {proc.returncode}): {proc.stderr}")
            continue
        for bank, values in theirs.items():
            for pcr, value in values.items():
                got = ours.get(bank, {}).get(str(pcr))
                if got != value:
                    failures.append(f"{entry['path']}: {bank} PCR{pcr}: tpm2_eventlog {value}, attestctl {got}")
        compared.append(entry["path"])

    print(f"compared {len(compared)} logs with tpm2_eventlog; it refused {len(refused)}: {refused}")
    for f in failures:
        print("MISMATCH", f)
    if len(compared) < MIN_COMPARED:
        print(f"FAIL: only {len(compared)} logs compared, expected at least {MIN_COMPARED}")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
