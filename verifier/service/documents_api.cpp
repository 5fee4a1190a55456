// PUT /v1/reference-sets/{name}, PUT /v1/policies/{name} (admin): each PUT stores a new version
// after the document parses strictly; GET returns the newest (or ?version=N).
#include <charconv>

#include "api_context.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

Problem document_problem(const std::vector<evidence::Error>& errors) {
  Problem p = Problem::make(422, std::string(errors.front().id), "the document does not follow its schema");
  p.reasons.clear();
  for (const auto& e : errors) p.reasons.push_back(server::to_reason(e));
  return p;
}

HandlerResult put(ApiContext& ctx, const Request& request, store::DocumentKind kind) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  const std::string name(*request.param("name"));
  if (kind == store::DocumentKind::policy) {
    auto parsed = policy::parse_policy_json(*body);
    if (!parsed) return std::unexpected(document_problem(parsed.error()));
    if (parsed->name != name) return std::unexpected(Problem::unprocessable("policy.document.invalid_value",
                                                                            "the document's name differs from the URL's"));
  } else {
    auto parsed = policy::parse_reference_set_json(*body);
    if (!parsed) return std::unexpected(document_problem(parsed.error()));
    if (parsed->name != name) {
      return std::unexpected(Problem::unprocessable("policy.reference_set.invalid_value",
                                                    "the document's name differs from the URL's"));
    }
  }
  auto stored = ctx.store->put_document(*scope, kind, name, *body, ctx.request_context(request));
  if (!stored) return std::unexpected(store_problem(stored.error()));
  return Response::json(200, {{"name", stored->name}, {"version", stored->version}});
}

HandlerResult get(ApiContext& ctx, const Request& request, store::DocumentKind kind) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  std::optional<int64_t> version;
  if (auto v = request.query_param("version")) {
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1) {
      return std::unexpected(Problem::bad_request("api.query_invalid", "version must be a positive integer"));
    }
    version = n;
  }
  auto doc = ctx.store->get_document(*scope, kind, *request.param("name"), version);
  if (!doc) return std::unexpected(store_problem(doc.error()));
  return Response::json(200, {{"name", doc->name}, {"version", doc->version}, {"document", doc->document}});
}

}  // namespace

void add_document_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  using server::Role;
  const auto admin = server::Access::roles({Role::admin});
  const auto readers = server::Access::roles({Role::admin, Role::auditor});
  for (auto [path, kind] : {std::pair{"/v1/reference-sets/{name}", store::DocumentKind::reference_set},
                            std::pair{"/v1/policies/{name}", store::DocumentKind::policy}}) {
    routes.push_back({Method::put, path, admin, [ctx, kind](const Request& r) { return put(*ctx, r, kind); }});
    routes.push_back({Method::get, path, readers, [ctx, kind](const Request& r) { return get(*ctx, r, kind); }});
  }
}

}  // namespace attestd::service
