// Hosts and credential activation.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>

#include "audit_log.h"
#include "ids.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kHostColumns =
    "SELECT host_id, ak_public, ak_name, ek_certificate, labels, policy_name, trusted, created_at FROM hosts ";

Result<Host> host_from_row(const Query& q) {
  Host h;
  h.host_id = q.text(0);
  h.ak_public = q.blob(1);
  h.ak_name = q.blob(2);
  if (!q.is_null(3)) h.ek_certificate = q.blob(3);
  auto labels = parse_json(q.text(4), "host labels");
  if (!labels) return std::unexpected(std::move(labels.error()));
  h.labels = std::move(*labels);
  h.policy_name = q.optional_text(5);
  h.trusted = q.integer(6) != 0;
  h.created_at = q.time(7);
  return h;
}

// The host `host_id` of the scope's tenant; not_found when that tenant has no such host,
// whichever other tenant might.
Result<Host> read_host(Connection& c, const TenantScope& scope, std::string_view host_id) {
  auto q = c.select(std::string(kHostColumns) + "WHERE tenant_id = ? AND host_id = ?", scope.tenant_id(), host_id);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return fail(StoreErrorCode::not_found, "no such host");
  return host_from_row(*q);
}

}  // namespace

Result<Host> SqliteStore::create_host(const TenantScope& scope, const NewHost& host, const RequestContext& ctx) {
  if (host.host_id.empty()) return fail(StoreErrorCode::invalid_argument, "host id is empty");
  if (!host.labels.is_object()) return fail(StoreErrorCode::invalid_argument, "host labels must be a JSON object");
  auto labels = dump_json(host.labels, "host labels");
  if (!labels) return std::unexpected(std::move(labels.error()));
  return writer_->run([&](Connection& c) -> Result<Host> {
    auto inserted = c.execute(
        "INSERT INTO hosts (tenant_id, host_id, ak_public, ak_name, ek_certificate, labels, policy_name, trusted, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        scope.tenant_id(), host.host_id, host.ak_public, host.ak_name, host.ek_certificate, *labels, host.policy_name,
        ctx.now);
    if (!inserted) {
      if (inserted.error().code == StoreErrorCode::conflict) {
        return fail(StoreErrorCode::conflict, fmt::format("host '{}' exists", host.host_id));
      }
      return std::unexpected(std::move(inserted.error()));
    }
    AuditEvent event{"host.create", fmt::format("host:{}", host.host_id),
                     {{"policy", host.policy_name ? nlohmann::json(*host.policy_name) : nlohmann::json(nullptr)}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return Host{host.host_id, host.ak_public, host.ak_name, host.ek_certificate, host.labels, host.policy_name,
                false,        ctx.now};
  });
}

Result<Host> SqliteStore::get_host(const TenantScope& scope, std::string_view host_id) {
  return readers_->with([&](Connection& c) { return read_host(c, scope, host_id); });
}

Result<std::vector<Host>> SqliteStore::list_hosts(const TenantScope& scope, std::optional<std::string_view> after,
                                                  int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, 1000);
  return readers_->with([&](Connection& c) -> Result<std::vector<Host>> {
    // The primary key (tenant_id, host_id) serves both the filter and the order.
    auto q = c.select(std::string(kHostColumns) + "WHERE tenant_id = ?1 AND (?2 IS NULL OR host_id > ?2) "
                                                  "ORDER BY host_id LIMIT ?3",
                      scope.tenant_id(), after, limit);
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<Host> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return out;
      auto host = host_from_row(*q);
      if (!host) return std::unexpected(std::move(host.error()));
      out.push_back(std::move(*host));
    }
  });
}

Result<Host> SqliteStore::update_host(const TenantScope& scope, std::string_view host_id, const HostUpdate& update,
                                      const RequestContext& ctx) {
  std::optional<std::string> labels_text;
  if (update.labels) {
    if (!update.labels->is_object()) return fail(StoreErrorCode::invalid_argument, "host labels must be a JSON object");
    for (const auto& [k, v] : update.labels->items()) {
      if (!v.is_string()) return fail(StoreErrorCode::invalid_argument, fmt::format("label '{}' is not a string", k));
    }
    auto text = dump_json(*update.labels, "host labels");
    if (!text) return std::unexpected(std::move(text.error()));
    labels_text = std::move(*text);
  }
  return writer_->run([&](Connection& c) -> Result<Host> {
    auto before = read_host(c, scope, host_id);
    if (!before) return std::unexpected(std::move(before.error()));
    const std::optional<std::string> policy = update.policy_name ? *update.policy_name : before->policy_name;
    auto updated = c.execute("UPDATE hosts SET policy_name = ?, labels = COALESCE(?, labels) "
                             "WHERE tenant_id = ? AND host_id = ?",
                             policy, labels_text, scope.tenant_id(), host_id);
    if (!updated) return std::unexpected(std::move(updated.error()));
    auto as_json = [](const std::optional<std::string>& p) { return p ? nlohmann::json(*p) : nlohmann::json(nullptr); };
    nlohmann::json details = {{"policy", {{"from", as_json(before->policy_name)}, {"to", as_json(policy)}}}};
    if (update.labels) details["labels"] = {{"from", before->labels}, {"to", *update.labels}};
    AuditEvent event{"host.update", fmt::format("host:{}", host_id), std::move(details)};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return read_host(c, scope, host_id);
  });
}

Result<Enrollment> SqliteStore::begin_enrollment(const TenantScope& scope, std::string_view host_id,
                                                 const NewEnrollment& enrollment, const RequestContext& ctx) {
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  return writer_->run([&](Connection& c) -> Result<Enrollment> {
    if (auto host = read_host(c, scope, host_id); !host) return std::unexpected(std::move(host.error()));
    auto inserted = c.execute(
        "INSERT INTO enrollments (id, tenant_id, host_id, secret_sha256, ak_public, ak_name, ek_certificate, "
        "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        *id, scope.tenant_id(), host_id, enrollment.secret_sha256, enrollment.ak_public, enrollment.ak_name,
        enrollment.ek_certificate, ctx.now, enrollment.expires_at);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    AuditEvent event{"enrollment.begin", fmt::format("host:{}", host_id),
                     {{"enrollment_id", *id}, {"expires_at", enrollment.expires_at.time_since_epoch().count()}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return Enrollment{*id, std::string(host_id), ctx.now, enrollment.expires_at, std::nullopt};
  });
}

Result<Host> SqliteStore::activate_enrollment(const TenantScope& scope, std::string_view host_id,
                                              std::string_view enrollment_id, const Sha256& secret_sha256,
                                              const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<Host> {
    struct Pending {
      Bytes ak_public;
      Bytes ak_name;
      std::optional<Bytes> ek_certificate;
    };
    // Checks the enrollment; the statement is released (reset) before the writes below.
    auto check = [&]() -> Result<Pending> {
      auto q = c.select(
          "SELECT secret_sha256, ak_public, ak_name, ek_certificate, expires_at, consumed_at FROM enrollments "
          "WHERE id = ? AND tenant_id = ? AND host_id = ?",
          enrollment_id, scope.tenant_id(), host_id);
      if (!q) return std::unexpected(std::move(q.error()));
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return fail(StoreErrorCode::not_found, "no such enrollment");
      if (!q->is_null(5)) return fail(StoreErrorCode::enrollment_consumed, "enrollment already activated");
      if (q->time(4) <= ctx.now) return fail(StoreErrorCode::enrollment_expired, "enrollment expired");
      const auto expected = q->fixed_blob<32>(0);
      if (!expected) return fail(StoreErrorCode::internal, "stored enrollment secret hash is not 32 bytes");
      // Constant time: the comparison must not tell a guesser how many leading bytes were right.
      if (CRYPTO_memcmp(expected->data(), secret_sha256.data(), expected->size()) != 0) {
        return fail(StoreErrorCode::enrollment_secret_mismatch, "recovered secret does not match");
      }
      Pending p{q->blob(1), q->blob(2), std::nullopt};
      if (!q->is_null(3)) p.ek_certificate = q->blob(3);
      return p;
    };
    auto pending = check();
    if (!pending) return std::unexpected(std::move(pending.error()));
    const auto& [ak_public, ak_name, ek_certificate] = *pending;

    // Conditional on consumed_at IS NULL so that the consumption is atomic on its own, not only
    // because this runs on the single writer (a shared PostgreSQL database has several).
    auto consumed = c.execute(
        "UPDATE enrollments SET consumed_at = ? WHERE id = ? AND tenant_id = ? AND consumed_at IS NULL", ctx.now,
        enrollment_id, scope.tenant_id());
    if (!consumed) return std::unexpected(std::move(consumed.error()));
    if (*consumed != 1) return fail(StoreErrorCode::enrollment_consumed, "enrollment already activated");
    auto updated = c.execute(
        "UPDATE hosts SET ak_public = ?, ak_name = ?, ek_certificate = COALESCE(?, ek_certificate), trusted = 1 "
        "WHERE tenant_id = ? AND host_id = ?",
        ak_public, ak_name, ek_certificate, scope.tenant_id(), host_id);
    if (!updated) return std::unexpected(std::move(updated.error()));
    AuditEvent event{"enrollment.activate", fmt::format("host:{}", host_id),
                     {{"enrollment_id", std::string(enrollment_id)}, {"ak_name", to_hex(ak_name)}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return read_host(c, scope, host_id);
  });
}

}  // namespace attestd::store::sqlite
