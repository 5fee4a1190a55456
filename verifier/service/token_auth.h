// Bearer-token authentication against the store, with a short-lived cache so that a keep-alive
// client does not cost a database read per request.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "attestd/server/authenticator.h"
#include "attestd/server/request.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"

namespace attestd::service {

class TokenAuthenticator final : public server::Authenticator {
 public:
  TokenAuthenticator(std::shared_ptr<store::Store> store, Clock clock);

  std::expected<server::Principal, server::AuthFailure> authenticate(const server::Request& request) override;

  // The tenant scope of the request's credential. Handlers of tenant routes call this; the router
  // has already authenticated the request, so nullopt means the credential has no tenant.
  std::optional<store::TenantScope> scope_for(const server::Request& request);

 private:
  std::expected<store::Credential, server::AuthFailure> credential_for(const server::Request& request);

  struct Cached {
    store::Credential credential;
    std::chrono::steady_clock::time_point fetched;
  };
  std::shared_ptr<store::Store> store_;
  Clock clock_;
  std::mutex mutex_;
  std::map<store::Sha256, Cached> cache_;
};

server::Role to_server_role(store::Role role);

}  // namespace attestd::service
