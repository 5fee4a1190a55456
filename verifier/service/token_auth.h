// Bearer-token (or host client certificate) authentication against the store, and the one place
// where a credential's restrictions (issue 8: an attester to named hosts, a workload to named
// keys) are enforced.
//
// Every request looks its token (or certificate fingerprint) up in the store: there is no cache, so
// a credential revoked through the API, by `attestctl --data-dir` from another process, or with its
// tenant deleted is refused on the very next request, and expiry is compared with the clock on
// every request. The lookup is one
// indexed SELECT on a cached prepared statement (bench/auth measures it).
#pragma once

#include <expected>
#include <memory>
#include <optional>

#include "attestd/server/authenticator.h"
#include "attestd/server/problem.h"
#include "attestd/server/request.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"
#include "auth_rate_limit.h"

namespace attestd::service {

class TokenAuthenticator final : public server::Authenticator {
 public:
  // `limiter` may be null (no rate limiting of authentication failures).
  TokenAuthenticator(std::shared_ptr<store::Store> store, Clock clock, std::shared_ptr<AuthRateLimit> limiter = {});

  // Refuses a client address over its failure budget (rate_limited, before any lookup), then looks
  // the token up: missing_credentials without "Authorization: Bearer", invalid_credentials with
  // auth.token.invalid (unknown), auth.token.revoked, auth.token.expired or auth.unavailable.
  // A request without an Authorization header whose connection presented a client certificate is
  // looked up by the certificate's SHA-256 instead (issue 8): an attester of the host it is
  // registered for, or auth.certificate.unknown, auth.certificate.revoked,
  // auth.certificate.expired (outside its validity now). With Authorization, the token decides.
  // Every missing or invalid credential is charged to the client address.
  std::expected<server::Principal, server::AuthFailure> authenticate(const server::Request& request) override;

  // The tenant scope of the request's credential, for the handler of an authenticated tenant route.
  // Fails with 403 auth.no_tenant for a credential without a tenant (operator) and, for a credential
  // restricted to hosts or keys, with exactly the 404 a missing object would get when the request
  // names another host (path {id} of /v1/hosts/..., body member "host_id") or key (path {name} of
  // /v1/keys/...). Handlers therefore never check restrictions themselves.
  std::expected<store::TenantScope, server::Problem> scope_for(const server::Request& request);

 private:
  std::expected<store::Credential, server::AuthFailure> credential_for(const server::Request& request);
  // The attester credential of the request's client certificate, restricted to its one host.
  std::expected<store::Credential, server::AuthFailure> certificate_credential(const server::Request& request);

  std::shared_ptr<store::Store> store_;
  Clock clock_;
  std::shared_ptr<AuthRateLimit> limiter_;
};

server::Role to_server_role(store::Role role);

}  // namespace attestd::service
