// Authentication and authorization failures in the system audit chain.
#include "attestd/service/audit_auth_failures.h"

#include <fmt/format.h>

#include <chrono>
#include <string>

#include "attestd/server/request.h"

namespace attestd::service {

namespace {

// The path is the caller's text: kept printable ASCII and short, so that it can neither break the
// JSON (invalid UTF-8 would make the record unwritable, and so an attacker's way to stay unlogged)
// nor fill the log.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 256;
  std::string out;
  for (char c : s.substr(0, kMax)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

}  // namespace

AuditAuthFailures::AuditAuthFailures(std::shared_ptr<store::Store> store, Clock clock)
    : store_(std::move(store)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

void AuditAuthFailures::on_auth_failure(const server::Request& request, const server::AuthFailure& failure) noexcept {
  try {
    std::string actor = "anonymous";
    nlohmann::json details = {{"reason", failure.reason_id},
                              {"method", std::string(server::to_string(request.method))},
                              {"path", printable(request.path)}};
    if (request.principal) {
      actor = request.principal->credential_id;
      details["tenant_id"] = request.principal->tenant_id;
    }
    const store::RequestContext ctx{
        std::chrono::time_point_cast<std::chrono::milliseconds>(clock_()),
        printable(request.request_id), printable(request.client_address)};
    auto written = store_->append_system_audit(actor, {"auth.failure", "route:" + printable(request.route_pattern),
                                                       std::move(details)},
                                               ctx);
    if (!written) fmt::print(stderr, "attestd: audit of a refused request failed: {}\n", written.error().message);
  } catch (const std::exception& e) {
    fmt::print(stderr, "attestd: audit of a refused request failed: {}\n", e.what());
  }
}

}  // namespace attestd::service
