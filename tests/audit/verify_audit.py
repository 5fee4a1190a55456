#!/usr/bin/python3
"""Independent verifier of the attestd audit log, written from docs/audit.md alone.

Standard library plus `cryptography` (run with /usr/bin/python3 on Debian).

  verify_audit.py (--db attestd.db | --export FILE) [--jwks FILE | --key-pem FILE]

Prints one line per chain, "OK chain <tenant> ..." or "FAIL <reason id> chain <tenant>: record <seq>",
and exits 1 when any chain fails.
"""
import argparse
import base64
import hashlib
import json
import sqlite3
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ZERO = bytes(32)


def s(value):
    b = value.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def canonical(r):
    return (b"\x01" + s(r["tenant"]) + struct.pack(">Q", r["seq"]) + struct.pack(">q", r["time_ms"]) +
            s(r["actor"]) + s(r["action"]) + s(r["object"]) + s(r["details_text"]) + s(r["request_id"]) +
            s(r["client_address"]))


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_keys(args):
    keys = {}
    if args.jwks:
        for k in json.load(open(args.jwks))["keys"]:
            x = int.from_bytes(b64url(k["x"]), "big")
            y = int.from_bytes(b64url(k["y"]), "big")
            keys[k["kid"]] = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    elif args.key_pem:
        key = serialization.load_pem_private_key(open(args.key_pem, "rb").read(), password=None)
        keys[None] = key.public_key()  # any kid: the one key of the data directory
    return keys


def verify_jws(jws, keys):
    """Returns (claims, None) or (None, reason id)."""
    parts = jws.split(".")
    if len(parts) != 3:
        return None, "audit.checkpoint.malformed"
    try:
        header = json.loads(b64url(parts[0]))
        payload = json.loads(b64url(parts[1]))
        sig = b64url(parts[2])
    except ValueError:
        return None, "audit.checkpoint.malformed"
    if header.get("alg") != "ES256" or header.get("typ") != "attestd-audit-checkpoint" or len(sig) != 64:
        return None, "audit.checkpoint.malformed"
    key = keys.get(header.get("kid"), keys.get(None))
    if key is None:
        return None, "audit.checkpoint.unknown_key"
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key.verify(der, (parts[0] + "." + parts[1]).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return None, "audit.checkpoint.signature_invalid"
    return payload, None


def derived(obj, details_text):
    details = json.loads(details_text)
    host = obj[len("host:"):] if obj.startswith("host:") and len(obj) > len("host:") else None
    verdict = details.get("verdict") if isinstance(details, dict) and isinstance(details.get("verdict"), str) else None
    reasons = []
    if isinstance(details, dict) and isinstance(details.get("reasons"), list):
        reasons = sorted({r for r in details["reasons"] if isinstance(r, str)})
    return host, verdict, reasons


def read_db(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.text_factory = lambda b: b.decode("utf-8")
    reasons = {}
    for tenant, reason, audit_id in db.execute("SELECT tenant_id, reason, audit_id FROM audit_reasons"):
        reasons.setdefault((tenant, audit_id), []).append(reason)
    records = []
    for row in db.execute("SELECT id, tenant_id, chain_seq, time, actor, action, object, details, request_id, "
                          "client_address, prev_hash, hash, host, verdict FROM audit ORDER BY tenant_id, chain_seq, id"):
        r = dict(zip(["id", "tenant", "seq", "time_ms", "actor", "action", "object", "details_text", "request_id",
                      "client_address", "prev_hash", "hash", "host", "verdict"], row))
        r["reasons"] = sorted(reasons.get((r["tenant"], r["id"]), []))
        records.append(r)
    checkpoints = [dict(zip(["tenant", "size", "head", "jws"], row))
                   for row in db.execute("SELECT tenant_id, size, head, jws FROM audit_checkpoints ORDER BY id")]
    return records, checkpoints, True


def read_export(path):
    records, checkpoints = [], []
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        j = json.loads(line)
        if j["type"] == "record":
            if json.loads(j["details_text"]) != j["details"]:
                raise SystemExit(f"FAIL audit.export.details_mismatch: record {j['seq']}")
            j["prev_hash"] = bytes.fromhex(j["prev_hash"])
            j["hash"] = bytes.fromhex(j["hash"])
            records.append(j)
        elif j["type"] == "checkpoint":
            checkpoints.append({"tenant": None, "size": j["size"], "head": bytes.fromhex(j["head"]), "jws": j["jws"]})
    tenant = records[0]["tenant"] if records else ""
    for c in checkpoints:
        c["tenant"] = tenant
    return records, checkpoints, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--export")
    ap.add_argument("--jwks")
    ap.add_argument("--key-pem")
    args = ap.parse_args()
    records, checkpoints, from_db = read_db(args.db) if args.db else read_export(args.export)
    keys = load_keys(args)
    failures = []
    # Checkpoints first: signature and the signed claims against the stored columns.
    by_chain = {}
    for c in checkpoints:
        if keys:
            claims, err = verify_jws(c["jws"], keys)
            if err:
                failures.append(f"FAIL {err} checkpoint of chain {c['tenant'] or '(system)'} size {c['size']}")
                continue
            if claims["tenant"] != c["tenant"] or claims["size"] != c["size"] or bytes.fromhex(claims["head"]) != c["head"]:
                failures.append(f"FAIL audit.checkpoint.claims_mismatch checkpoint of chain {c['tenant']} size {c['size']}")
                continue
        by_chain.setdefault(c["tenant"], {}).setdefault(c["size"], []).append(c["head"])

    chains = {}
    for r in records:
        chains.setdefault(r["tenant"], []).append(r)
    for tenant in by_chain:
        chains.setdefault(tenant, [])
    for tenant, recs in sorted(chains.items()):
        name = tenant or "(system)"
        size, head, last_id, fault = 0, ZERO, 0, None
        if recs and not from_db and recs[0]["seq"] > 1:
            size, head = recs[0]["seq"] - 1, recs[0]["prev_hash"]  # an export starting mid-chain
        cps = by_chain.get(tenant, {})
        for r in recs:
            seq = r["seq"]
            if seq != size + 1:
                fault = ("audit.chain.seq_gap", size + 1 if seq > size + 1 else seq)
                break
            if not isinstance(r["prev_hash"], bytes) or len(r["prev_hash"]) != 32 or \
               not isinstance(r["hash"], bytes) or len(r["hash"]) != 32:
                fault = ("audit.chain.hash_missing", seq)
                break
            if r["prev_hash"] != head:
                fault = ("audit.chain.prev_mismatch", seq)
                break
            h = hashlib.sha256(head + canonical(r)).digest()
            if h != r["hash"]:
                fault = ("audit.chain.hash_mismatch", seq)
                break
            if r["id"] <= last_id:
                fault = ("audit.chain.order", seq)
                break
            last_id, size, head = r["id"], seq, h
            if any(cp_head != h for cp_head in cps.get(seq, [])):
                fault = ("audit.checkpoint.head_mismatch", seq)
                break
            if from_db and (r["host"], r["verdict"], r["reasons"]) != derived(r["object"], r["details_text"]):
                fault = ("audit.chain.derived_mismatch", seq)
                break
        if fault is None and cps and max(cps) > size:
            fault = ("audit.checkpoint.beyond_log", size + 1)
        if fault:
            failures.append(f"FAIL {fault[0]} chain {name}: record {fault[1]}")
        else:
            print(f"OK chain {name}: {size} records, head {head.hex()}")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
