#!/usr/bin/env python3
"""Our replay agrees with tpm2_eventlog (tpm2-tools, an independent implementation) on every log
in ../shared/testdata that tpm2_eventlog reads.

For each log in index/eventlogs.json: run `tpm2_eventlog FILE`, take its computed "pcrs:" section,
run `attestctl eventlog replay FILE --json`, and require identical values for every bank and PCR
that tpm2_eventlog reports. Logs tpm2_eventlog itself refuses are listed, not compared; the test
fails if fewer logs than expected could be compared, so it cannot pass by comparing nothing.

usage: eventlog_agreement_test.py ATTESTCTL TESTDATA_DIR
"""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

# tpm2-tools 5.4 reads these real logs; dropping below this means the comparison silently shrank.
MIN_COMPARED = 44


def tpm2_eventlog_pcrs(path: Path):
    """Returns {bank: {index: hex}} from tpm2_eventlog's output, or None if it refuses the log."""
    for version in ([], ["--eventlog-version=2"]):
        proc = subprocess.run(["tpm2_eventlog", *version, str(path)], capture_output=True, text=True, errors="replace")
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


def tpm_reference(testdata: Path, entry):
    """{bank: {pcr: hex}} that a TPM reported for this log, merged over its reference files."""
    banks = {}
    for ref in entry.get("reference_pcr_files", []):
        if "computed by tpm2_eventlog" in ref:
            continue
        doc = json.loads((testdata / ref).read_text())
        if "bank" in doc:
            banks.setdefault(doc["bank"], {}).update(doc["pcrs"])
        else:
            for bank, values in doc.get("pcrs", doc).items():
                if isinstance(values, dict):
                    banks.setdefault(bank, {}).update(values)
    return {b: {int(k): v.lower() for k, v in vals.items()} for b, vals in banks.items()}


def replay_here(events, bank, pcr, start: bytes, extend_no_action: bool) -> str:
    """One PCR of one bank recomputed here with hashlib from the digests attestctl decoded."""
    value = start
    for e in events:
        if e["pcr"] != pcr or e["index"] == 0 or bank not in e["digests"]:
            continue
        if e["type"] == 3 and not extend_no_action:
            continue
        value = hashlib.new(bank, value + bytes.fromhex(e["digests"][bank])).digest()
    return value.hex()


def explain(attestctl, path, bank, pcr, theirs, ours):
    """tpm2-tools 5.4 extends EV_NO_ACTION events (their zero digests) and starts PCR 0 from zeros
    even after a StartupLocality event; the PFP says EV_NO_ACTION is never extended (10.4.1) and
    PCR 0 starts at 00..0L after StartupLocality (10.4.5.3). Returns True when that alone explains
    the difference: replaying here the tpm2-tools way gives their value and the PFP way gives ours."""
    doc = json.loads(subprocess.run([attestctl, "eventlog", "show", str(path), "--json"], capture_output=True,
                                    text=True, errors="replace").stdout)
    events = doc["events"]
    localities = [e["data"]["locality"] for e in events
                  if e["data"].get("kind") == "no_action" and e["data"].get("what") == "startup_locality"]
    if any(e["type"] == 0x80000010 for e in events) or len(localities) > 1:
        return False  # H-CRTM or several localities: not the case this explains
    size = hashlib.new(bank).digest_size
    start = bytes(size)
    if pcr == 0 and localities:
        start = bytes(size - 1) + bytes([localities[0]])
    return (replay_here(events, bank, pcr, bytes(size), True) == theirs and
            replay_here(events, bank, pcr, start, False) == ours)


def main() -> int:
    attestctl, testdata = sys.argv[1], Path(sys.argv[2])
    index = json.loads((testdata / "index" / "eventlogs.json").read_text())
    # The vmboot logs (real OVMF + swtpm boots) are not in the index; they replay like the rest.
    index += [{"path": f"vmboot/{boot}/eventlog.bin", "parses": True}
              for boot in ("nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub")]
    compared, refused, failures, explained = [], [], [], []
    for entry in index:
        if not entry.get("parses"):
            continue
        path = testdata / entry["path"]
        theirs = tpm2_eventlog_pcrs(path)
        if theirs is None:
            refused.append(entry["path"])
            continue
        proc = subprocess.run([attestctl, "eventlog", "replay", str(path), "--json"], capture_output=True, text=True, errors="replace")
        try:
            ours = json.loads(proc.stdout)["banks"]
        except (json.JSONDecodeError, KeyError):
            failures.append(f"{entry['path']}: attestctl printed no replay (exit {proc.returncode}): {proc.stderr}")
            continue
        tpm = tpm_reference(testdata, entry)
        for bank, values in theirs.items():
            for pcr, value in values.items():
                got = ours.get(bank, {}).get(str(pcr))
                if got == value:
                    continue
                where = f"{entry['path']}: {bank} PCR{pcr}: tpm2_eventlog {value}, attestctl {got}"
                if got is not None and tpm.get(bank, {}).get(pcr) == got:
                    explained.append(f"{where}: attestctl equals the value the TPM reported")
                elif got is not None and explain(attestctl, path, bank, pcr, value, got):
                    explained.append(f"{where}: tpm2_eventlog extends EV_NO_ACTION / ignores StartupLocality")
                else:
                    failures.append(where)
        compared.append(entry["path"])

    print(f"compared {len(compared)} logs with tpm2_eventlog; it refused {len(refused)}: {refused}")
    for e in explained:
        print("EXPLAINED", e)
    for f in failures:
        print("MISMATCH", f)
    if len(compared) < MIN_COMPARED:
        print(f"FAIL: only {len(compared)} logs compared, expected at least {MIN_COMPARED}")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
