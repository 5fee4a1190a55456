// Migration 3 (issue 6): the key broker's encrypted key versions.
// Owned by the key-broker work; kept in its own file so that migrations of parallel work do not collide.
#pragma once

#include <string_view>

namespace attestd::store::sqlite {

// One row per version of a tenant's key. Only the AES-256-GCM ciphertext (under the KEK named by
// kek_id, with tenant, name and version as additional data) is stored; destroying a key overwrites
// and then drops the ciphertext and nonce but keeps the row, so versions are never reused (a kid
// "name:version" names one secret forever) and the audit's references stay meaningful.
// policies: JSON array of policy names; conditions: JSON object (host_labels, gpu_required).
inline constexpr std::string_view kV3KeyStore = R"sql(
CREATE TABLE broker_key_versions (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  name         TEXT NOT NULL,
  version      INTEGER NOT NULL CHECK (version >= 1),
  kek_id       TEXT NOT NULL,
  nonce        BLOB CHECK (nonce IS NULL OR length(nonce) = 12),
  ciphertext   BLOB,
  secret_size  INTEGER NOT NULL CHECK (secret_size >= 0),
  policies     TEXT NOT NULL,
  conditions   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  destroyed_at INTEGER,
  CHECK ((destroyed_at IS NULL) = (ciphertext IS NOT NULL AND nonce IS NOT NULL)),
  PRIMARY KEY (tenant_id, name, version)
);
CREATE INDEX broker_key_versions_live ON broker_key_versions(tenant_id, destroyed_at, name);
)sql";

}  // namespace attestd::store::sqlite
