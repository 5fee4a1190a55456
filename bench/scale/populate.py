#!/usr/bin/python3
"""Brings an attestd data directory to fleet size (issue 10) while attestd is stopped.

  populate.py DATA_DIR [--hosts 100000] [--records 10000000]

DATA_DIR must have been initialised by attestd (schema, demo tenant). Writes, in the demo tenant:
  - HOSTS enrolled hosts with trusted ECC AKs, each with what the store writes for
    POST /v1/hosts + an activated enrollment: a hosts row (trusted = 1, a real P-256 AK as the
    TPM2B_PUBLIC tpm2_createak makes, Name = 000b || SHA-256(TPMT_PUBLIC)), a consumed enrollments
    row, and the three audit records host.create, enrollment.begin, enrollment.activate;
  - then attestation.record audit records until the tenant's chain holds RECORDS records, one per
    attestation of a random fleet host, 1 in 100 contraindicated with a reason id (audit_reasons row).

The audit rows are exactly what append_audit_row writes (verifier/store/audit_store.cpp): the
canonical form and chain hash of docs/audit.md (the same encoding as tests/audit/verify_audit.py),
details as nlohmann::json::dump() prints them (keys sorted, compact), host/verdict columns derived
from object/details. bench/scale/verify_chain.py re-walks the result with verify_audit.py's own
canonical form (`attestctl audit verify` does too on small populations; at this size it is too slow,
see bench/README.md).

Not written: the attestations and challenges rows the attestation records name. The audit log is
what grows without bound (it is append-only); the attestations table is not what this measures, and
writing 20 million more rows with random keys would take most of an hour. Said so in bench/README.md.

Throwaway data, so the population runs with synchronous=OFF and a rollback journal, in one
transaction, with the audit table's secondary indexes dropped and rebuilt from their own schema SQL
afterwards (one sort per index instead of ten million scattered inserts), like tests/audit/audit_bulk.h.
"""
import argparse
import hashlib
import os
import random
import sqlite3
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric import ec

TPM2_ALG_ECC, TPM2_ALG_SHA256, TPM2_ALG_NULL, TPM2_ALG_ECDSA, TPM2_ECC_NIST_P256 = 0x23, 0x0B, 0x10, 0x18, 0x03
AK_ATTRIBUTES = 0x00050072  # tpm2_createak: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign


def s(value):
    b = value.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def canonical(tenant, seq, time_ms, actor, action, obj, details, request_id, client_address):
    """docs/audit.md canonical record encoding, version 1 (tests/audit/verify_audit.py canonical())."""
    return (b"\x01" + s(tenant) + struct.pack(">Q", seq) + struct.pack(">q", time_ms) + s(actor) + s(action) +
            s(obj) + s(details) + s(request_id) + s(client_address))


def ecc_ak():
    """A fresh P-256 AK as tpm2_createak -G ecc -g sha256 -s ecdsa shapes it: (TPM2B_PUBLIC, Name)."""
    pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    tpmt = (struct.pack(">HHI", TPM2_ALG_ECC, TPM2_ALG_SHA256, AK_ATTRIBUTES) + struct.pack(">H", 0) +  # authPolicy
            struct.pack(">HHHHH", TPM2_ALG_NULL, TPM2_ALG_ECDSA, TPM2_ALG_SHA256, TPM2_ECC_NIST_P256, TPM2_ALG_NULL) +
            struct.pack(">H", 32) + pub.x.to_bytes(32, "big") + struct.pack(">H", 32) + pub.y.to_bytes(32, "big"))
    return struct.pack(">H", len(tpmt)) + tpmt, struct.pack(">H", TPM2_ALG_SHA256) + hashlib.sha256(tpmt).digest()


def new_id():
    return os.urandom(16).hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--hosts", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=10_000_000, help="size of the demo tenant's chain afterwards")
    ap.add_argument("--tenant", default="demo")
    args = ap.parse_args()
    started = time.monotonic()
    db = sqlite3.connect(os.path.join(args.data_dir, "attestd.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")  # 2 GB: the index rebuilds sort in memory
    db.execute("PRAGMA temp_store=MEMORY")
    row = db.execute("SELECT id FROM tenants WHERE name = ?", (args.tenant,)).fetchone()
    if row is None:
        sys.exit(f"populate: no tenant '{args.tenant}' (start attestd on {args.data_dir} once first)")
    tenant = row[0]
    actor_row = db.execute("SELECT id FROM tokens WHERE tenant_id = ? AND role = 'admin' ORDER BY created_at LIMIT 1",
                           (tenant,)).fetchone()
    actor = f"token:{actor_row[0]}" if actor_row else "populate"
    seq, head = db.execute("SELECT chain_seq, hash FROM audit WHERE tenant_id = ? ORDER BY chain_seq DESC LIMIT 1",
                           (tenant,)).fetchone() or (0, bytes(32))
    if len(head) != 32:
        sys.exit("populate: the chain head carries no hash")
    start_ms = db.execute("SELECT MAX(time) FROM audit").fetchone()[0] or int(time.time() * 1000)
    if args.records < seq + 3 * args.hosts:
        sys.exit(f"populate: --records {args.records} is below the {seq + 3 * args.hosts} the enrollments write")

    db.execute("BEGIN")
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit' "
                         "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")

    state = {"seq": seq, "head": head}
    reasons_rows = []
    # Record n of the chain gets time start + n/100 ms: strictly after what is there, and still in
    # the past when attestd starts again a few minutes later.
    def record(action, obj, details, host, verdict):
        state["seq"] += 1
        n = state["seq"]
        t = start_ms + 1 + n // 100
        request_id = f"fleet-{n}"
        prev = state["head"]
        h = hashlib.sha256(prev + canonical(tenant, n, t, actor, action, obj, details, request_id, "10.0.0.1")).digest()
        state["head"] = h
        return (n, tenant, n, t, actor, action, obj, details, request_id, "10.0.0.1", prev, h, host, verdict)

    audit_sql = ("INSERT INTO audit (id, tenant_id, chain_seq, time, actor, action, object, details, request_id, "
                 "client_address, prev_hash, hash, host, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    # Row ids continue the table's (audit ids grow in chain order: the verifier checks it).
    base_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()[0]

    def with_id(row):
        state["id"] = state.get("id", base_id) + 1
        return (state["id"],) + row[1:]

    # Hosts and their enrollments.
    hosts = [f"fleet-{i:06d}" for i in range(args.hosts)]
    host_rows, enroll_rows, audit_rows = [], [], []
    for i, host in enumerate(hosts):
        ak_public, ak_name = ecc_ak()
        created = start_ms + 1 + (state["seq"] + 1) // 100
        eid = new_id()
        expires = created + 600_000
        host_rows.append((tenant, host, ak_public, ak_name, None, "{}", None, 1, created))
        enroll_rows.append((eid, tenant, host, os.urandom(32), ak_public, ak_name, None, created, expires, created))
        obj = f"host:{host}"
        audit_rows.append(with_id(record("host.create", obj, '{"policy":null}', host, None)))
        audit_rows.append(with_id(record("enrollment.begin", obj, f'{{"enrollment_id":"{eid}","expires_at":{expires}}}',
                                         host, None)))
        audit_rows.append(with_id(record("enrollment.activate", obj,
                                         f'{{"ak_name":"{ak_name.hex()}","enrollment_id":"{eid}"}}', host, None)))
    db.executemany("INSERT INTO hosts (tenant_id, host_id, ak_public, ak_name, ek_certificate, labels, policy_name, "
                   "trusted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", host_rows)
    db.executemany("INSERT INTO enrollments (id, tenant_id, host_id, secret_sha256, ak_public, ak_name, "
                   "ek_certificate, created_at, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   enroll_rows)
    db.executemany(audit_sql, audit_rows)
    del host_rows, enroll_rows, audit_rows
    print(f"populate: {args.hosts} hosts enrolled ({time.monotonic() - started:.0f} s)", flush=True)

    # Attestation records.
    rng = random.Random(10)
    mismatch = "tpm.quote.pcr_digest_mismatch"

    def attestations():
        while state["seq"] < args.records:
            host = hosts[rng.randrange(len(hosts))]
            ids = os.urandom(32).hex()
            bad = state["seq"] % 100 == 41
            verdict = "contraindicated" if bad else "affirming"
            details = (f'{{"attestation_id":"{ids[:32]}","challenge_id":"{ids[32:]}","evidence_digests":'
                       f'{{"tpm.event_log":"{hashlib.sha256(ids.encode()).hexdigest()}",'
                       f'"tpm.quote":"{hashlib.sha256(ids[:32].encode()).hexdigest()}",'
                       f'"tpm.signature":"{hashlib.sha256(ids[32:].encode()).hexdigest()}"}},'
                       f'"policy":"default","policy_version":1,"reasons":[{chr(34) + mismatch + chr(34) if bad else ""}],'
                       f'"reference_sets":{{"default":1}},"verdict":"{verdict}"}}')
            row = with_id(record("attestation.record", f"host:{host}", details, host, verdict))
            if bad:
                reasons_rows.append((tenant, mismatch, row[0]))
            if state["seq"] % 1_000_000 == 0:
                print(f"populate: chain at {state['seq']} ({time.monotonic() - started:.0f} s)", flush=True)
            yield row

    db.executemany(audit_sql, attestations())
    db.executemany("INSERT INTO audit_reasons (tenant_id, reason, audit_id) VALUES (?, ?, ?)", reasons_rows)
    print(f"populate: records written, rebuilding {len(indexes)} indexes ({time.monotonic() - started:.0f} s)",
          flush=True)
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")  # what attestd sets; it would on open anyway
    db.close()
    size = os.path.getsize(os.path.join(args.data_dir, "attestd.db"))
    print(f"populate: done: {args.hosts} hosts, chain of tenant {args.tenant} at {state['seq']} records, "
          f"head {state['head'].hex()}, {size / 1e9:.2f} GB, {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
