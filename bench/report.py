#!/usr/bin/env python3
"""Issue 10's table from one bench/run.sh run: component, figure, floor measured in the same run,
ratio. Reads the run's directory (openssl speed outputs, Google Benchmark JSON, attestd_loadgen
JSON, the fdatasync floor, the idle-connection output) and prints a Markdown table. Every floor is
taken from this directory, never from an earlier run; a figure whose input is missing is reported
missing, not guessed.

usage: bench/report.py RUN_DIR   (written by bench/run.sh; stdlib only)
"""
import json
import math
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])
meta = json.loads((out / "meta.json").read_text())


# -- openssl speed -------------------------------------------------------------------------------
def speed_line(file, pattern):
    for line in (out / file).read_text().splitlines():
        if re.match(pattern, line):
            return line.split()
    raise SystemExit(f"report.py: no line matching {pattern!r} in {file}")


def pk_us(file, pattern, col):
    """µs per operation from an `openssl speed` public-key line (the op/s column `col`)."""
    return 1e6 / float(speed_line(file, pattern)[col])


def evp_bytes_per_s(file, name):
    """bytes/s of `openssl speed -evp NAME -bytes N` (one column, in 1000s of bytes per second)."""
    return float(speed_line(file, rf"(?i)^{re.escape(name)}\s")[-1].rstrip("k")) * 1e3


# "rsa 2048 bits 0.000260s 0.000014s 3840.0 70800.5": sign/s, verify/s are the last two columns.
rsa_verify = pk_us("rsa2048.txt", r"^rsa 2048 bits", -1)
p256_sign = pk_us("ecdsap256.txt", r"^\s*256 bits ecdsa", -2)
p256_verify = pk_us("ecdsap256.txt", r"^\s*256 bits ecdsa", -1)
p384_verify = pk_us("ecdsap384.txt", r"^\s*384 bits ecdsa", -1)
p256_ecdh = pk_us("ecdhp256.txt", r"^\s*256 bits ecdh", -1)
sha256_bps = evp_bytes_per_s("sha256-16k.txt", "sha256")
cipher = meta["tls_cipher_evp"]
gcm_bps = evp_bytes_per_s("cipher-16k.txt", cipher)
# One PCR extend per bank: H(PCR ‖ digest), 2 × digest size bytes, through EVP like the replay.
extend_us = {alg: 1e6 * size / evp_bytes_per_s(f"extend-{alg}.txt", alg)
             for alg, size in (("sha1", 40), ("sha256", 64), ("sha384", 96), ("sha512", 128))}


def sha256_us(nbytes):
    return nbytes / sha256_bps * 1e6


def gcm_us(nbytes):
    return nbytes / gcm_bps * 1e6


# -- Google Benchmark ----------------------------------------------------------------------------
bench = {}
for f in sorted(out.glob("*.bench.json")):
    for b in json.loads(f.read_text())["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
        bench[b["name"]] = {"real_us": b["real_time"] * scale, "cpu_us": b["cpu_time"] * scale,
                            "items_per_s": b.get("items_per_second"), "mean_batch": b.get("mean_batch")}


def cpu(name):
    """CPU µs per iteration: on a shared machine the process's own CPU time is the honest figure
    for single-threaded compute (wall time includes waiting for the core)."""
    return bench[name]["cpu_us"] if name in bench else None


def jload(name):
    p = out / name
    return json.loads(p.read_text()) if p.exists() else None


rows = []


def us(x):
    return "missing" if x is None else (f"{x:,.2f} µs" if x < 100 else f"{x:,.0f} µs")


def ratio(fig, floor):
    return "—" if fig is None or not floor else f"{fig / floor:.2f}×"


def row(component, figure, floor, r="—"):
    rows.append((component, figure, floor, r))


# -- floors --------------------------------------------------------------------------------------
row("**floor** RSA-2048 verify (`openssl speed rsa2048`)", us(rsa_verify), "—")
row("**floor** ECDSA P-256 sign / verify (`openssl speed ecdsap256`)", f"{us(p256_sign)} / {us(p256_verify)}", "—")
row("**floor** ECDSA P-384 verify (`openssl speed ecdsap384`)", us(p384_verify), "—")
row("**floor** ECDH P-256 (`openssl speed ecdhp256`)", us(p256_ecdh), "—")
row("**floor** SHA-256, 16 KiB blocks (`openssl speed -evp sha256 -bytes 16384`)",
    f"{sha256_bps / 1e6:,.0f} MB/s", "—")
row(f"**floor** TLS record cipher {meta['tls_cipher']}, 16 KiB (`openssl speed -evp {cipher} -bytes 16384`)",
    f"{gcm_bps / 1e6:,.0f} MB/s", "—")
row("**floor** PCR extend through EVP, one per bank (`openssl speed -evp ALG -bytes 2×digest`)",
    " / ".join(f"{a} {v:.2f}" for a, v in extend_us.items()) + " µs", "—")
fsync = jload("fdatasync.json")
if fsync:
    row(f"**floor** 4 KiB append + fdatasync in {fsync['dir']} (median of {fsync['n']})", us(fsync["median_us"]), "—")
for n in meta["healthz_connections"]:
    h = jload(f"healthz-{n}.json")
    if not h:
        row(f"**floor** HTTPS keep-alive `GET /healthz`, {n} connections", "missing", "—")
        continue
    row(f"**floor** HTTPS keep-alive `GET /healthz` through attestd's TLS + HTTP, {n} connection{'s' if n > 1 else ''}",
        f"{h['requests_per_s']:,.0f} req/s, p50 {h['request']['p50_ms']:.3f} / p99 {h['request']['p99_ms']:.3f} ms, "
        f"server CPU {h.get('server_cpu_us_per_request', 0):.1f} µs/req", "—")

# -- components ----------------------------------------------------------------------------------
q_rsa, q_ecc = cpu("BM_VerifyQuoteRsa2048"), cpu("BM_VerifyQuoteEccP256")
row("quote verify, RSA-2048 RSASSA-SHA256, sha256:0-9 (`BM_VerifyQuoteRsa2048`)", us(q_rsa),
    f"RSA-2048 verify {us(rsa_verify)} (in-binary `BM_RawRsa2048Verify` {us(cpu('BM_RawRsa2048Verify'))})",
    ratio(q_rsa, rsa_verify))
row("quote verify, ECC P-256 ECDSA-SHA256 (`BM_VerifyQuoteEccP256`)", us(q_ecc),
    f"P-256 verify {us(p256_verify)} (in-binary {us(cpu('BM_RawEcdsaP256Verify'))})", ratio(q_ecc, p256_verify))

# The replay floor: every extending event extends every bank once (TPM 2.0 Part 1 §17.2).
ev = meta["eventlog"]
replay_floor = sum(n * extend_us[bank] for bank, n in ev["extends"].items())
pr = cpu("BM_ParseAndReplay")
row(f"event-log parse + replay, sb-shim-grub ({ev['bytes']:,} B; extends "
    + ", ".join(f"{b} {n}" for b, n in ev["extends"].items()) + ") (`BM_ParseAndReplay`)", us(pr),
    f"those {sum(ev['extends'].values())} extends' hashes {us(replay_floor)}", ratio(pr, replay_floor))
cd = cpu("BM_CheckDigests")
row("event digest check, every event's data in every bank (`BM_CheckDigests`; once per distinct log: cached)",
    us(cd), "—")

nv, nv_cold = cpu("BM_NvidiaReportVerify"), cpu("BM_NvidiaReportVerifyCold")
row("NVIDIA H100 report verify, leaf key cached (`BM_NvidiaReportVerify`)", us(nv),
    f"P-384 verify {us(p384_verify)}",
    ratio(nv, p384_verify) + (f" (rate {p384_verify / nv:.2f} of the floor's; target ≥ 0.9)" if nv else ""))
row("NVIDIA report verify cold: hex decode + PEM leaf parse (`BM_NvidiaReportVerifyCold`)", us(nv_cold),
    f"P-384 verify {us(p384_verify)}", ratio(nv_cold, p384_verify))
g = cpu("BM_VerifyGpuColdChainIncluded")
row("whole GPU verify cold: 5-certificate chain + report + FWID (`BM_VerifyGpuColdChainIncluded`)", us(g),
    f"5 × P-384 verify {us(5 * p384_verify)}", ratio(g, 5 * p384_verify))

for arg, label in ((0, "the loadgen's policy and reference set"), (10000, "+ 10,000 reference values")):
    row(f"policy appraisal, {label} (`BM_AppraiseLoadgenPolicy/{arg}`)", us(cpu(f"BM_AppraiseLoadgenPolicy/{arg}")),
        "— (compares values it is given)")

ear = cpu("BM_IssueEar/1")
row("EAR signing: ES256 JWT, TPM + 1 GPU submod, tee key (`BM_IssueEar/1`)", us(ear),
    f"P-256 sign {us(p256_sign)} (in-binary `BM_RawEcdsaP256Sign` {us(cpu('BM_RawEcdsaP256Sign'))})",
    ratio(ear, p256_sign))
jwe_ec = cpu("BM_EncryptJwe/ECDH-ES+A256KW/p256/2")
jwe_floor = p256_ecdh + p256_sign
row("JWE wrapping, ECDH-ES+A256KW to a P-256 key (`BM_EncryptJwe/.../p256`)", us(jwe_ec),
    f"ECDH P-256 {us(p256_ecdh)} + ephemeral key ≈ P-256 sign {us(p256_sign)} = {us(jwe_floor)}",
    ratio(jwe_ec, jwe_floor))
jwe_rsa = cpu("BM_EncryptJwe/RSA-OAEP-256/rsa2048/0")
row("JWE wrapping, RSA-OAEP-256 to an RSA-2048 key (`BM_EncryptJwe/.../rsa2048`)", us(jwe_rsa),
    f"RSA-2048 public op (= verify) {us(rsa_verify)}", ratio(jwe_rsa, rsa_verify))

for threads in (1, 32):
    name = f"BM_AuditAppendDurable/iterations:500/real_time/threads:{threads}"
    b = bench.get(name)
    if not b or not fsync:
        row(f"audit append, durable, {threads} threads", "missing", "—")
        continue
    per = 1e6 / b["items_per_s"]
    # Group commit: at best all `threads` waiting appends share one fdatasync.
    floor = fsync["median_us"] / threads
    row(f"audit append, durable (synchronous=FULL), {threads} thread{'s' if threads > 1 else ''} (`BM_AuditAppendDurable`)",
        f"{b['items_per_s']:,.0f}/s = {us(per)} each",
        f"fdatasync {us(fsync['median_us'])}" + (f" ÷ {threads} appends per commit = {us(floor)}" if threads > 1 else ""),
        ratio(per, floor))


# -- full attestation through HTTPS --------------------------------------------------------------
def attestation_rows(j, label, release):
    if not j:
        row(f"full attestation through HTTPS, {label}", "missing", "—")
        return
    quote_floor = rsa_verify if j["ak"] == "rsa" else p256_verify
    # SHA-256 over what one attestation hashes, by the bytes: the event-log cache key (the whole
    # log), the TPMS_ATTEST and TPMT_SIGNATURE digests kept as evidence digests (≈ 0.2 KiB), the
    # pcrDigest over 10 × 32 B, the EAR signing input, two audit chain records (challenge.create,
    # attestation.record: previous hash ‖ canonical record, ≈ 0.6 KiB each) and two bearer tokens.
    hashed = j["event_log_bytes"] + 200 + 320 + j["ear_signing_input_bytes"] + 2 * 600 + 2 * 32
    tls_bytes = j["request_body_bytes_per_attestation"] + j["response_body_bytes_per_attestation"]
    parts = [("quote verify", quote_floor), ("EAR ES256 sign", p256_sign), (f"SHA-256 of {hashed:,} B", sha256_us(hashed)),
             (f"{meta['tls_cipher']} of {tls_bytes:,} B", gcm_us(tls_bytes))]
    if release:
        # The release: EAR signature check, JWE to the TEE key, a third audit record and token.
        parts += [("EAR verify", p256_verify), ("JWE ECDH-ES P-256", jwe_floor), ("SHA-256 of 0.7 KiB", sha256_us(700))]
    floor = sum(v for _, v in parts)
    server = j.get("server_cpu_us_per_attestation")
    row(f"full attestation through HTTPS, {label}: {j['connections']} connections, {j['ak']} AK, closed loop "
        f"{j['elapsed_s']:.0f} s",
        f"{j['attestations_per_s']:,.0f}/s, p50 {j['exchange']['p50_ms']:.1f} / p99 {j['exchange']['p99_ms']:.1f} ms, "
        f"{j['errors']} errors", "—")
    row(f"  server CPU per attestation{' (incl. release)' if release else ''}; implied capacity "
        f"({j['cores']} cores ÷ server CPU)",
        f"{us(server)}; {j.get('implied_server_capacity_per_s', 0):,.0f}/s",
        " + ".join(f"{n} {v:.1f}" for n, v in parts) + f" = {us(floor)}", ratio(server, floor))
    row("  client CPU per attestation (same cores)", us(j["client_cpu_us_per_attestation"]), "—")


attestation_rows(jload("attest.json"), "challenge + attestation", False)
attestation_rows(jload("attest-release.json"), "challenge + attestation + key release", True)

idle = out / "idle_connections.txt"
if idle.exists():
    m = re.search(r"peak RSS \(VmHWM\)\s+([\d.]+) MiB", idle.read_text())
    c = re.search(r"connections\s+(\d+)", idle.read_text())
    if m and c:
        row(f"memory: peak RSS under {int(c.group(1)):,} idle keep-alive TLS connections (`bench/idle_connections.py`)",
            f"{float(m.group(1)):.1f} MiB", "target < 64 MB", f"{float(m.group(1)) / 64:.2f}× of the target")

print(f"bench/run.sh, {meta['date']}, {meta['cores']} cores ({meta['cpu']}), load average "
      f"{meta['load_before']} before / {meta['load_after']} after; Google Benchmark figures are CPU time per "
      f"iteration, min_time {meta['min_time']} s")
print()
print("| component | figure | floor (same run) | ratio |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
