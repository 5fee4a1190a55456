#!/usr/bin/python3
"""Tamper tests of the audit log: a real database written by the real store (audit_fixture), then
edited, deleted from, inserted into and reordered directly in the SQLite file, as an attacker with
file access would (dropping the append-only triggers first). Each time `attestctl audit verify`
must fail with the exact reason id naming the exact record, and the independent Python verifier
(verify_audit.py) must agree.

  audit_tamper_test.py AUDIT_FIXTURE ATTESTCTL VERIFY_AUDIT_PY
"""
import hashlib
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

FIXTURE, ATTESTCTL, VERIFY_PY = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("verify_audit", VERIFY_PY)
verify_audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verify_audit)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED:", what)


work = tempfile.mkdtemp(prefix="audit-tamper-")
pristine = os.path.join(work, "pristine")
subprocess.run([FIXTURE, pristine], check=True, stdout=subprocess.DEVNULL)
KEY = os.path.join(pristine, "ear-signing-key.pem")


def connect(d):
    db = sqlite3.connect(os.path.join(d, "attestd.db"), isolation_level=None)
    return db


def tenant_of(d):
    # The chain of tenant "acme" (its id), the one the cases below tamper with.
    db = connect(d)
    (tid,) = db.execute("SELECT id FROM tenants WHERE name = 'acme'").fetchone()
    db.close()
    return tid


def copy(name):
    d = os.path.join(work, name)
    shutil.copytree(pristine, d)
    db = connect(d)
    for t in ["audit_no_update", "audit_no_delete", "audit_reasons_no_update", "audit_reasons_no_delete",
              "audit_checkpoints_no_update", "audit_checkpoints_no_delete"]:
        db.execute(f"DROP TRIGGER {t}")
    return d, db


def row(db, tid, seq):
    return db.execute("SELECT id, tenant_id, chain_seq, time, actor, action, object, details, request_id, "
                      "client_address, prev_hash, hash FROM audit WHERE tenant_id = ? AND chain_seq = ?",
                      (tid, seq)).fetchone()


def rec(r):
    keys = ["id", "tenant", "seq", "time_ms", "actor", "action", "object", "details_text", "request_id",
            "client_address", "prev_hash", "hash"]
    return dict(zip(keys, r))


def rehash_from(db, tid, seq):
    """What a careful attacker does after changing record `seq`: recompute every later hash."""
    prev = row(db, tid, seq - 1)[11] if seq > 1 else bytes(32)
    n = seq
    while True:
        r = row(db, tid, n)
        if r is None:
            break
        h = hashlib.sha256(prev + verify_audit.canonical(rec(r))).digest()
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, r[0]))
        prev, n = h, n + 1


def run_both(d, extra=()):
    cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--data-dir", d, *extra], capture_output=True, text=True)
    py = subprocess.run(["/usr/bin/python3", VERIFY_PY, "--db", os.path.join(d, "attestd.db"), "--key-pem",
                         os.path.join(d, "ear-signing-key.pem")], capture_output=True, text=True)
    return cpp, py


def expect(name, d, reason, tid, seq, extra=()):
    cpp, py = run_both(d, extra)
    check(cpp.returncode == 1, f"{name}: attestctl exit {cpp.returncode} (want 1)\n{cpp.stdout}{cpp.stderr}")
    want = f"FAIL {reason} chain {tid}: record {seq}"
    check(any(line.startswith(want) and (len(line) == len(want) or line[len(want)] in " :")
              for line in cpp.stdout.splitlines()),
          f"{name}: attestctl does not say '{want}':\n{cpp.stdout}")
    check(py.returncode == 1, f"{name}: verify_audit.py exit {py.returncode} (want 1)\n{py.stdout}{py.stderr}")
    check(want in py.stdout.splitlines(), f"{name}: verify_audit.py does not say '{want}':\n{py.stdout}")
    # Only the tampered chain fails: the other chains are reported intact by both.
    check(cpp.stdout.count("FAIL ") == 1, f"{name}: attestctl reports more than one failure:\n{cpp.stdout}")
    check(py.stdout.count("FAIL ") == 1, f"{name}: verify_audit.py reports more than one failure:\n{py.stdout}")


TID = tenant_of(pristine)
_db = connect(pristine)
# The first contraindicated attestation of the chain (it carries two reason ids).
(CONTRA,) = _db.execute("SELECT MIN(chain_seq) FROM audit WHERE tenant_id = ? AND verdict = 'contraindicated'",
                        (TID,)).fetchone()
_db.close()

# The untouched log verifies with both, checkpoints included.
cpp, py = run_both(pristine)
check(cpp.returncode == 0 and cpp.stdout.count("OK chain") == 3, f"pristine: attestctl\n{cpp.stdout}{cpp.stderr}")
check("checkpoint(s) match" in cpp.stdout and "0 checkpoint(s)" not in cpp.stdout, f"pristine: checkpoints\n{cpp.stdout}")
check(py.returncode == 0 and py.stdout.count("OK chain") == 3, f"pristine: verify_audit.py\n{py.stdout}{py.stderr}")

# Edit: an attestation's verdict flipped in place.
d, db = copy("edit")
r = row(db, TID, CONTRA)
check('"verdict":"contraindicated"' in r[7], "fixture: the record is a contraindicated attestation")
db.execute("UPDATE audit SET details = replace(details, 'contraindicated', 'affirming'), verdict = 'affirming' "
           "WHERE id = ?", (r[0],))
expect("edit", d, "audit.chain.hash_mismatch", TID, CONTRA)

# Edit and recompute every later hash: the chain is consistent again, the signed checkpoint is not.
d, db = copy("edit-rehash")
r = row(db, TID, CONTRA)
db.execute("UPDATE audit SET actor = 'someone-else' WHERE id = ?", (r[0],))
rehash_from(db, TID, CONTRA)
cp_size = db.execute("SELECT MIN(size) FROM audit_checkpoints WHERE tenant_id = ? AND size >= ?",
                     (TID, CONTRA)).fetchone()[0]
expect("edit-rehash", d, "audit.checkpoint.head_mismatch", TID, cp_size)

# Delete a record in the middle.
d, db = copy("delete")
db.execute("DELETE FROM audit_reasons WHERE audit_id = ?", (row(db, TID, 6)[0],))
db.execute("DELETE FROM audit WHERE tenant_id = ? AND chain_seq = 6", (TID,))
expect("delete", d, "audit.chain.seq_gap", TID, 6)

# Delete, renumber and rehash to hide the gap: caught by the checkpoint.
d, db = copy("delete-renumber")
db.execute("DELETE FROM audit_reasons WHERE audit_id = ?", (row(db, TID, 6)[0],))
db.execute("DELETE FROM audit WHERE tenant_id = ? AND chain_seq = 6", (TID,))
db.execute("UPDATE audit SET chain_seq = chain_seq + 1000 WHERE tenant_id = ? AND chain_seq > 6", (TID,))
db.execute("UPDATE audit SET chain_seq = chain_seq - 1001 WHERE tenant_id = ? AND chain_seq > 1000", (TID,))
rehash_from(db, TID, 6)
cp_size = db.execute("SELECT MIN(size) FROM audit_checkpoints WHERE tenant_id = ? AND size >= 6", (TID,)).fetchone()[0]
expect("delete-renumber", d, "audit.checkpoint.head_mismatch", TID, cp_size)

# Delete the newest records (truncation): the chain is consistent, the newest checkpoint covers more.
d, db = copy("truncate")
size = db.execute("SELECT MAX(chain_seq) FROM audit WHERE tenant_id = ?", (TID,)).fetchone()[0]
for seq in (size, size - 1):
    db.execute("DELETE FROM audit_reasons WHERE audit_id = ?", (row(db, TID, seq)[0],))
    db.execute("DELETE FROM audit WHERE tenant_id = ? AND chain_seq = ?", (TID, seq))
expect("truncate", d, "audit.checkpoint.beyond_log", TID, size - 1)

# Insert a forged record in the middle (later records renumbered to make room).
d, db = copy("insert")
db.execute("UPDATE audit SET chain_seq = chain_seq + 1000 WHERE tenant_id = ? AND chain_seq >= 5", (TID,))
db.execute("UPDATE audit SET chain_seq = chain_seq - 999 WHERE tenant_id = ? AND chain_seq > 1000", (TID,))
prev = row(db, TID, 4)[11]
forged = {"tenant": TID, "seq": 5, "time_ms": 1704067200005, "actor": "intruder", "action": "policy.put",
          "object": "policy:default@2", "details_text": "{}", "request_id": "", "client_address": ""}
h = hashlib.sha256(prev + verify_audit.canonical(forged)).digest()
db.execute("INSERT INTO audit (tenant_id, chain_seq, time, actor, action, object, details, request_id, client_address, "
           "prev_hash, hash) VALUES (?, 5, ?, 'intruder', 'policy.put', 'policy:default@2', '{}', '', '', ?, ?)",
           (TID, forged["time_ms"], prev, h))
# The forged record itself hashes correctly; the one after it no longer follows it.
expect("insert", d, "audit.chain.prev_mismatch", TID, 6)

# Reorder: two neighbouring records swap places (contents swapped, row ids kept).
d, db = copy("reorder")
a, b = row(db, TID, 9), row(db, TID, 10)
db.execute("UPDATE audit SET chain_seq = 1000 WHERE id = ?", (a[0],))
db.execute("UPDATE audit SET chain_seq = 9 WHERE id = ?", (b[0],))
db.execute("UPDATE audit SET chain_seq = 10 WHERE id = ?", (a[0],))
expect("reorder", d, "audit.chain.prev_mismatch", TID, 9)

# Reorder the append order only (row ids swapped, chain intact): caught by the id check.
d, db = copy("reorder-ids")
a, b = row(db, TID, 9), row(db, TID, 10)
db.execute("PRAGMA foreign_keys = OFF")
db.execute("UPDATE audit SET id = -1 WHERE id = ?", (a[0],))
db.execute("UPDATE audit SET id = ? WHERE id = ?", (a[0], b[0]))
db.execute("UPDATE audit SET id = ? WHERE id = -1", (b[0],))
for x, y in ((a[0], -1), (b[0], a[0]), (-1, b[0])):
    db.execute("UPDATE audit_reasons SET audit_id = ? WHERE audit_id = ?", (y, x))
expect("reorder-ids", d, "audit.chain.order", TID, 10)

# Hide a record from host queries: only the index column is changed, the hashed record is not.
d, db = copy("derived")
r = row(db, TID, CONTRA)
db.execute("UPDATE audit SET host = 'elsewhere' WHERE id = ?", (r[0],))
expect("derived", d, "audit.chain.derived_mismatch", TID, CONTRA)

# A reason id removed from the reason index.
d, db = copy("derived-reason")
db.execute("DELETE FROM audit_reasons WHERE audit_id = ? AND reason = 'eventlog.replay.pcr_mismatch'", (r[0],))
expect("derived-reason", d, "audit.chain.derived_mismatch", TID, CONTRA)

# A forged checkpoint (signature bytes altered).
d, db = copy("checkpoint-signature")
cid, jws = db.execute("SELECT id, jws FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size LIMIT 1", (TID,)).fetchone()
head, payload, sig = jws.split(".")
sig = ("B" if sig[0] == "A" else "A") + sig[1:]
db.execute("UPDATE audit_checkpoints SET jws = ? WHERE id = ?", (f"{head}.{payload}.{sig}", cid))
cpp, py = run_both(d)
check(cpp.returncode == 1 and "FAIL audit.checkpoint.signature_invalid" in cpp.stdout,
      f"checkpoint-signature: attestctl\n{cpp.stdout}{cpp.stderr}")
check(py.returncode == 1 and "FAIL audit.checkpoint.signature_invalid" in py.stdout,
      f"checkpoint-signature: verify_audit.py\n{py.stdout}")

# --from-checkpoint: an old checkpoint kept by an auditor proves the current log only grew...
old = os.path.join(work, "old-checkpoint.jws")
db = connect(pristine)
(old_jws,) = db.execute("SELECT jws FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size LIMIT 1", (TID,)).fetchone()
db.close()
open(old, "w").write(old_jws + "\n")
cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--data-dir", pristine, "--from-checkpoint", old],
                     capture_output=True, text=True)
check(cpp.returncode == 0, f"from-checkpoint (pristine): {cpp.stdout}{cpp.stderr}")
# ...and a log rewritten from the start, stored checkpoints deleted and re-signed by nobody, fails it.
d, db = copy("rewritten")
db.execute("DELETE FROM audit_checkpoints WHERE tenant_id = ?", (TID,))
db.execute("UPDATE audit SET actor = 'rewritten' WHERE tenant_id = ? AND chain_seq = 2", (TID,))
rehash_from(db, TID, 2)
cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--data-dir", d], capture_output=True, text=True)
check(cpp.returncode == 0, f"rewritten without checkpoints verifies on its own (that is what --from-checkpoint is for)")
cpp = subprocess.run([ATTESTCTL, "audit", "verify", "--data-dir", d, "--from-checkpoint", old],
                     capture_output=True, text=True)
old_size = json.loads(verify_audit.b64url(old_jws.split(".")[1]))["size"]
check(cpp.returncode == 1 and f"FAIL audit.checkpoint.head_mismatch chain {TID}: record {old_size}" in cpp.stdout,
      f"from-checkpoint (rewritten): {cpp.stdout}{cpp.stderr}")

shutil.rmtree(work)
if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all tamper cases detected by attestctl and verify_audit.py")
