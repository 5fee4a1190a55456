// Records every refused request (401, 403, 429) in the service's own audit chain (issue 7): the
// reason id, method and route, the credential id when one was presented and valid (never the
// token), the tenant it belongs to, the request id and the client address.
#pragma once

#include <memory>

#include "attestd/server/authenticator.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"

namespace attestd::service {

class AuditAuthFailures final : public server::AuthFailureObserver {
 public:
  // `clock` defaults to system_clock::now.
  explicit AuditAuthFailures(std::shared_ptr<store::Store> store, Clock clock = {});
  // Writes the record before the refusal is answered; a failed write is reported on stderr (the
  // refusal stands either way: the request is never let through because auditing failed).
  void on_auth_failure(const server::Request& request, const server::AuthFailure& failure) noexcept override;

 private:
  std::shared_ptr<store::Store> store_;
  Clock clock_;
};

}  // namespace attestd::service
