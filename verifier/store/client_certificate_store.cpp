// Client certificates of hosts (issue 8): registration, listing, revocation, and authentication
// by the SHA-256 of a presented certificate.
#include <fmt/format.h>

#include "audit_log.h"
#include "ids.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kCertificateColumns =
    "SELECT id, host_id, sha256, not_before, not_after, created_at, revoked_at FROM host_certificates ";

Result<ClientCertificate> certificate_from_row(const Query& q) {
  ClientCertificate c;
  c.id = q.text(0);
  c.host_id = q.text(1);
  const auto sha = q.fixed_blob<32>(2);
  if (!sha) return fail(StoreErrorCode::internal, "certificate hash of a wrong size");
  c.der_sha256 = *sha;
  c.not_before = q.time(3);
  c.not_after = q.time(4);
  c.created_at = q.time(5);
  c.revoked_at = q.optional_time(6);
  return c;
}

// not_found unless the scope's tenant has the host, whichever other tenant might.
Result<void> require_host(Connection& c, const TenantScope& scope, std::string_view host_id) {
  auto q = c.select("SELECT 1 FROM hosts WHERE tenant_id = ? AND host_id = ?", scope.tenant_id(), host_id);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return fail(StoreErrorCode::not_found, "no such host");
  return {};
}

Result<ClientCertificate> read_certificate(Connection& c, const TenantScope& scope, std::string_view host_id,
                                           std::string_view certificate_id) {
  auto q = c.select(std::string(kCertificateColumns) + "WHERE tenant_id = ? AND host_id = ? AND id = ?",
                    scope.tenant_id(), host_id, certificate_id);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return fail(StoreErrorCode::not_found, "no such certificate");
  return certificate_from_row(*q);
}

}  // namespace

Result<ClientCertificate> SqliteStore::add_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                              const NewClientCertificate& certificate,
                                                              const RequestContext& ctx) {
  if (certificate.der.empty()) return fail(StoreErrorCode::invalid_argument, "empty certificate");
  if (certificate.not_after < certificate.not_before) {
    return fail(StoreErrorCode::invalid_argument, "certificate validity is empty");
  }
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  return writer_->run([&](Connection& c) -> Result<ClientCertificate> {
    if (auto host = require_host(c, scope, host_id); !host) return std::unexpected(std::move(host.error()));
    auto inserted = c.execute(
        "INSERT INTO host_certificates (id, tenant_id, host_id, der, sha256, not_before, not_after, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        *id, scope.tenant_id(), host_id, certificate.der, certificate.der_sha256, certificate.not_before,
        certificate.not_after, ctx.now);
    if (!inserted) {
      // The same words whoever holds it: the answer must not tell which tenant or host that is.
      if (inserted.error().code == StoreErrorCode::conflict) {
        return fail(StoreErrorCode::conflict, "this certificate is already registered");
      }
      return std::unexpected(std::move(inserted.error()));
    }
    AuditEvent event{"host.certificate.add",
                     fmt::format("host:{}", host_id),
                     {{"certificate_id", *id},
                      {"sha256", to_hex(certificate.der_sha256)},
                      {"not_before", certificate.not_before.time_since_epoch().count()},
                      {"not_after", certificate.not_after.time_since_epoch().count()}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return ClientCertificate{*id,
                             std::string(host_id),
                             certificate.der_sha256,
                             certificate.not_before,
                             certificate.not_after,
                             ctx.now,
                             std::nullopt};
  });
}

Result<std::vector<ClientCertificate>> SqliteStore::list_client_certificates(const TenantScope& scope,
                                                                             std::string_view host_id) {
  return readers_->with([&](Connection& c) -> Result<std::vector<ClientCertificate>> {
    if (auto host = require_host(c, scope, host_id); !host) return std::unexpected(std::move(host.error()));
    auto q = c.select(std::string(kCertificateColumns) + "WHERE tenant_id = ? AND host_id = ? ORDER BY created_at, id",
                      scope.tenant_id(), host_id);
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<ClientCertificate> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return out;
      auto cert = certificate_from_row(*q);
      if (!cert) return std::unexpected(std::move(cert.error()));
      out.push_back(std::move(*cert));
    }
  });
}

Result<ClientCertificate> SqliteStore::revoke_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                                 std::string_view certificate_id,
                                                                 const RequestContext& ctx) {
  return writer_->run([&](Connection& c) -> Result<ClientCertificate> {
    if (auto host = require_host(c, scope, host_id); !host) return std::unexpected(std::move(host.error()));
    auto before = read_certificate(c, scope, host_id, certificate_id);
    if (!before) return std::unexpected(std::move(before.error()));
    if (before->revoked_at) return before;
    auto updated =
        c.execute("UPDATE host_certificates SET revoked_at = ? WHERE tenant_id = ? AND host_id = ? AND id = ?", ctx.now,
                  scope.tenant_id(), host_id, certificate_id);
    if (!updated) return std::unexpected(std::move(updated.error()));
    AuditEvent event{"host.certificate.revoke",
                     fmt::format("host:{}", host_id),
                     {{"certificate_id", std::string(certificate_id)}, {"sha256", to_hex(before->der_sha256)}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return read_certificate(c, scope, host_id, certificate_id);
  });
}

Result<Credential> SqliteStore::authenticate_certificate(const Sha256& der_sha256, Timestamp now) {
  return readers_->with([&](Connection& c) -> Result<Credential> {
    // One lookup on the UNIQUE index of sha256; the join drops a certificate whose tenant is gone
    // (deleting a tenant deletes its hosts and, by cascade, their certificates anyway).
    auto q = c.select(
        "SELECT h.id, h.tenant_id, h.host_id, h.not_before, h.not_after, h.revoked_at FROM host_certificates h "
        "JOIN tenants t ON t.id = h.tenant_id WHERE h.sha256 = ?",
        der_sha256);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "unknown certificate");
    if (!q->is_null(5)) return fail(StoreErrorCode::token_revoked, "certificate revoked");
    // RFC 5280 §4.1.2.5: both notBefore and notAfter are instants of validity.
    if (now < q->time(3) || now > q->time(4)) return fail(StoreErrorCode::token_expired, "certificate not valid now");
    Credential cred;
    cred.token_id = q->text(0);
    cred.role = Role::attester;
    cred.scope = make_scope(q->text(1), cred.token_id);
    cred.allowed_hosts = std::vector<std::string>{q->text(2)};
    return cred;
  });
}

}  // namespace attestd::store::sqlite
