// Authentication failures rate-limited per client address (issue 8): a token bucket per address,
// charged one token per missing or invalid credential and refilled at a steady rate. An address
// whose bucket is empty is refused with 429 before its credential is even looked up, and its
// refusals are summarised in the audit log instead of writing one row each.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "attestd/server/authenticator.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"

namespace attestd::service {

class AuthRateLimit {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit AuthRateLimit(AuthLimits limits);

  // nullopt when `client` may present a credential at `now`; otherwise how long until it may
  // (at least 1 s, for Retry-After).
  std::optional<std::chrono::seconds> refused(std::string_view client, TimePoint now);
  // Takes one token from `client`'s bucket (a failed authentication).
  void charge(std::string_view client, TimePoint now);

  [[nodiscard]] const AuthLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
  };
  // Brings the bucket's tokens up to `now`; a clock that went back refills nothing.
  void refill(Bucket& b, TimePoint now) const;
  // Keeps the table bounded: drops buckets that have refilled completely (they are equivalent to
  // absent ones), and if that frees nothing, everything.
  void prune(TimePoint now);

  AuthLimits limits_;
  double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Wraps the audit of refused requests: every 401/403 is passed on as it is, but the 429s of a
// client over its budget are not; the first one of each window writes one "auth.rate_limited" row
// to the service's chain (client address, how many were refused since that client's previous such
// row), so that a flood can neither fill the log nor go unrecorded.
class RateLimitedAudit final : public server::AuthFailureObserver {
 public:
  RateLimitedAudit(std::shared_ptr<server::AuthFailureObserver> inner, std::shared_ptr<store::Store> store,
                   Clock clock, std::chrono::seconds window);
  void on_auth_failure(const server::Request& request, const server::AuthFailure& failure) noexcept override;

 private:
  struct Window {
    std::chrono::system_clock::time_point started;
    int64_t suppressed = 0;
  };
  std::shared_ptr<server::AuthFailureObserver> inner_;
  std::shared_ptr<store::Store> store_;
  Clock clock_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace attestd::service
