// Tenants and their credentials: the operator's side of the store, and authentication, which is
// where every TenantScope comes from.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "audit_log.h"
#include "ids.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kTokenColumns =
    "SELECT t.id, COALESCE(n.name, ''), t.role, t.created_at, t.expires_at, t.revoked_at, t.allowed_hosts, "
    "t.allowed_keys FROM tokens t LEFT JOIN tenants n ON n.id = t.tenant_id ";

Result<TokenInfo> token_from_row(const Query& q) {
  TokenInfo t;
  t.id = q.text(0);
  t.tenant_name = q.text(1);
  const auto role = parse_role(q.text(2));
  if (!role) return fail(StoreErrorCode::internal, fmt::format("token {} has unknown role", t.id));
  t.role = *role;
  t.created_at = q.time(3);
  t.expires_at = q.optional_time(4);
  t.revoked_at = q.optional_time(5);
  auto hosts = parse_names(q.optional_text(6), "token allowed_hosts");
  if (!hosts) return std::unexpected(std::move(hosts.error()));
  auto keys = parse_names(q.optional_text(7), "token allowed_keys");
  if (!keys) return std::unexpected(std::move(keys.error()));
  t.allowed_hosts = std::move(*hosts);
  t.allowed_keys = std::move(*keys);
  return t;
}

Result<TokenInfo> read_token(Connection& c, std::string_view token_id) {
  auto q = c.select(std::string(kTokenColumns) + "WHERE t.id = ?", token_id);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return fail(StoreErrorCode::not_found, "no such token");
  return token_from_row(*q);
}

// Inserts a token row for `tenant_id` (nullopt for operator tokens) and audits it in the
// tenant's chain (or the service's).
Result<TokenInfo> insert_token(Connection& c, const std::optional<std::string>& tenant_id, const std::string& id,
                               const NewToken& token, const std::optional<std::string>& hosts,
                               const std::optional<std::string>& keys, std::string_view actor,
                               const RequestContext& ctx) {
  auto inserted = c.execute(
      "INSERT INTO tokens (id, tenant_id, role, token_sha256, created_at, expires_at, allowed_hosts, allowed_keys) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id, tenant_id, to_string(token.role), token.token_sha256, ctx.now, token.expires_at, hosts, keys);
  if (!inserted) {
    if (inserted.error().code == StoreErrorCode::conflict) return fail(StoreErrorCode::conflict, "token already stored");
    return std::unexpected(std::move(inserted.error()));
  }
  nlohmann::json details = {{"role", to_string(token.role)}};
  if (token.expires_at) details["expires_at"] = token.expires_at->time_since_epoch().count();
  if (token.allowed_hosts) details["hosts"] = *token.allowed_hosts;
  if (token.allowed_keys) details["keys"] = *token.allowed_keys;
  AuditEvent event{"token.create", fmt::format("token:{}", id), std::move(details)};
  auto audited = append_audit_row(c, tenant_id.value_or(std::string(kSystemChain)), actor, event, ctx);
  if (!audited) return std::unexpected(std::move(audited.error()));
  return read_token(c, id);
}

// Tenant names appear in URLs, tables and logs: a short, plain alphabet keeps them unambiguous.
bool valid_tenant_name(std::string_view name) {
  constexpr size_t kMaxName = 64;
  if (name.empty() || name.size() > kMaxName) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

// The tenant's rows, children before parents (foreign keys are on: a table added later that
// references tenants or hosts makes the deletion fail instead of leaving rows behind).
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTenantTables = {{
    {"attestations", "DELETE FROM attestations WHERE tenant_id = ?"},
    {"challenges", "DELETE FROM challenges WHERE tenant_id = ?"},
    {"enrollments", "DELETE FROM enrollments WHERE tenant_id = ?"},
    {"hosts", "DELETE FROM hosts WHERE tenant_id = ?"},
    {"reference_sets", "DELETE FROM reference_sets WHERE tenant_id = ?"},
    {"policies", "DELETE FROM policies WHERE tenant_id = ?"},
    {"tpm_roots", "DELETE FROM tpm_roots WHERE tenant_id = ?"},
    {"key_versions", "DELETE FROM broker_key_versions WHERE tenant_id = ?"},
    {"tokens", "DELETE FROM tokens WHERE tenant_id = ?"},
}};

}  // namespace

Result<Tenant> SqliteStore::create_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) {
  if (!valid_tenant_name(name)) {
    return fail(StoreErrorCode::invalid_argument,
                "a tenant name is 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
  }
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  return writer_->run([&](Connection& c) -> Result<Tenant> {
    auto inserted = c.execute("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)", *id, name, ctx.now);
    if (!inserted) {
      if (inserted.error().code == StoreErrorCode::conflict) {
        return fail(StoreErrorCode::conflict, fmt::format("tenant '{}' exists", name));
      }
      return std::unexpected(std::move(inserted.error()));
    }
    AuditEvent event{"tenant.create", fmt::format("tenant:{}", name), {{"tenant_id", *id}}};
    auto audited = append_audit_row(c, kSystemChain, actor, event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return Tenant{*id, std::string(name), ctx.now};
  });
}

Result<Tenant> SqliteStore::delete_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<Tenant> {
    // The statement is released before the deletes below.
    auto found = [&]() -> Result<Tenant> {
      auto q = c.select("SELECT id, name, created_at FROM tenants WHERE name = ?", name);
      if (!q) return std::unexpected(std::move(q.error()));
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return fail(StoreErrorCode::not_found, "no such tenant");
      return Tenant{q->text(0), q->text(1), q->time(2)};
    }();
    if (!found) return std::unexpected(std::move(found.error()));
    const Tenant tenant = std::move(*found);
    // Overwritten before the rows go, as destroy_key does, so the sealed secrets do not linger in
    // the pages SQLite frees.
    auto wiped = c.execute(
        "UPDATE broker_key_versions SET ciphertext = zeroblob(length(ciphertext)), nonce = zeroblob(12) "
        "WHERE tenant_id = ? AND ciphertext IS NOT NULL",
        tenant.id);
    if (!wiped) return std::unexpected(std::move(wiped.error()));
    nlohmann::json removed = nlohmann::json::object();
    for (const auto& [what, sql] : kTenantTables) {
      auto n = c.execute(sql, tenant.id);
      if (!n) return std::unexpected(std::move(n.error()));
      removed[std::string(what)] = *n;
    }
    auto gone = c.execute("DELETE FROM tenants WHERE id = ?", tenant.id);
    if (!gone) return std::unexpected(std::move(gone.error()));
    AuditEvent closing{"tenant.delete", fmt::format("tenant:{}", tenant.name), {{"removed", removed}}};
    auto sealed = append_audit_row(c, tenant.id, actor, closing, ctx);
    if (!sealed) return std::unexpected(std::move(sealed.error()));
    AuditEvent event{"tenant.delete", fmt::format("tenant:{}", tenant.name),
                     {{"tenant_id", tenant.id}, {"removed", std::move(removed)}}};
    auto audited = append_audit_row(c, kSystemChain, actor, event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return tenant;
  });
}

Result<Tenant> SqliteStore::find_tenant(std::string_view name) {
  return readers_->with([&](Connection& c) -> Result<Tenant> {
    auto q = c.select("SELECT id, name, created_at FROM tenants WHERE name = ?", name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, fmt::format("no tenant '{}'", name));
    return Tenant{q->text(0), q->text(1), q->time(2)};
  });
}

Result<std::vector<Tenant>> SqliteStore::list_tenants() {
  return readers_->with([&](Connection& c) -> Result<std::vector<Tenant>> {
    auto q = c.select("SELECT id, name, created_at FROM tenants ORDER BY name");
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<Tenant> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return out;
      out.push_back(Tenant{q->text(0), q->text(1), q->time(2)});
    }
  });
}

Result<TokenInfo> SqliteStore::create_token(std::string_view tenant_name, const NewToken& token,
                                            std::string_view actor, const RequestContext& ctx) {
  if (token.role == Role::operator_) {
    return fail(StoreErrorCode::invalid_argument, "operator tokens belong to no tenant");
  }
  // A restriction on a role it does not apply to would read as a limit that limits nothing.
  if (token.allowed_hosts && token.role != Role::attester) {
    return fail(StoreErrorCode::invalid_argument, "only attester tokens can be restricted to hosts");
  }
  if (token.allowed_keys && token.role != Role::workload) {
    return fail(StoreErrorCode::invalid_argument, "only workload tokens can be restricted to keys");
  }
  if (token.expires_at && *token.expires_at <= ctx.now) {
    return fail(StoreErrorCode::invalid_argument, "the token would expire before it is created");
  }
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  auto hosts = dump_names(token.allowed_hosts, "allowed_hosts");
  if (!hosts) return std::unexpected(std::move(hosts.error()));
  auto keys = dump_names(token.allowed_keys, "allowed_keys");
  if (!keys) return std::unexpected(std::move(keys.error()));
  return writer_->run([&](Connection& c) -> Result<TokenInfo> {
    auto q = c.select("SELECT id FROM tenants WHERE name = ?", tenant_name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "no such tenant");
    const std::optional<std::string> tenant_id = q->text(0);
    return insert_token(c, tenant_id, *id, token, *hosts, *keys, actor, ctx);
  });
}

Result<TokenInfo> SqliteStore::create_operator_token(const NewToken& token, std::string_view actor,
                                                     const RequestContext& ctx) {
  if (token.role != Role::operator_) return fail(StoreErrorCode::invalid_argument, "not an operator token");
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  return writer_->run([&](Connection& c) {
    return insert_token(c, std::nullopt, *id, token, std::nullopt, std::nullopt, actor, ctx);
  });
}

Result<TokenInfo> SqliteStore::revoke_token(std::string_view token_id, std::string_view actor,
                                            const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<TokenInfo> {
    auto q = c.select("SELECT COALESCE(tenant_id, ''), revoked_at FROM tokens WHERE id = ?", token_id);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "no such token");
    const std::string chain = q->text(0);
    const bool already = !q->is_null(1);
    if (!already) {
      auto updated = c.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", ctx.now, token_id);
      if (!updated) return std::unexpected(std::move(updated.error()));
      AuditEvent event{"token.revoke", fmt::format("token:{}", token_id), nlohmann::json::object()};
      auto audited = append_audit_row(c, chain, actor, event, ctx);
      if (!audited) return std::unexpected(std::move(audited.error()));
    }
    return read_token(c, token_id);
  });
}

Result<std::vector<TokenInfo>> SqliteStore::list_tokens(std::string_view tenant_name) {
  return readers_->with([&](Connection& c) -> Result<std::vector<TokenInfo>> {
    auto tenant = c.select("SELECT 1 FROM tenants WHERE name = ?", tenant_name);
    if (!tenant) return std::unexpected(std::move(tenant.error()));
    auto found = tenant->step();
    if (!found) return std::unexpected(std::move(found.error()));
    if (!*found) return fail(StoreErrorCode::not_found, "no such tenant");
    auto q = c.select(std::string(kTokenColumns) + "WHERE n.name = ? ORDER BY t.created_at, t.id", tenant_name);
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<TokenInfo> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return out;
      auto token = token_from_row(*q);
      if (!token) return std::unexpected(std::move(token.error()));
      out.push_back(std::move(*token));
    }
  });
}

Result<Credential> SqliteStore::authenticate(const Sha256& token_sha256, Timestamp now) {
  return readers_->with([&](Connection& c) -> Result<Credential> {
    // Looked up by the hash of a 256-bit random token: the index lookup reveals nothing useful
    // about other tokens, so no constant-time comparison is needed here.
    auto q = c.select(
        "SELECT id, tenant_id, role, expires_at, revoked_at, allowed_hosts, allowed_keys FROM tokens "
        "WHERE token_sha256 = ?",
        token_sha256);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "unknown token");
    Credential cred;
    cred.token_id = q->text(0);
    if (!q->is_null(4)) return fail(StoreErrorCode::token_revoked, "token revoked");
    if (const auto expires = q->optional_time(3); expires && *expires <= now) {
      return fail(StoreErrorCode::token_expired, "token expired");
    }
    const auto role = parse_role(q->text(2));
    if (!role) return fail(StoreErrorCode::internal, fmt::format("token {} has unknown role", cred.token_id));
    cred.role = *role;
    if (cred.role != Role::operator_) {
      if (q->is_null(1)) return fail(StoreErrorCode::internal, "tenant token without tenant");
      cred.scope = make_scope(q->text(1), cred.token_id);
    }
    auto hosts = parse_names(q->optional_text(5), "token allowed_hosts");
    if (!hosts) return std::unexpected(std::move(hosts.error()));
    auto keys = parse_names(q->optional_text(6), "token allowed_keys");
    if (!keys) return std::unexpected(std::move(keys.error()));
    cred.allowed_hosts = std::move(*hosts);
    cred.allowed_keys = std::move(*keys);
    return cred;
  });
}

}  // namespace attestd::store::sqlite
