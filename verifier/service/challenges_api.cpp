// POST /v1/challenges (attester): a fresh 32-byte nonce, single use, expiring.
#include <openssl/rand.h>

#include "api_context.h"
#include "attestd/evidence/digest.h"
#include "attestd/server/router.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

// Unconsumed, unexpired challenges one host may hold (issue 11; verifier/CONFIG.md, fixed
// limits): an agent needs one at a time; the rest is room for retries and tools attesting one
// host over several connections. The bound stops a flood of live nonces.
constexpr int64_t kMaxOutstandingChallengesPerHost = 32;

// An attester credential restricted to named hosts may act for those hosts only; another host
// answers exactly like a missing one.
std::optional<Problem> host_refused(const Request& request, std::string_view host_id) {
  const auto& hosts = request.principal->restrictions.hosts;
  if (hosts && std::find(hosts->begin(), hosts->end(), host_id) == hosts->end()) {
    return Problem::not_found("api.not_found", "no such host");
  }
  return std::nullopt;
}

HandlerResult create(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  auto host_id = string_field(*body, "host_id");
  if (!host_id) return std::unexpected(host_id.error());
  if (auto refused = host_refused(request, *host_id)) return std::unexpected(*refused);
  store::Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return std::unexpected(Problem::internal("challenge.random_failed", "no randomness"));
  }
  const auto rc = ctx.request_context(request);
  const auto expires = rc.now + std::chrono::duration_cast<std::chrono::milliseconds>(ctx.options.nonce_lifetime);
  auto challenge = ctx.store->create_challenge(*scope, *host_id, nonce, expires, rc, kMaxOutstandingChallengesPerHost);
  if (!challenge && challenge.error().code == store::StoreErrorCode::conflict) {
    // A slot frees when one of them is used or, at the latest, when the oldest expires.
    return server::problem_response(Problem::make(429, "challenge.too_many_outstanding", challenge.error().message),
                                    request.request_id)
        .with_header("Retry-After", std::to_string(ctx.options.nonce_lifetime.count()));
  }
  if (!challenge) return std::unexpected(store_problem(challenge.error()));
  return Response::negotiated(request, 201,
                              {{"challenge_id", challenge->id},
                               {"nonce", evidence::to_hex(challenge->nonce)},
                               {"expires_at", iso8601(std::chrono::system_clock::time_point(
                                                  std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                      expires.time_since_epoch())))}});
}

}  // namespace

std::optional<Problem> attester_host_refused(const Request& request, std::string_view host_id) {
  return host_refused(request, host_id);
}

void add_challenge_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  routes.push_back({server::Method::post, "/v1/challenges", server::Access::roles({server::Role::attester}),
                    [ctx](const Request& r) { return create(*ctx, r); }});
}

}  // namespace attestd::service
