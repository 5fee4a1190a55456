#!/usr/bin/python3
"""Re-walks every audit chain of a fleet-size database in one pass, in constant memory per record.

  verify_chain.py DATA_DIR/attestd.db

Uses the canonical form and derived-column rules of tests/audit/verify_audit.py itself (imported,
not copied); that verifier holds the whole log in memory, which 10 million records do not fit, and
`attestctl audit verify` reads each record's reasons with a subquery that scans all of the tenant's
reason rows (quadratic: see bench/README.md, "Fleet scale"). Checks per record: sequence, prev_hash,
hash, row order, host/verdict/reason columns, and every stored checkpoint head at its size (not the
checkpoint signatures: verify_audit.py and attestctl do those). Prints one line per chain, exits 1
on the first fault.
"""
import hashlib
import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in tests/audit
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "audit"))
from verify_audit import ZERO, canonical, derived  # noqa: E402


def main():
    path = sys.argv[1]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.execute("BEGIN")  # one snapshot for all the reads below
    reasons = {}
    for t, audit_id, reason in db.execute("SELECT tenant_id, audit_id, reason FROM audit_reasons"):
        reasons.setdefault((t, audit_id), []).append(reason)
    checkpoints = {}
    for t, size, head in db.execute("SELECT tenant_id, size, head FROM audit_checkpoints"):
        checkpoints.setdefault((t, size), []).append(head)
    tenant, size, head, last_id = None, 0, ZERO, 0
    sizes = {}
    for (row_id, t, seq, time_ms, actor, action, obj, details, request_id, client_address, prev, stored, host,
         verdict) in db.execute("SELECT id, tenant_id, chain_seq, time, actor, action, object, details, request_id, "
                                "client_address, prev_hash, hash, host, verdict FROM audit "
                                "ORDER BY tenant_id, chain_seq"):
        if t != tenant:
            if tenant is not None:
                print(f"OK chain {tenant or '(system)'}: {size} records, head {head.hex()}")
            tenant, size, head, last_id = t, 0, ZERO, 0
        r = {"tenant": t, "seq": seq, "time_ms": time_ms, "actor": actor, "action": action, "object": obj,
             "details_text": details, "request_id": request_id, "client_address": client_address}
        h = hashlib.sha256(head + canonical(r)).digest()
        fault = None
        if seq != size + 1:
            fault = "audit.chain.seq_gap"
        elif prev != head:
            fault = "audit.chain.prev_mismatch"
        elif h != stored:
            fault = "audit.chain.hash_mismatch"
        elif row_id <= last_id:
            fault = "audit.chain.order"
        elif any(c != h for c in checkpoints.get((t, seq), [])):
            fault = "audit.checkpoint.head_mismatch"
        elif (host, verdict, sorted(reasons.get((t, row_id), []))) != derived(obj, details):
            fault = "audit.chain.derived_mismatch"
        if fault:
            print(f"FAIL {fault} chain {t or '(system)'}: record {seq}")
            return 1
        size, head, last_id = seq, h, row_id
        sizes[t] = seq
    if tenant is not None:
        print(f"OK chain {tenant or '(system)'}: {size} records, head {head.hex()}")
    for t, cp_size in checkpoints:
        if cp_size > sizes.get(t, 0):
            print(f"FAIL audit.checkpoint.beyond_log chain {t or '(system)'}: checkpoint of size {cp_size}")
            return 1
    print(f"{sum(len(v) for v in checkpoints.values())} checkpoint heads matched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
