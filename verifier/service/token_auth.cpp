#include "token_auth.h"

#include <openssl/sha.h>

namespace attestd::service {

namespace {

// Revocation takes effect within this time; the cache only spares the database on keep-alive.
constexpr auto kCacheLifetime = std::chrono::seconds(5);
constexpr size_t kCacheLimit = 4096;

store::Sha256 sha256_of(std::string_view token) {
  store::Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data());
  return out;
}

}  // namespace

server::Role to_server_role(store::Role role) {
  switch (role) {
    case store::Role::admin: return server::Role::admin;
    case store::Role::attester: return server::Role::attester;
    case store::Role::workload: return server::Role::workload;
    case store::Role::auditor: return server::Role::auditor;
    case store::Role::operator_: return server::Role::operator_;
  }
  return server::Role::auditor;
}

TokenAuthenticator::TokenAuthenticator(std::shared_ptr<store::Store> store, Clock clock)
    : store_(std::move(store)), clock_(std::move(clock)) {}

std::expected<store::Credential, server::AuthFailure> TokenAuthenticator::credential_for(const server::Request& request) {
  const auto header = request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || !header->starts_with(kBearer)) {
    return std::unexpected(server::AuthFailure{server::AuthFailureKind::missing_credentials, "auth.token.missing",
                                               "a bearer token is required", {}});
  }
  const auto sha = sha256_of(header->substr(kBearer.size()));
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(sha); it != cache_.end() && steady_now - it->second.fetched < kCacheLifetime) {
      return it->second.credential;
    }
  }
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
  auto credential = store_->authenticate(sha, now);
  if (!credential) {
    const auto code = credential.error().code;
    std::string id = "auth.token.invalid";
    if (code == store::StoreErrorCode::token_expired) id = "auth.token.expired";
    if (code == store::StoreErrorCode::token_revoked) id = "auth.token.revoked";
    if (code == store::StoreErrorCode::unavailable || code == store::StoreErrorCode::internal) id = "auth.unavailable";
    return std::unexpected(server::AuthFailure{server::AuthFailureKind::invalid_credentials, id,
                                               "the bearer token is not valid", {}});
  }
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.insert_or_assign(sha, Cached{*credential, steady_now});
  return *credential;
}

std::expected<server::Principal, server::AuthFailure> TokenAuthenticator::authenticate(const server::Request& request) {
  auto credential = credential_for(request);
  if (!credential) return std::unexpected(credential.error());
  server::Principal p;
  p.tenant_id = credential->scope ? credential->scope->tenant_id() : std::string();
  p.role = to_server_role(credential->role);
  p.credential_id = credential->token_id;
  p.restrictions.hosts = credential->allowed_hosts;
  p.restrictions.keys = credential->allowed_keys;
  return p;
}

std::optional<store::TenantScope> TokenAuthenticator::scope_for(const server::Request& request) {
  auto credential = credential_for(request);
  if (!credential) return std::nullopt;
  return credential->scope;
}

}  // namespace attestd::service
