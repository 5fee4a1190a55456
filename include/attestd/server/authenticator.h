// The seam between the server core and credentials: the service implements Authenticator
// (bearer token or client certificate → Principal); the router enforces each route's roles.
#pragma once

#include <chrono>
#include <expected>
#include <string>

#include "attestd/server/principal.h"

namespace attestd::server {

struct Request;

enum class AuthFailureKind {
  missing_credentials,  // 401, WWW-Authenticate: Bearer
  invalid_credentials,  // 401, WWW-Authenticate: Bearer error="invalid_token" (bad, expired, revoked)
  rate_limited,         // 429 + Retry-After: the authenticator refuses to even look (issue 8)
  forbidden,            // 403: authenticated, but the route does not admit the role (router only)
};

struct AuthFailure {
  AuthFailureKind kind = AuthFailureKind::invalid_credentials;
  std::string reason_id;  // stable id for the problem body and the audit log, e.g. "auth.token.expired"
  std::string message;    // for humans; must not contain the credential
  std::chrono::seconds retry_after{0};  // rate_limited only
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Establishes who sent `request` (headers, client address). Called on a worker thread,
  // concurrently: implementations are thread-safe. Never throws on bad input: it fails with
  // missing_credentials when there is no credential at all, invalid_credentials otherwise.
  virtual std::expected<Principal, AuthFailure> authenticate(const Request& request) = 0;
};

// Told of every refused request (401, 403, 429) before the answer goes out, so that rate
// limiting per client and the audit log can hook in without touching the router.
class AuthFailureObserver {
 public:
  virtual ~AuthFailureObserver() = default;
  virtual void on_auth_failure(const Request& request, const AuthFailure& failure) noexcept = 0;
};

}  // namespace attestd::server
