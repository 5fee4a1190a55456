// What every handler needs: the store, the result signer, the clock, options, and helpers that
// turn a request into a tenant scope and store errors into problems.
#pragma once

#include <memory>
#include <optional>

#include "attestd/evidence/x509/certificate.h"
#include "attestd/server/problem.h"
#include "attestd/server/request.h"
#include "attestd/service/service.h"
#include "token_auth.h"
#include "document_cache.h"
#include "verified_log_cache.h"

namespace attestd::service {

struct ApiContext {
  std::shared_ptr<store::Store> store;
  std::shared_ptr<const result::KeySet> keys;
  std::shared_ptr<TokenAuthenticator> auth;
  std::shared_ptr<broker::KeyBroker> broker;  // null when not configured
  Clock clock;
  std::shared_ptr<VerifiedLogCache> log_cache;
  std::shared_ptr<DocumentCache> documents;
  ServiceOptions options;
  std::optional<evidence::x509::Certificate> nvidia_root;

  // Metrics (null without a registry).
  server::Family<server::Counter>* verdicts = nullptr;  // attestd_attestations_total{verdict}
  server::Family<server::Counter>* reasons = nullptr;   // attestd_attestation_reasons_total{reason}
  server::Family<server::Gauge>* db_writes = nullptr;   // attestd_db_write_{batches,jobs,...}
  void record(std::string_view verdict, const std::vector<std::string_view>& reason_ids) const;

  [[nodiscard]] std::chrono::system_clock::time_point now() const { return clock(); }
  [[nodiscard]] store::RequestContext request_context(const server::Request& request) const;
  // The tenant of the authenticated credential; a 403 problem for credentials without one, and
  // the 404 of a missing object when a restricted credential names another host or key
  // (TokenAuthenticator::scope_for: restrictions are enforced there and nowhere else).
  [[nodiscard]] std::expected<store::TenantScope, server::Problem> scope(const server::Request& request) const;
};

// Store errors as problems. not_found answers the same for a missing object and another tenant's.
server::Problem store_problem(const store::StoreError& error);

// The request's JSON (or CBOR) body as an object, or a 400 problem.
std::expected<nlohmann::json, server::Problem> body_object(const server::Request& request);

// Route groups, each in its own file.
void add_host_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_client_certificate_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_enrollment_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_challenge_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_attestation_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_document_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_audit_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_key_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_tenant_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);
void add_token_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes);

std::string iso8601(std::chrono::system_clock::time_point t);

// Attester credentials restricted to named hosts: a 404 (as for a missing host) for any other.
std::optional<server::Problem> attester_host_refused(const server::Request& request, std::string_view host_id);

}  // namespace attestd::service
