// The attestd API: routes over the store, the evidence core, the policy layer and the result
// signer. The HTTP server (attestd/server) carries requests to these handlers; nothing here knows
// about sockets or TLS.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attestd/broker/key_broker.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/authenticator.h"
#include "attestd/server/metrics.h"
#include "attestd/server/router.h"
#include "attestd/store/store.h"

namespace attestd::service {

// Time comes through here so tests can move it (STYLE: time through interfaces).
using Clock = std::function<std::chrono::system_clock::time_point()>;

// Failed authentications per client address (config `limits.auth_failures_per_minute` and
// `limits.auth_failure_burst`, verifier/CONFIG.md): a token bucket of `burst` refilled at
// `failures_per_minute`; an address with an empty bucket is answered 429 without a lookup.
struct AuthLimits {
  double failures_per_minute = 60;
  double burst = 30;
  std::chrono::seconds audit_window{60};  // while limited: one summary audit row per address and window
  size_t max_clients = 65536;             // addresses tracked at once
};

struct ServiceOptions {
  std::chrono::seconds nonce_lifetime{120};
  std::chrono::seconds ear_lifetime{300};
  std::chrono::seconds enrollment_lifetime{600};
  // Pinned NVIDIA Device Identity CA (PEM) for GPU evidence; empty: GPU evidence is refused.
  std::string nvidia_device_root_pem;
  AuthLimits auth_limits;
};

struct ServiceDeps {
  std::shared_ptr<store::Store> store;
  std::shared_ptr<const result::KeySet> keys;
  Clock clock;  // default: system_clock::now
  // Optional: verdicts by reason id and database write batching are recorded here (/metrics).
  std::shared_ptr<server::MetricsRegistry> metrics;
  // Optional: the key broker (issue 6). Without it the key routes answer 503 and a "release" in
  // an attestation is refused with key.unavailable.
  std::shared_ptr<broker::KeyBroker> broker;
};

// The API: every route with the roles it admits (DESIGN.md §6; the table is the single place where
// authorization is declared) and the bearer-token authenticator the router must use with them
// ("Authorization: Bearer <token>" → SHA-256 → the store's credential).
struct Api {
  std::vector<server::Route> routes;
  std::shared_ptr<server::Authenticator> authenticator;
  // For RouterOptions::auth_failure_observer: audits every refused request in the service's chain
  // (AuditAuthFailures), except that a client over its failure budget gets one summary row per
  // window instead of a row per 429.
  std::shared_ptr<server::AuthFailureObserver> auth_failure_observer;
};
std::expected<Api, std::string> make_api(const ServiceDeps& deps, const ServiceOptions& options);

// First start of a data directory: creates the `demo` tenant and writes its admin token once to
// DIR/demo-admin.token (mode 0600). Later starts change nothing, also when an operator has
// deleted the demo tenant since (the token file is left). Returns the token path when it was
// written now.
std::expected<std::optional<std::filesystem::path>, std::string> bootstrap_demo_tenant(
    store::Store& store, const std::filesystem::path& data_dir, std::chrono::system_clock::time_point now);

// A new random bearer token (256 bits, base64url) and its SHA-256.
struct NewBearerToken {
  std::string token;
  store::Sha256 sha256{};
};
NewBearerToken generate_bearer_token();

}  // namespace attestd::service
