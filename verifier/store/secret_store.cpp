// The key broker's sealed key versions (issue 6). Only ciphertext reaches this file: sealing and
// opening happen in verifier/broker, under a key that is not in the database.
#include <fmt/format.h>

#include "audit_log.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kColumns =
    "name, version, kek_id, secret_size, policies, conditions, created_at, destroyed_at, nonce, ciphertext";

Result<KeyVersion> key_from_row(const Query& q, bool with_secret) {
  KeyVersion k;
  k.name = q.text(0);
  k.version = q.integer(1);
  k.kek_id = q.text(2);
  k.secret_size = q.integer(3);
  auto policies = parse_names(q.text(4), "key policies");
  if (!policies) return std::unexpected(std::move(policies.error()));
  k.policies = policies->value_or(std::vector<std::string>{});
  auto conditions = parse_json(q.text(5), "key conditions");
  if (!conditions) return std::unexpected(std::move(conditions.error()));
  k.conditions = std::move(*conditions);
  k.created_at = q.time(6);
  k.destroyed_at = q.optional_time(7);
  if (with_secret && !q.is_null(8) && !q.is_null(9)) {
    k.nonce = q.blob(8);
    k.ciphertext = q.blob(9);
  }
  return k;
}

Result<std::vector<KeyVersion>> collect(Query& q) {
  std::vector<KeyVersion> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return out;
    auto k = key_from_row(q, false);
    if (!k) return std::unexpected(std::move(k.error()));
    out.push_back(std::move(*k));
  }
}

}  // namespace

Result<int64_t> SqliteStore::next_key_version(const TenantScope& scope, std::string_view name) {
  return readers_->with([&](Connection& c) -> Result<int64_t> {
    auto q = c.select("SELECT COALESCE(MAX(version), 0) + 1 FROM broker_key_versions WHERE tenant_id = ? AND name = ?",
                      scope.tenant_id(), name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    return q->integer(0);
  });
}

Result<KeyVersion> SqliteStore::put_key_version(const TenantScope& scope, const NewKeyVersion& key,
                                                const RequestContext& ctx) {
  if (key.name.empty()) return fail(StoreErrorCode::invalid_argument, "key name is empty");
  if (key.nonce.size() != 12 || key.ciphertext.empty()) {
    return fail(StoreErrorCode::invalid_argument, "a key version needs a 12-byte nonce and a ciphertext");
  }
  auto policies = dump_names(key.policies, "key policies");
  if (!policies) return std::unexpected(std::move(policies.error()));
  auto conditions = dump_json(key.conditions, "key conditions");
  if (!conditions) return std::unexpected(std::move(conditions.error()));
  return writer_->run([&](Connection& c) -> Result<KeyVersion> {
    auto next = c.select("SELECT COALESCE(MAX(version), 0) + 1 FROM broker_key_versions WHERE tenant_id = ? AND name = ?",
                         scope.tenant_id(), key.name);
    if (!next) return std::unexpected(std::move(next.error()));
    auto row = next->step();
    if (!row) return std::unexpected(std::move(row.error()));
    // The version is sealed into the ciphertext's additional data, so it cannot be renumbered here:
    // a concurrent rotation that took it first makes this one a conflict.
    if (next->integer(0) != key.version) {
      return fail(StoreErrorCode::conflict, fmt::format("key {} version {} was taken by a concurrent put", key.name,
                                                        key.version));
    }
    auto inserted = c.execute(
        "INSERT INTO broker_key_versions (tenant_id, name, version, kek_id, nonce, ciphertext, secret_size, policies, "
        "conditions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        scope.tenant_id(), key.name, key.version, key.kek_id, key.nonce, key.ciphertext, key.secret_size, **policies,
        *conditions, ctx.now);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    // What was stored, never what: the audit sees sizes and ids, not bytes.
    AuditEvent event{"key.put", fmt::format("key:{}@{}", key.name, key.version),
                     {{"name", key.name},
                      {"version", key.version},
                      {"kek_id", key.kek_id},
                      {"secret_size", key.secret_size},
                      {"policies", key.policies},
                      {"conditions", key.conditions}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return KeyVersion{key.name, key.version, key.kek_id, {}, {}, key.secret_size, key.policies, key.conditions,
                      ctx.now, std::nullopt};
  });
}

Result<KeyVersion> SqliteStore::get_key(const TenantScope& scope, std::string_view name) {
  return readers_->with([&](Connection& c) -> Result<KeyVersion> {
    auto q = c.select(fmt::format("SELECT {} FROM broker_key_versions WHERE tenant_id = ? AND name = ? "
                                  "ORDER BY version DESC LIMIT 1",
                                  kColumns),
                      scope.tenant_id(), name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row || !q->is_null(7)) return fail(StoreErrorCode::not_found, "no such key");
    return key_from_row(*q, true);
  });
}

Result<std::vector<KeyVersion>> SqliteStore::list_keys(const TenantScope& scope) {
  return readers_->with([&](Connection& c) -> Result<std::vector<KeyVersion>> {
    auto q = c.select(fmt::format("SELECT {} FROM broker_key_versions k WHERE tenant_id = ? AND destroyed_at IS NULL "
                                  "AND version = (SELECT MAX(version) FROM broker_key_versions m "
                                  "WHERE m.tenant_id = k.tenant_id AND m.name = k.name) ORDER BY name",
                                  kColumns),
                      scope.tenant_id());
    if (!q) return std::unexpected(std::move(q.error()));
    return collect(*q);
  });
}

Result<std::vector<KeyVersion>> SqliteStore::list_key_versions(const TenantScope& scope, std::string_view name) {
  return readers_->with([&](Connection& c) -> Result<std::vector<KeyVersion>> {
    auto q = c.select(fmt::format("SELECT {} FROM broker_key_versions WHERE tenant_id = ? AND name = ? ORDER BY version",
                                  kColumns),
                      scope.tenant_id(), name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto out = collect(*q);
    if (out && out->empty()) return fail(StoreErrorCode::not_found, "no such key");
    return out;
  });
}

Result<int64_t> SqliteStore::destroy_key(const TenantScope& scope, std::string_view name, const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<int64_t> {
    // secure_delete makes SQLite zero the freed space of the old values instead of leaving them in
    // free pages; overwriting with zeros first does the same for the row's own page image.
    if (auto r = c.exec("PRAGMA secure_delete = ON"); !r) return std::unexpected(std::move(r.error()));
    auto zeroed = c.execute(
        "UPDATE broker_key_versions SET ciphertext = zeroblob(length(ciphertext)), nonce = zeroblob(12) "
        "WHERE tenant_id = ? AND name = ? AND destroyed_at IS NULL",
        scope.tenant_id(), name);
    if (!zeroed) return std::unexpected(std::move(zeroed.error()));
    if (*zeroed == 0) return fail(StoreErrorCode::not_found, "no such key");
    auto dropped = c.execute(
        "UPDATE broker_key_versions SET ciphertext = NULL, nonce = NULL, destroyed_at = ? "
        "WHERE tenant_id = ? AND name = ? AND destroyed_at IS NULL",
        ctx.now, scope.tenant_id(), name);
    if (!dropped) return std::unexpected(std::move(dropped.error()));
    AuditEvent event{"key.destroy", fmt::format("key:{}", name), {{"name", name}, {"versions", *dropped}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return *dropped;
  });
}

Result<TenantScope> SqliteStore::scope_for_verified_ear(std::string_view tenant_id, std::string_view actor) {
  return readers_->with([&](Connection& c) -> Result<TenantScope> {
    auto q = c.select("SELECT id FROM tenants WHERE id = ?", tenant_id);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "no such tenant");
    return make_scope(q->text(0), std::string(actor));
  });
}

}  // namespace attestd::store::sqlite
