#!/usr/bin/env bash
# Runs every benchmark and prints: component, figure, floor measured in the same run, ratio.
# Floors come from `openssl speed` on this machine in this run. Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/build.sh >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

openssl speed -seconds 3 rsa2048 2>/dev/null >"$out/rsa.txt"
openssl speed -seconds 3 ecdsap256 2>/dev/null >"$out/ecdsa.txt"
openssl speed -seconds 3 ecdsap384 2>/dev/null >"$out/ecdsa384.txt"
for b in $(find "$BUILD_DIR/bench" -type f -executable -not -path '*/CMakeFiles/*' | sort); do
  "$b" --benchmark_min_time=2 --benchmark_format=json --benchmark_out="$out/$(basename "$b").bench.json" \
    --benchmark_out_format=json >/dev/null
done

python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
def speed(file, key, col):
    for line in (out / file).read_text().splitlines():
        if line.startswith(key):
            return float(line.split()[col])
    raise SystemExit(f"no '{key}' line in openssl speed output")
# "rsa 2048 bits 0.000260s 0.000014s 3840.0 70800.5": verify/s is the last column.
rsa_verify_us = 1e6 / speed("rsa.txt", "rsa 2048 bits", -1)
ecdsa_verify_us = 1e6 / speed("ecdsa.txt", " 256 bits ecdsa", -1)
ecdsa384_verify_us = 1e6 / speed("ecdsa384.txt", " 384 bits ecdsa", -1)
floors = {"rsa": ("openssl speed rsa2048 verify", rsa_verify_us),
          "ecc": ("openssl speed ecdsap256 verify", ecdsa_verify_us),
          "p384": ("openssl speed ecdsap384 verify", ecdsa384_verify_us)}
rows = []
for f in sorted(out.glob("*.bench.json")):
    for b in json.loads(f.read_text())["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
        us = b["real_time"] * unit
        floor = b.get("floor")
        name = b["name"]
        if any(k in name for k in ("Nvidia", "Spdm", "Gpu", "P384")):
            kind = "p384"
        elif "Ecc" in name or "Ecdsa" in name:
            kind = "ecc"
        elif "Quote" in name or "Rsa" in name:
            kind = "rsa"
        else:
            kind = None
        if kind and "Floor" not in name:
            label, fus = floors[kind]
            rows.append((name, f"{us:.2f} us", f"{label} {fus:.2f} us", f"{us / fus:.2f}x"))
        else:
            rows.append((name, f"{us:.2f} us", "-", "-"))
w = [max(len(r[i]) for r in rows + [("component", "figure", "floor", "ratio")]) for i in range(4)]
for r in [("component", "figure", "floor", "ratio")] + rows:
    print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
PY

# Memory under 1,000 idle keep-alive TLS connections (issue 10 target: peak RSS < 64 MB).
echo
/usr/bin/python3 bench/idle_connections.py --attestd "$BUILD_DIR/verifier/attestd" --connections 1000
