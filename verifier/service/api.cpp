#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "api_context.h"
#include "attestd/result/base64url.h"
#include "attestd/server/role.h"
#include "attestd/service/audit_auth_failures.h"

namespace attestd::service {

store::RequestContext ApiContext::request_context(const server::Request& request) const {
  return {std::chrono::time_point_cast<std::chrono::milliseconds>(now()), request.request_id, request.client_address};
}

std::expected<store::TenantScope, server::Problem> ApiContext::scope(const server::Request& request) const {
  return auth->scope_for(request);
}

void ApiContext::record(std::string_view verdict, const std::vector<std::string_view>& reason_ids) const {
  if (verdicts == nullptr) return;
  verdicts->with({verdict}).inc();
  for (auto id : reason_ids) reasons->with({id}).inc();
  // Group commit at work: jobs / batches is the mean batch size.
  const auto stats = store->write_stats();
  db_writes->with({"batches"}).set(static_cast<int64_t>(stats.batches));
  db_writes->with({"jobs"}).set(static_cast<int64_t>(stats.jobs));
  db_writes->with({"failed_jobs"}).set(static_cast<int64_t>(stats.failed_jobs));
  db_writes->with({"failed_batches"}).set(static_cast<int64_t>(stats.failed_batches));
}

server::Problem store_problem(const store::StoreError& error) {
  using store::StoreErrorCode;
  switch (error.code) {
    case StoreErrorCode::not_found: return server::Problem::not_found("api.not_found", error.message);
    case StoreErrorCode::conflict: return server::Problem::conflict("api.conflict", error.message);
    case StoreErrorCode::invalid_argument: return server::Problem::bad_request("api.invalid_argument", error.message);
    case StoreErrorCode::challenge_not_found:
      return server::Problem::not_found("attestation.challenge_not_found", error.message);
    case StoreErrorCode::challenge_expired:
      return server::Problem::make(410, "attestation.challenge_expired", error.message);
    case StoreErrorCode::challenge_consumed:
      return server::Problem::conflict("attestation.challenge_consumed", error.message);
    case StoreErrorCode::enrollment_expired:
      return server::Problem::make(410, "enrollment.expired", error.message);
    case StoreErrorCode::enrollment_consumed: return server::Problem::conflict("enrollment.consumed", error.message);
    case StoreErrorCode::enrollment_secret_mismatch:
      return server::Problem::make(403, "tpm.enroll.activation_mismatch", error.message);
    case StoreErrorCode::token_expired:
    case StoreErrorCode::token_revoked: return server::Problem::make(401, "auth.token.invalid", error.message);
    case StoreErrorCode::unavailable:
      return server::Problem::make(503, "store.unavailable", "the database is busy; retry shortly");
    case StoreErrorCode::internal: break;
  }
  // Internal details stay in the server log, not in the answer.
  return server::Problem::internal("store.internal", "internal storage error");
}

std::expected<nlohmann::json, server::Problem> body_object(const server::Request& request) {
  auto body = request.body_json();
  if (!body) return std::unexpected(body.error());
  if (!body->is_object()) return std::unexpected(server::Problem::bad_request("api.body_invalid", "body must be an object"));
  return std::move(*body);
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(t));
}

namespace {

void add_jwks_route(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  routes.push_back({server::Method::get, "/.well-known/jwks.json", server::Access::anyone(),
                    [ctx](const server::Request&) -> server::HandlerResult {
                      return server::Response::json(200, ctx->keys->jwks());
                    }});
}

}  // namespace

std::expected<Api, std::string> make_api(const ServiceDeps& deps, const ServiceOptions& options) {
  if (!deps.store || !deps.keys) return std::unexpected("make_api: store and keys are required");
  auto ctx = std::make_shared<ApiContext>();
  ctx->store = deps.store;
  ctx->keys = deps.keys;
  ctx->clock = deps.clock ? deps.clock : Clock([] { return std::chrono::system_clock::now(); });
  ctx->options = options;
  // 256 distinct logs, at most 32 MiB of their bytes: a fleet's boot images, with room to spare.
  ctx->log_cache = std::make_shared<VerifiedLogCache>(256, 32U << 20);
  ctx->documents = std::make_shared<DocumentCache>(1024, 64U << 20);
  auto limiter = std::make_shared<AuthRateLimit>(options.auth_limits);
  ctx->auth = std::make_shared<TokenAuthenticator>(deps.store, ctx->clock, limiter);
  ctx->broker = deps.broker;
  if (!options.nvidia_device_root_pem.empty()) {
    auto root = evidence::x509::parse_certificate_pem(options.nvidia_device_root_pem);
    if (!root) return std::unexpected("NVIDIA device root: " + root.error().message);
    ctx->nvidia_root = std::move(*root);
  }
  if (deps.metrics) {
    ctx->verdicts = &deps.metrics->counter_family("attestd_attestations_total", "Attestations by verdict", {"verdict"});
    ctx->reasons = &deps.metrics->counter_family("attestd_attestation_reasons_total",
                                                 "Reasons that contributed to verdicts, by stable id", {"reason"});
    ctx->db_writes = &deps.metrics->gauge_family("attestd_db_writes", "Database group-commit counters", {"what"});
  }
  Api api;
  api.authenticator = ctx->auth;
  api.auth_failure_observer = std::make_shared<RateLimitedAudit>(
      std::make_shared<AuditAuthFailures>(deps.store, ctx->clock), deps.store, ctx->clock,
      options.auth_limits.audit_window);
  add_jwks_route(ctx, api.routes);
  add_host_routes(ctx, api.routes);
  add_client_certificate_routes(ctx, api.routes);
  add_enrollment_routes(ctx, api.routes);
  add_challenge_routes(ctx, api.routes);
  add_attestation_routes(ctx, api.routes);
  add_document_routes(ctx, api.routes);
  add_audit_routes(ctx, api.routes);
  add_key_routes(ctx, api.routes);
  add_tenant_routes(ctx, api.routes);
  add_token_routes(ctx, api.routes);
  return api;
}

NewBearerToken generate_bearer_token() {
  std::array<uint8_t, 32> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) std::abort();  // no entropy: nothing is safe
  NewBearerToken t;
  t.token = result::base64url_encode(raw);
  SHA256(reinterpret_cast<const unsigned char*>(t.token.data()), t.token.size(), t.sha256.data());
  return t;
}

std::expected<std::optional<std::filesystem::path>, std::string> bootstrap_demo_tenant(
    store::Store& store, const std::filesystem::path& data_dir, std::chrono::system_clock::time_point now) {
  const store::RequestContext rc{std::chrono::time_point_cast<std::chrono::milliseconds>(now), "bootstrap", ""};
  if (store.find_tenant("demo")) return std::optional<std::filesystem::path>{};
  // The token file outlives the tenant: an operator deleted the demo tenant, which stays deleted.
  if (std::error_code ec; std::filesystem::exists(data_dir / "demo-admin.token", ec)) {
    return std::optional<std::filesystem::path>{};
  }
  auto tenant = store.create_tenant("demo", "bootstrap", rc);
  if (!tenant) return std::unexpected("creating the demo tenant: " + tenant.error().message);
  const auto token = generate_bearer_token();
  store::NewToken nt;
  nt.role = store::Role::admin;
  nt.token_sha256 = token.sha256;
  auto created = store.create_token("demo", nt, "bootstrap", rc);
  if (!created) return std::unexpected("creating the demo admin token: " + created.error().message);
  const auto path = data_dir / "demo-admin.token";
  // Created with 0600 from the start: the token must never be readable by others, even briefly.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::unexpected(fmt::format("{}: cannot create", path.string()));
  const std::string line = token.token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return std::unexpected(fmt::format("{}: write failed", path.string()));
  return std::optional<std::filesystem::path>(path);
}

}  // namespace attestd::service
