// Migration 2 (issue 7): the audit log's hash chain and signed checkpoints.
// Owned by the audit work; kept in its own file so that migrations of parallel work do not collide.
#pragma once

#include <string_view>

namespace attestd::store::sqlite {

// Version 2: the audit log becomes queryable and verifiable.
//  - prev_hash/hash (added NULL in version 1) are now written by every append; docs/audit.md gives
//    the canonical encoding they hash. Version 1 never wrote rows without them in a released build.
//  - host and verdict are copies of what object and details already say, kept as columns so that
//    the filtered queries of GET /v1/audit walk an index instead of parsing JSON. They are derived
//    from hashed fields, and `attestctl audit verify` re-derives them, so editing them to hide a
//    row from a query is detected like any other edit.
//  - audit_by_tenant_id serves the unfiltered newest-first page (id order within a tenant).
//  - audit_reasons holds one row per reason id of a record (a record has several), with the key
//    order of the query that uses it: tenant, reason, newest first.
//  - audit_checkpoints keeps every signed checkpoint (JWS compact, ES256). One per (tenant, size).
//  - Every new table is append-only like audit itself.
inline constexpr std::string_view kV2AuditChain = R"sql(
ALTER TABLE audit ADD COLUMN host TEXT;
ALTER TABLE audit ADD COLUMN verdict TEXT;
CREATE INDEX audit_by_tenant_host ON audit(tenant_id, host, id) WHERE host IS NOT NULL;
CREATE INDEX audit_by_tenant_verdict ON audit(tenant_id, verdict, id) WHERE verdict IS NOT NULL;
CREATE INDEX audit_by_tenant_time ON audit(tenant_id, time);
CREATE INDEX audit_by_tenant_id ON audit(tenant_id, id);

CREATE TABLE audit_reasons (
  tenant_id  TEXT NOT NULL,
  reason     TEXT NOT NULL,
  audit_id   INTEGER NOT NULL REFERENCES audit(id),
  PRIMARY KEY (tenant_id, reason, audit_id)
) WITHOUT ROWID;
CREATE TRIGGER audit_reasons_no_update BEFORE UPDATE ON audit_reasons
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

CREATE TABLE audit_checkpoints (
  id         INTEGER PRIMARY KEY,
  tenant_id  TEXT NOT NULL,
  size       INTEGER NOT NULL CHECK (size >= 1),
  head       BLOB NOT NULL CHECK (length(head) = 32),
  time       INTEGER NOT NULL,
  jws        TEXT NOT NULL,
  UNIQUE (tenant_id, size)
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql";

}  // namespace attestd::store::sqlite
