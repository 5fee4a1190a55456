// The key broker's routes (issue 6):
//   PUT    /v1/keys/{name}          admin: {secret: base64} or {generate: "aes-256"}, with
//                                   {policies: [..], conditions: {host_labels: {..}, gpu_required: b}};
//                                   a PUT of an existing name is a rotation (a new version)
//   GET    /v1/keys                 admin, auditor: metadata of every live key
//   GET    /v1/keys/{name}          admin, auditor: metadata of every version
//   DELETE /v1/keys/{name}          admin: destroys every version's ciphertext
//   GET    /v1/keys/{name}/release  Authorization: Bearer <EAR>: the key as a JWE
//
// The release route authenticates by the EAR alone, not by an API token: the EAR is a credential
// this service signed for one tenant and host, it is short-lived, and what it yields is a JWE that
// only the holder of the attested tee private key can open. The router therefore treats the route
// as public and this handler verifies the token: our signature (the service KeySet), unexpired
// with no leeway (we issued it on our own clock), affirming, naming a tenant of ours. The tenant of
// the EAR is the tenant whose key is released; a workload cannot name another.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include "api_context.h"
#include "attestd/broker/key_broker.h"
#include "attestd/broker/reasons.h"
#include "attestd/result/ear.h"
#include "attestd/result/reasons.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

constexpr size_t kGeneratedAes256 = 32;

Problem broker_missing() {
  return Problem::make(503, "key.unavailable", "the key broker is not configured on this server");
}

nlohmann::json key_json(const store::KeyVersion& k) {
  nlohmann::json j = {{"name", k.name},
                      {"version", k.version},
                      {"kid", fmt::format("{}:{}", k.name, k.version)},
                      {"size", k.secret_size},
                      {"kek_id", k.kek_id},
                      {"policies", k.policies},
                      {"conditions", k.conditions},
                      {"created_at", iso8601(std::chrono::system_clock::time_point(
                                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                             k.created_at.time_since_epoch())))}};
  if (k.destroyed_at) {
    j["destroyed_at"] = iso8601(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(k.destroyed_at->time_since_epoch())));
  }
  return j;
}

// The problem for a refused release: 404 for a missing key, 401 for a token that is no
// credential, 500 for a server fault, 403 for everything the policy refuses.
Problem refusal_problem(const broker::Refused& r) {
  const auto id = r.reason.id;
  int status = 403;
  if (id == broker::kKeyNotFound) status = 404;
  if (id == broker::kEarInvalid || id == broker::kEarExpired || id == broker::kEarWrongTenant) status = 401;
  if (id == broker::kKeyUnavailable) status = 500;
  Problem p = Problem::make(status, std::string(id), r.reason.message);
  return p;
}

HandlerResult put_key(ApiContext& ctx, const Request& request) {
  if (!ctx.broker) return std::unexpected(broker_missing());
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  const std::string name(*request.param("name"));
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  for (const auto& [k, v] : body->items()) {
    if (k != "secret" && k != "generate" && k != "policies" && k != "conditions") {
      return std::unexpected(Problem::bad_request(std::string(broker::kKeyMetadataInvalid),
                                                  fmt::format("unknown member \"{}\"", k)));
    }
  }
  const bool has_secret = body->contains("secret");
  const bool has_generate = body->contains("generate");
  if (has_secret == has_generate) {
    return std::unexpected(Problem::bad_request(std::string(broker::kKeySecretInvalid),
                                                "give exactly one of \"secret\" (base64) and \"generate\""));
  }
  broker::SecretBytes secret;
  if (has_secret) {
    auto bytes = bytes_field(*body, "secret", true);
    if (!bytes) {
      return std::unexpected(Problem::bad_request(std::string(broker::kKeySecretInvalid),
                                                  "\"secret\" must be base64 (or a CBOR byte string)"));
    }
    secret = broker::SecretBytes((*bytes)->size());
    std::copy((*bytes)->begin(), (*bytes)->end(), secret.span().begin());
    OPENSSL_cleanse((*bytes)->data(), (*bytes)->size());
    // The decoded text still sits in the parsed body; wipe that copy too.
    auto& text = (*body)["secret"];
    if (text.is_string()) {
      auto& s = text.get_ref<std::string&>();
      OPENSSL_cleanse(s.data(), s.size());
    }
  } else {
    const auto& g = (*body)["generate"];
    if (!g.is_string() || g.get<std::string>() != "aes-256") {
      return std::unexpected(
          Problem::bad_request(std::string(broker::kKeySecretInvalid), "\"generate\" supports \"aes-256\" only"));
    }
    secret = broker::SecretBytes(kGeneratedAes256);
    if (RAND_bytes(secret.span().data(), static_cast<int>(kGeneratedAes256)) != 1) {
      return std::unexpected(Problem::internal("key.unavailable", "no random bytes"));
    }
  }
  std::vector<std::string> policies;
  const auto p = body->find("policies");
  if (p == body->end() || !p->is_array()) {
    return std::unexpected(Problem::bad_request(std::string(broker::kKeyMetadataInvalid),
                                                "\"policies\" must be an array of policy names"));
  }
  for (const auto& e : *p) {
    if (!e.is_string()) {
      return std::unexpected(
          Problem::bad_request(std::string(broker::kKeyMetadataInvalid), "\"policies\" must hold strings"));
    }
    policies.push_back(e.get<std::string>());
  }
  auto conditions = broker::parse_key_conditions(body->contains("conditions") ? (*body)["conditions"]
                                                                               : nlohmann::json(nullptr));
  if (!conditions) {
    return std::unexpected(Problem::bad_request(std::string(conditions.error().id), conditions.error().message));
  }
  auto stored = ctx.broker->put(*scope, name, secret, policies, *conditions, ctx.request_context(request));
  if (!stored) {
    if (stored.error().invalid) {
      return std::unexpected(Problem::bad_request(std::string(stored.error().invalid->id), stored.error().invalid->message));
    }
    return std::unexpected(store_problem(*stored.error().store));
  }
  return Response::json(stored->version == 1 ? 201 : 200, key_json(*stored));
}

HandlerResult list_keys(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto keys = ctx.store->list_keys(*scope);
  if (!keys) return std::unexpected(store_problem(keys.error()));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : *keys) out.push_back(key_json(k));
  return Response::json(200, {{"keys", out}});
}

HandlerResult get_key(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto versions = ctx.store->list_key_versions(*scope, *request.param("name"));
  if (!versions) return std::unexpected(store_problem(versions.error()));
  const auto& newest = versions->back();
  if (newest.destroyed_at) return std::unexpected(Problem::not_found("key.not_found", "no such key"));
  nlohmann::json all = nlohmann::json::array();
  for (const auto& v : *versions) all.push_back(key_json(v));
  nlohmann::json out = key_json(newest);
  out["versions"] = all;
  return Response::json(200, out);
}

HandlerResult delete_key(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto destroyed = ctx.store->destroy_key(*scope, *request.param("name"), ctx.request_context(request));
  if (!destroyed) {
    if (destroyed.error().code == store::StoreErrorCode::not_found) {
      return std::unexpected(Problem::not_found("key.not_found", "no such key"));
    }
    return std::unexpected(store_problem(destroyed.error()));
  }
  return Response::json(200, {{"name", *request.param("name")}, {"destroyed_versions", *destroyed}});
}

HandlerResult release_by_ear(ApiContext& ctx, const Request& request) {
  if (!ctx.broker) return std::unexpected(broker_missing());
  const std::string name(*request.param("name"));
  const auto unauthorized = [](std::string_view id, std::string message) {
    Problem p = Problem::make(401, std::string(id), std::move(message));
    return std::unexpected(p);
  };
  const auto header = request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || !header->starts_with(kBearer)) {
    return unauthorized(broker::kEarInvalid, "present the attestation result as \"Authorization: Bearer <EAR>\"");
  }
  const std::string_view token = header->substr(kBearer.size());
  const auto now = std::chrono::floor<std::chrono::seconds>(ctx.now());
  // No leeway: this service issued the token on this clock.
  const auto verified = result::verify_ear(token, ctx.keys->verification_keys(), now, {.leeway = std::chrono::seconds(0)});
  const auto rc = ctx.request_context(request);
  // A refusal before any tenant can be trusted goes to the service's own audit chain.
  const auto system_refusal = [&](std::string_view id, std::string message) {
    store::AuditEvent event{"key.refuse", fmt::format("key:{}", name),
                            {{"name", name}, {"via", "ear"}, {"version", 0}, {"reason", std::string(id)}}};
    (void)ctx.store->append_system_audit("ear", event, rc);
    return unauthorized(id, std::move(message));
  };
  if (!verified && verified.error().id == result::kEarExpired) {
    // Expiry is checked after the signature, so the claims of an expired EAR are ours: read them
    // again without the time check, only to record the refusal in the tenant's own chain.
    const auto late = result::verify_ear(token, ctx.keys->verification_keys(), now,
                                         {.leeway = std::chrono::hours(24 * 365 * 100)});
    if (late && !late->tenant_id.empty()) {
      if (auto s = ctx.store->scope_for_verified_ear(late->tenant_id, fmt::format("ear:{}", late->kid))) {
        broker::ReleaseRequest rr;
        rr.via = "ear";
        rr.host_id = late->host_id;
        ctx.broker->audit_refusal(*s, name, broker::Error{broker::kEarExpired, verified.error().message}, rr, rc);
        return unauthorized(broker::kEarExpired, verified.error().message);
      }
    }
    return system_refusal(broker::kEarExpired, verified.error().message);
  }
  if (!verified) {
    // Nothing in an unverified token can be trusted, not even its tenant.
    return system_refusal(broker::kEarInvalid, fmt::format("{}: {}", verified.error().id, verified.error().message));
  }
  if (verified->tenant_id.empty()) return system_refusal(broker::kEarWrongTenant, "the EAR names no tenant");
  auto scope = ctx.store->scope_for_verified_ear(verified->tenant_id, fmt::format("ear:{}", verified->kid));
  if (!scope) {
    if (scope.error().code == store::StoreErrorCode::not_found) {
      return system_refusal(broker::kEarWrongTenant, "the EAR names no tenant of this service");
    }
    return std::unexpected(store_problem(scope.error()));
  }

  broker::ReleaseRequest rr;
  rr.via = "ear";
  rr.host_id = verified->host_id;
  rr.affirming = verified->status == result::Status::kAffirming;
  // The policy of the verdict: every submod names "<policy>@<version>"; all must agree.
  for (const auto& s : verified->submods) {
    const std::string policy = s.policy_id.substr(0, s.policy_id.rfind('@'));
    if (rr.policy_name.empty()) {
      rr.policy_name = policy;
    } else if (rr.policy_name != policy) {
      rr.policy_name.clear();
      break;
    }
    if (s.name.starts_with("gpu")) rr.gpu_attested = true;
  }
  if (rr.policy_name == "none") rr.policy_name.clear();
  std::optional<result::PublicJwk> tee_key;
  if (verified->tee_key_spki) {
    auto k = result::public_jwk_from_spki_der(*verified->tee_key_spki);
    if (k) tee_key = std::move(*k);
  }
  rr.tee_key = tee_key ? &*tee_key : nullptr;
  if (!rr.host_id.empty()) {
    // Conditions on host labels are checked against the host as it is now.
    auto host = ctx.store->get_host(*scope, rr.host_id);
    if (host) rr.host_labels = host->labels;
  }
  auto outcome = ctx.broker->release(*scope, name, rr, rc);
  if (!outcome) return std::unexpected(refusal_problem(outcome.error()));
  return Response::json(200, {{"name", outcome->name},
                              {"version", outcome->version},
                              {"kid", fmt::format("{}:{}", outcome->name, outcome->version)},
                              {"jwe", outcome->jwe}});
}

}  // namespace

void add_key_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Access;
  using server::Method;
  using server::Role;
  routes.push_back({Method::put, "/v1/keys/{name}", Access::roles({Role::admin}),
                    [ctx](const Request& r) { return put_key(*ctx, r); }});
  routes.push_back({Method::get, "/v1/keys", Access::roles({Role::admin, Role::auditor}),
                    [ctx](const Request& r) { return list_keys(*ctx, r); }});
  routes.push_back({Method::get, "/v1/keys/{name}", Access::roles({Role::admin, Role::auditor}),
                    [ctx](const Request& r) { return get_key(*ctx, r); }});
  routes.push_back({Method::delete_, "/v1/keys/{name}", Access::roles({Role::admin}),
                    [ctx](const Request& r) { return delete_key(*ctx, r); }});
  // Public for the router: the handler authenticates the EAR itself (see the top of this file).
  routes.push_back({Method::get, "/v1/keys/{name}/release", Access::anyone(),
                    [ctx](const Request& r) { return release_by_ear(*ctx, r); }});
}

}  // namespace attestd::service
