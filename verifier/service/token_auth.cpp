#include "token_auth.h"

#include <openssl/sha.h>

#include <algorithm>

namespace attestd::service {

namespace {

store::Sha256 sha256_of(std::string_view token) {
  store::Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data());
  return out;
}

// The credential authenticate() established for the request this thread is dispatching, so that
// the handler's scope_for() does not look the token up a second time. The router runs the
// authenticator and then the handler on one thread; anything else (a different request, a
// different token) misses and looks up again.
struct Handoff {
  const server::Request* request = nullptr;
  std::string request_id;
  bool certificate = false;  // `sha` is a client certificate's, not a token's
  store::Sha256 sha{};
  std::optional<store::Credential> credential;
};
thread_local Handoff t_handoff;

bool listed(const std::optional<std::vector<std::string>>& allowed, std::string_view name) {
  return !allowed || std::find(allowed->begin(), allowed->end(), name) != allowed->end();
}

// What the route answers for a host that does not exist, so that a restricted credential asking
// about another host learns exactly as much as about a missing one (store messages: host_store).
server::Problem missing_host(const server::Request& request) {
  if (request.route_pattern == "/v1/hosts/{id}/enrollment/{eid}/activate") {
    return server::Problem::not_found("api.not_found", "no such enrollment");
  }
  return server::Problem::not_found("api.not_found", "no such host");
}

// The host a request names: the {id} of a /v1/hosts/ route, else the body's "host_id" member.
// nullopt when it names none (the handler then refuses a missing host_id as it always does).
std::optional<std::string> named_host(const server::Request& request) {
  if (request.route_pattern.starts_with("/v1/hosts/{id}")) {
    if (auto id = request.param("id")) return std::string(*id);
  }
  if (request.body.empty()) return std::nullopt;
  auto body = request.body_json();
  if (!body || !body->is_object()) return std::nullopt;
  const auto it = body->find("host_id");
  if (it == body->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
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

TokenAuthenticator::TokenAuthenticator(std::shared_ptr<store::Store> store, Clock clock,
                                       std::shared_ptr<AuthRateLimit> limiter)
    : store_(std::move(store)), clock_(std::move(clock)), limiter_(std::move(limiter)) {}

std::expected<store::Credential, server::AuthFailure> TokenAuthenticator::certificate_credential(
    const server::Request& request) {
  const auto& sha = request.client_certificate->der_sha256;
  if (t_handoff.request == &request && t_handoff.request_id == request.request_id && t_handoff.certificate &&
      t_handoff.sha == sha && t_handoff.credential) {
    return *t_handoff.credential;
  }
  // Validity is compared with this request's time: a certificate that expires while its
  // connection stays open is refused from then on.
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
  auto credential = store_->authenticate_certificate(sha, now);
  if (!credential) {
    const auto code = credential.error().code;
    std::string id = "auth.certificate.unknown";
    if (code == store::StoreErrorCode::token_expired) id = "auth.certificate.expired";
    if (code == store::StoreErrorCode::token_revoked) id = "auth.certificate.revoked";
    if (code == store::StoreErrorCode::unavailable || code == store::StoreErrorCode::internal) id = "auth.unavailable";
    return std::unexpected(server::AuthFailure{server::AuthFailureKind::invalid_credentials, id,
                                               "the client certificate is not a valid credential", {}});
  }
  t_handoff = Handoff{&request, request.request_id, true, sha, *credential};
  return std::move(*credential);
}

std::expected<store::Credential, server::AuthFailure> TokenAuthenticator::credential_for(
    const server::Request& request) {
  const auto header = request.header("authorization");
  // A request that carries Authorization is judged by it alone, whatever certificate its
  // connection presented; only one without it may authenticate by certificate.
  if (!header && request.client_certificate) return certificate_credential(request);
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || !header->starts_with(kBearer)) {
    return std::unexpected(server::AuthFailure{
        server::AuthFailureKind::missing_credentials, "auth.token.missing", "a bearer token is required", {}});
  }
  const auto sha = sha256_of(header->substr(kBearer.size()));
  if (t_handoff.request == &request && t_handoff.request_id == request.request_id && t_handoff.sha == sha &&
      !t_handoff.certificate && t_handoff.credential) {
    return *t_handoff.credential;
  }
  // Expiry is compared with the clock on every request: nothing about a token is remembered.
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
  auto credential = store_->authenticate(sha, now);
  if (!credential) {
    const auto code = credential.error().code;
    std::string id = "auth.token.invalid";
    if (code == store::StoreErrorCode::token_expired) id = "auth.token.expired";
    if (code == store::StoreErrorCode::token_revoked) id = "auth.token.revoked";
    if (code == store::StoreErrorCode::unavailable || code == store::StoreErrorCode::internal) id = "auth.unavailable";
    return std::unexpected(
        server::AuthFailure{server::AuthFailureKind::invalid_credentials, id, "the bearer token is not valid", {}});
  }
  t_handoff = Handoff{&request, request.request_id, false, sha, *credential};
  return std::move(*credential);
}

std::expected<server::Principal, server::AuthFailure> TokenAuthenticator::authenticate(const server::Request& request) {
  t_handoff = {};
  if (limiter_) {
    if (auto wait = limiter_->refused(request.client_address, clock_())) {
      return std::unexpected(server::AuthFailure{server::AuthFailureKind::rate_limited, "auth.rate_limited",
                                                 "too many failed authentications from this address", *wait});
    }
  }
  auto credential = credential_for(request);
  if (!credential) {
    // A database that cannot answer is not the client's failure.
    if (limiter_ && credential.error().reason_id != "auth.unavailable") {
      limiter_->charge(request.client_address, clock_());
    }
    return std::unexpected(credential.error());
  }
  server::Principal p;
  p.tenant_id = credential->scope ? credential->scope->tenant_id() : std::string();
  p.role = to_server_role(credential->role);
  p.credential_id = credential->token_id;
  p.restrictions.hosts = credential->allowed_hosts;
  p.restrictions.keys = credential->allowed_keys;
  return p;
}

std::expected<store::TenantScope, server::Problem> TokenAuthenticator::scope_for(const server::Request& request) {
  auto credential = credential_for(request);
  if (!credential) {
    return std::unexpected(server::Problem::make(401, credential.error().reason_id, credential.error().message));
  }
  if (!credential->scope) {
    return std::unexpected(server::Problem::make(403, "auth.no_tenant", "this credential belongs to no tenant"));
  }
  if (credential->allowed_hosts) {
    if (auto host = named_host(request); host && !listed(credential->allowed_hosts, *host)) {
      return std::unexpected(missing_host(request));
    }
  }
  if (credential->allowed_keys && request.route_pattern.starts_with("/v1/keys/{name}")) {
    if (auto name = request.param("name"); name && !listed(credential->allowed_keys, *name)) {
      return std::unexpected(server::Problem::not_found("api.not_found", "no such key"));
    }
  }
  return std::move(*credential->scope);
}

}  // namespace attestd::service
