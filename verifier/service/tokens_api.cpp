// The operator's token routes (issue 8), operator role only:
//   POST   /v1/tokens       {tenant, role, expires_in_s?, hosts?: [..], keys?: [..]}
//                           -> 201 {id, tenant, role, ..., token}: the only time the token is shown.
//                           role "operator" takes no tenant. hosts restricts an attester, keys a
//                           workload; 400 api.invalid_argument otherwise.
//   GET    /v1/tokens?tenant=NAME -> {tokens: [...]}: metadata only, never a hash or a token
//   DELETE /v1/tokens/{id}  revokes; the next request with the token is refused. Revoking twice
//                           answers the token as it is (revoked at the first time).
// Only the SHA-256 of a token reaches the store; the plaintext is in the 201 body and nowhere else
// (not in the audit log, not in the server's log).
#include <fmt/format.h>

#include "api_context.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

// Ten years: a longer-lived credential is a configuration mistake.
constexpr int64_t kMaxLifetimeSeconds = 10LL * 366 * 24 * 3600;

std::string when(store::Timestamp t) { return iso8601(std::chrono::system_clock::time_point(t)); }

nlohmann::json names_json(const std::optional<std::vector<std::string>>& names) {
  return names ? nlohmann::json(*names) : nlohmann::json(nullptr);
}

nlohmann::json token_json(const store::TokenInfo& t) {
  return {{"id", t.id},
          {"tenant", t.tenant_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.tenant_name)},
          {"role", std::string(store::to_string(t.role))},
          {"created_at", when(t.created_at)},
          {"expires_at", t.expires_at ? nlohmann::json(when(*t.expires_at)) : nlohmann::json(nullptr)},
          {"revoked_at", t.revoked_at ? nlohmann::json(when(*t.revoked_at)) : nlohmann::json(nullptr)},
          {"hosts", names_json(t.allowed_hosts)},
          {"keys", names_json(t.allowed_keys)}};
}

std::string actor(const Request& request) { return request.principal ? request.principal->credential_id : "operator"; }

// An optional array of non-empty strings.
std::expected<std::optional<std::vector<std::string>>, Problem> names_field(const nlohmann::json& body,
                                                                            std::string_view key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::vector<std::string>>{};
  if (!it->is_array()) return std::unexpected(bad_body(fmt::format("\"{}\" must be an array of names", key)));
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return std::unexpected(bad_body(fmt::format("\"{}\" must be an array of non-empty names", key)));
    }
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

HandlerResult create(ApiContext& ctx, const Request& request) {
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  for (const auto& [k, v] : body->items()) {
    if (k != "tenant" && k != "role" && k != "expires_in_s" && k != "hosts" && k != "keys") {
      return std::unexpected(bad_body("unknown member \"" + k + "\""));
    }
  }
  auto role_name = string_field(*body, "role");
  if (!role_name) return std::unexpected(role_name.error());
  const auto role = store::parse_role(*role_name);
  if (!role) return std::unexpected(bad_body("role must be admin, attester, workload, auditor or operator"));
  const auto tenant = body->find("tenant");
  const bool has_tenant = tenant != body->end() && !tenant->is_null();
  if (has_tenant && (!tenant->is_string() || tenant->get_ref<const std::string&>().empty())) {
    return std::unexpected(bad_body("\"tenant\" must be a tenant name"));
  }
  if (has_tenant == (*role == store::Role::operator_)) {
    return std::unexpected(bad_body(*role == store::Role::operator_ ? "an operator token belongs to no tenant"
                                                                    : "\"tenant\" is required for this role"));
  }
  const auto rc = ctx.request_context(request);
  store::NewToken nt;
  nt.role = *role;
  if (auto e = body->find("expires_in_s"); e != body->end() && !e->is_null()) {
    if (!e->is_number_integer() || e->get<int64_t>() < 1 || e->get<int64_t>() > kMaxLifetimeSeconds) {
      return std::unexpected(bad_body(fmt::format("\"expires_in_s\" must be an integer 1..{}", kMaxLifetimeSeconds)));
    }
    nt.expires_at = rc.now + std::chrono::seconds(e->get<int64_t>());
  }
  auto hosts = names_field(*body, "hosts");
  if (!hosts) return std::unexpected(hosts.error());
  auto keys = names_field(*body, "keys");
  if (!keys) return std::unexpected(keys.error());
  nt.allowed_hosts = std::move(*hosts);
  nt.allowed_keys = std::move(*keys);
  const auto secret = generate_bearer_token();
  nt.token_sha256 = secret.sha256;
  auto info = has_tenant ? ctx.store->create_token(tenant->get<std::string>(), nt, actor(request), rc)
                         : ctx.store->create_operator_token(nt, actor(request), rc);
  if (!info) return std::unexpected(store_problem(info.error()));
  auto out = token_json(*info);
  out["token"] = secret.token;
  return Response::json(201, out);
}

HandlerResult list(ApiContext& ctx, const Request& request) {
  const auto tenant = request.query_param("tenant");
  if (!tenant || tenant->empty()) return std::unexpected(bad_body("give the tenant: ?tenant=NAME"));
  auto tokens = ctx.store->list_tokens(*tenant);
  if (!tokens) return std::unexpected(store_problem(tokens.error()));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tokens) out.push_back(token_json(t));
  return Response::json(200, {{"tokens", std::move(out)}});
}

HandlerResult revoke(ApiContext& ctx, const Request& request) {
  auto info = ctx.store->revoke_token(*request.param("id"), actor(request), ctx.request_context(request));
  if (!info) return std::unexpected(store_problem(info.error()));
  return Response::json(200, token_json(*info));
}

}  // namespace

void add_token_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  const auto op = server::Access::roles({server::Role::operator_});
  routes.push_back({Method::post, "/v1/tokens", op, [ctx](const Request& r) { return create(*ctx, r); }});
  routes.push_back({Method::get, "/v1/tokens", op, [ctx](const Request& r) { return list(*ctx, r); }});
  routes.push_back({Method::delete_, "/v1/tokens/{id}", op, [ctx](const Request& r) { return revoke(*ctx, r); }});
}

}  // namespace attestd::service
