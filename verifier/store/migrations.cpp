// Schema migrations. SQL here sticks to what SQLite and PostgreSQL both accept where that costs
// nothing (TEXT ids, INTEGER milliseconds, BLOB for bytes ~ BYTEA, JSON as TEXT ~ JSONB), so a
// PostgreSQL migration list can mirror it; triggers are SQLite's dialect.
#include "migrations.h"

#include "migration_v2_audit_chain.h"
#include "migration_v3_key_store.h"
#include "migration_v4_host_certificates.h"

#include <fmt/format.h>

#include <array>

namespace attestd::store::sqlite {

namespace {

// Version 1: the entities of issue 4.
//  - Tenant-owned tables carry tenant_id, and every key and index a query uses starts with it.
//  - Hosts are keyed (tenant_id, host_id): two tenants may enroll the same host id (issue 8).
//  - attestations.challenge_id is UNIQUE: even a bug in the consume logic cannot store two
//    results for one nonce.
//  - audit is append-only (triggers) and numbered per tenant chain (tenant_id, chain_seq) so that
//    issue 7 can hash along the chain; prev_hash/hash stay NULL until then. The service's own
//    chain (authentication failures, operator actions) uses tenant_id ''.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT REFERENCES tenants(id),
  role           TEXT NOT NULL CHECK (role IN ('admin', 'attester', 'workload', 'auditor', 'operator')),
  token_sha256   BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER,
  revoked_at     INTEGER,
  allowed_hosts  TEXT,
  allowed_keys   TEXT,
  CHECK ((role = 'operator') = (tenant_id IS NULL))
);
CREATE INDEX tokens_by_tenant ON tokens(tenant_id);

CREATE TABLE hosts (
  tenant_id       TEXT NOT NULL REFERENCES tenants(id),
  host_id         TEXT NOT NULL,
  ak_public       BLOB NOT NULL,
  ak_name         BLOB NOT NULL,
  ek_certificate  BLOB,
  labels          TEXT NOT NULL DEFAULT '{}',
  policy_name     TEXT,
  trusted         INTEGER NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1)),
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, host_id)
);

CREATE TABLE enrollments (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  host_id         TEXT NOT NULL,
  secret_sha256   BLOB NOT NULL CHECK (length(secret_sha256) = 32),
  ak_public       BLOB NOT NULL,
  ak_name         BLOB NOT NULL,
  ek_certificate  BLOB,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  consumed_at     INTEGER,
  FOREIGN KEY (tenant_id, host_id) REFERENCES hosts(tenant_id, host_id)
);
CREATE INDEX enrollments_by_host ON enrollments(tenant_id, host_id);

CREATE TABLE challenges (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  host_id      TEXT NOT NULL,
  nonce        BLOB NOT NULL CHECK (length(nonce) = 32),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  consumed_at  INTEGER,
  FOREIGN KEY (tenant_id, host_id) REFERENCES hosts(tenant_id, host_id)
);
CREATE INDEX challenges_by_host ON challenges(tenant_id, host_id);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);

CREATE TABLE attestations (
  id                TEXT PRIMARY KEY,
  tenant_id         TEXT NOT NULL,
  host_id           TEXT NOT NULL,
  challenge_id      TEXT NOT NULL UNIQUE,
  verdict           TEXT NOT NULL CHECK (verdict IN ('affirming', 'warning', 'contraindicated', 'none')),
  reasons           TEXT NOT NULL,
  token             TEXT NOT NULL,
  policy_name       TEXT,
  policy_version    INTEGER,
  evidence_digests  TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, host_id) REFERENCES hosts(tenant_id, host_id)
);
CREATE INDEX attestations_by_host ON attestations(tenant_id, host_id, created_at);

CREATE TABLE reference_sets (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  document    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER,
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE policies (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  document    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER,
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE tpm_roots (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  der         BLOB NOT NULL,
  sha256      BLOB NOT NULL CHECK (length(sha256) = 32),
  created_at  INTEGER NOT NULL,
  UNIQUE (tenant_id, sha256)
);

CREATE TABLE audit (
  id              INTEGER PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  chain_seq       INTEGER NOT NULL CHECK (chain_seq >= 1),
  time            INTEGER NOT NULL,
  actor           TEXT NOT NULL,
  action          TEXT NOT NULL,
  object          TEXT NOT NULL,
  details         TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  client_address  TEXT NOT NULL,
  prev_hash       BLOB,
  hash            BLOB,
  UNIQUE (tenant_id, chain_seq)
);
CREATE INDEX audit_by_tenant_action ON audit(tenant_id, action, id);
CREATE INDEX audit_by_tenant_object ON audit(tenant_id, object, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql";

constexpr std::array kMigrations = {
    Migration{1, kV1},
    Migration{2, kV2AuditChain},
    Migration{3, kV3KeyStore},
    Migration{4, kV4HostCertificates},
};

constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

Result<int64_t> schema_version(Connection& conn) {
  return conn.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version");
}

Result<void> migrate(Connection& conn, Timestamp now) {
  if (auto r = conn.exec(kCreateVersionTable); !r) return r;
  for (const Migration& m : kMigrations) {
    // Cheap check outside the write lock: an up-to-date database takes no lock at all.
    auto current = schema_version(conn);
    if (!current) return std::unexpected(std::move(current.error()));
    if (*current >= m.version) continue;

    if (auto r = conn.exec("BEGIN IMMEDIATE"); !r) return r;
    auto apply = [&]() -> Result<void> {
      auto locked = schema_version(conn);  // another process may have migrated meanwhile
      if (!locked) return std::unexpected(std::move(locked.error()));
      if (*locked >= m.version) return {};
      if (*locked != m.version - 1) {
        return std::unexpected(StoreError{StoreErrorCode::internal,
                                          fmt::format("schema is at version {}, cannot apply {}", *locked, m.version)});
      }
      if (auto r = conn.exec(m.sql); !r) return r;
      auto q = conn.query("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
      if (!q) return std::unexpected(std::move(q.error()));
      if (auto r = q->bind(m.version, now); !r) return r;
      return q->run();
    };
    auto applied = apply();
    if (!applied) {
      (void)conn.exec("ROLLBACK");
      return std::unexpected(StoreError{applied.error().code, fmt::format("migration {}: {}", m.version,
                                                                          applied.error().message)});
    }
    if (auto r = conn.exec("COMMIT"); !r) {
      (void)conn.exec("ROLLBACK");
      return r;
    }
  }
  auto final_version = schema_version(conn);
  if (!final_version) return std::unexpected(std::move(final_version.error()));
  const int64_t newest = kMigrations.back().version;
  if (*final_version > newest) {
    return std::unexpected(StoreError{
        StoreErrorCode::internal,
        fmt::format("database schema version {} is newer than this build ({})", *final_version, newest)});
  }
  return {};
}

}  // namespace attestd::store::sqlite
