#include "auth_rate_limit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "attestd/server/request.h"

namespace attestd::service {

namespace {

// Clients whose refusals are being summarised at once; as bounded as the buckets.
constexpr size_t kMaxWindows = 65536;

}  // namespace

AuthRateLimit::AuthRateLimit(AuthLimits limits)
    : limits_(limits), per_second_(std::max(limits.failures_per_minute, 1e-9) / 60.0) {}

void AuthRateLimit::refill(Bucket& b, TimePoint now) const {
  if (now <= b.updated) return;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(limits_.burst, b.tokens + elapsed * per_second_);
  b.updated = now;
}

void AuthRateLimit::prune(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
  // Every client is over its budget at once: a flood from many addresses. Forgetting them all
  // lets each try `burst` more times, which is the price of bounded memory.
  if (buckets_.size() >= limits_.max_clients) buckets_.clear();
}

std::optional<std::chrono::seconds> AuthRateLimit::refused(std::string_view client, TimePoint now) {
  std::lock_guard lock(mutex_);
  if (buckets_.empty()) return std::nullopt;  // the common case: nobody has failed lately
  const auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) return std::nullopt;
  refill(it->second, now);
  if (it->second.tokens >= 1.0) return std::nullopt;
  const double wait = (1.0 - it->second.tokens) / per_second_;
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait))));
}

void AuthRateLimit::charge(std::string_view client, TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_clients) prune(now);
    it = buckets_.emplace(std::string(client), Bucket{limits_.burst, now}).first;
  }
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

RateLimitedAudit::RateLimitedAudit(std::shared_ptr<server::AuthFailureObserver> inner,
                                   std::shared_ptr<store::Store> store, Clock clock, std::chrono::seconds window)
    : inner_(std::move(inner)),
      store_(std::move(store)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })),
      window_(window) {}

void RateLimitedAudit::on_auth_failure(const server::Request& request, const server::AuthFailure& failure) noexcept {
  if (failure.kind != server::AuthFailureKind::rate_limited) {
    if (inner_) inner_->on_auth_failure(request, failure);
    return;
  }
  try {
    const auto now = clock_();
    int64_t suppressed = 0;
    {
      std::lock_guard lock(mutex_);
      // Bounded like the buckets: windows that ended are worth nothing.
      if (windows_.size() >= kMaxWindows) {
        std::erase_if(windows_, [&](const auto& w) { return now - w.second.started >= window_; });
      }
      if (windows_.size() >= kMaxWindows) windows_.clear();
      auto [it, fresh] = windows_.try_emplace(request.client_address, Window{now, 0});
      if (!fresh && now - it->second.started < window_) {
        ++it->second.suppressed;
        return;
      }
      suppressed = fresh ? 0 : it->second.suppressed;
      it->second = Window{now, 0};
    }
    // The address is the server's own text (the peer IP), not the client's.
    const store::RequestContext ctx{std::chrono::time_point_cast<std::chrono::milliseconds>(now), request.request_id,
                                    request.client_address};
    store::AuditEvent event{
        "auth.rate_limited",
        "client:" + request.client_address,
        {{"reason", failure.reason_id}, {"refused_since_previous_row", suppressed}, {"window_s", window_.count()}}};
    auto written = store_->append_system_audit("anonymous", event, ctx);
    if (!written) fmt::print(stderr, "attestd: audit of rate-limited requests failed: {}\n", written.error().message);
  } catch (const std::exception& e) {
    fmt::print(stderr, "attestd: audit of rate-limited requests failed: {}\n", e.what());
  }
}

}  // namespace attestd::service
