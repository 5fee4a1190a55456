// The operator's tenant routes (issue 8); they admit the operator role only, which sees no tenant
// data: names, ids and creation times, nothing inside a tenant.
//   POST   /v1/tenants         {name} -> 201 {id, name, created_at}; 409 api.conflict when taken
//   GET    /v1/tenants         -> {tenants: [...]}, ordered by name
//   DELETE /v1/tenants/{name}  erases the tenant's data and credentials (Store::delete_tenant);
//                              its audit chain stays. 404 api.not_found when unknown.
#include "api_context.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

nlohmann::json tenant_json(const store::Tenant& t) {
  return {{"id", t.id}, {"name", t.name}, {"created_at", iso8601(std::chrono::system_clock::time_point(t.created_at))}};
}

// The operator token that acts: the audit log's actor.
std::string actor(const Request& request) { return request.principal ? request.principal->credential_id : "operator"; }

HandlerResult create(ApiContext& ctx, const Request& request) {
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  for (const auto& [k, v] : body->items()) {
    if (k != "name") return std::unexpected(bad_body("unknown member \"" + k + "\""));
  }
  auto name = string_field(*body, "name");
  if (!name) return std::unexpected(name.error());
  auto tenant = ctx.store->create_tenant(*name, actor(request), ctx.request_context(request));
  if (!tenant) return std::unexpected(store_problem(tenant.error()));
  return Response::json(201, tenant_json(*tenant));
}

HandlerResult list(ApiContext& ctx, const Request&) {
  auto tenants = ctx.store->list_tenants();
  if (!tenants) return std::unexpected(store_problem(tenants.error()));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tenants) out.push_back(tenant_json(t));
  return Response::json(200, {{"tenants", std::move(out)}});
}

HandlerResult remove(ApiContext& ctx, const Request& request) {
  auto tenant = ctx.store->delete_tenant(*request.param("name"), actor(request), ctx.request_context(request));
  if (!tenant) return std::unexpected(store_problem(tenant.error()));
  auto out = tenant_json(*tenant);
  out["deleted"] = true;
  return Response::json(200, out);
}

}  // namespace

void add_tenant_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  const auto op = server::Access::roles({server::Role::operator_});
  routes.push_back({Method::post, "/v1/tenants", op, [ctx](const Request& r) { return create(*ctx, r); }});
  routes.push_back({Method::get, "/v1/tenants", op, [ctx](const Request& r) { return list(*ctx, r); }});
  routes.push_back({Method::delete_, "/v1/tenants/{name}", op, [ctx](const Request& r) { return remove(*ctx, r); }});
}

}  // namespace attestd::service
