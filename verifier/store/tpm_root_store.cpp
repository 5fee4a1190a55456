// Trusted TPM manufacturer roots per tenant, against which EK certificates are checked.
#include <fmt/format.h>

#include "audit_log.h"
#include "ids.h"
#include "sha256.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

Result<TpmRoot> SqliteStore::add_tpm_root(const TenantScope& scope, std::span<const uint8_t> der,
                                          const RequestContext& ctx) {
  if (der.empty()) return fail(StoreErrorCode::invalid_argument, "certificate is empty");
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  auto digest = sha256(der);
  if (!digest) return std::unexpected(std::move(digest.error()));
  return writer_->run([&](Connection& c) -> Result<TpmRoot> {
    auto inserted = c.execute("INSERT INTO tpm_roots (id, tenant_id, der, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                              *id, scope.tenant_id(), der, *digest, ctx.now);
    if (!inserted) {
      if (inserted.error().code == StoreErrorCode::conflict) {
        return fail(StoreErrorCode::conflict, "this root is already trusted");
      }
      return std::unexpected(std::move(inserted.error()));
    }
    AuditEvent event{"tpm_root.add", fmt::format("tpm_root:{}", *id), {{"sha256", to_hex(*digest)}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return TpmRoot{*id, Bytes(der.begin(), der.end()), *digest, ctx.now};
  });
}

Result<std::vector<TpmRoot>> SqliteStore::list_tpm_roots(const TenantScope& scope) {
  return readers_->with([&](Connection& c) -> Result<std::vector<TpmRoot>> {
    auto q = c.select("SELECT id, der, sha256, created_at FROM tpm_roots WHERE tenant_id = ? ORDER BY created_at, id",
                      scope.tenant_id());
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<TpmRoot> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return out;
      const auto digest = q->fixed_blob<32>(2);
      if (!digest) return fail(StoreErrorCode::internal, "stored root digest is not 32 bytes");
      out.push_back(TpmRoot{q->text(0), q->blob(1), *digest, q->time(3)});
    }
  });
}

Result<void> SqliteStore::remove_tpm_root(const TenantScope& scope, std::string_view root_id,
                                          const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<void> {
    auto removed = c.execute("DELETE FROM tpm_roots WHERE id = ? AND tenant_id = ?", root_id, scope.tenant_id());
    if (!removed) return std::unexpected(std::move(removed.error()));
    if (*removed == 0) return fail(StoreErrorCode::not_found, "no such root");
    AuditEvent event{"tpm_root.remove", fmt::format("tpm_root:{}", root_id), nlohmann::json::object()};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return {};
  });
}

}  // namespace attestd::store::sqlite
