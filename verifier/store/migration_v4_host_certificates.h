// Migration 4 (issue 8): TLS client certificates as host credentials.
// Kept in its own file, like migration 3, so that migrations of parallel work do not collide.
#pragma once

#include <string_view>

namespace attestd::store::sqlite {

// One row per registered certificate of a host. sha256 (of the DER) is UNIQUE across tenants: a
// presented certificate must map to exactly one (tenant, host), so one lookup by it decides.
// Revocation keeps the row (revoked_at) so that a revoked certificate is refused as revoked, not
// as unknown. ON DELETE CASCADE: deleting a tenant deletes its hosts, and their certificates go
// with them in the same transaction instead of making the deletion fail.
inline constexpr std::string_view kV4HostCertificates = R"sql(
CREATE TABLE host_certificates (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  host_id     TEXT NOT NULL,
  der         BLOB NOT NULL,
  sha256      BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),
  not_before  INTEGER NOT NULL,
  not_after   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  FOREIGN KEY (tenant_id, host_id) REFERENCES hosts(tenant_id, host_id) ON DELETE CASCADE
);
CREATE INDEX host_certificates_by_host ON host_certificates(tenant_id, host_id);
)sql";

}  // namespace attestd::store::sqlite
