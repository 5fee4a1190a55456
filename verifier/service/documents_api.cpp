// PUT /v1/reference-sets/{name}, PUT /v1/policies/{name} (admin): each PUT stores a new version
// after the document parses strictly; GET returns the newest (or ?version=N); GET on the collection
// lists them, .../versions lists one's versions, DELETE retires one.
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

// GET /v1/reference-sets, /v1/policies: the newest live version of each (issue 5, attestctl golden list).
HandlerResult list(ApiContext& ctx, const Request& request, store::DocumentKind kind) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto docs = ctx.store->list_documents(*scope, kind);
  if (!docs) return std::unexpected(store_problem(docs.error()));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : *docs) {
    items.push_back({{"name", d.name}, {"version", d.version},
                     {"created_at", iso8601(std::chrono::system_clock::time_point(d.created_at))}});
  }
  return Response::json(200, {{"documents", items}});
}

// GET .../{name}/versions: every version, oldest first, retired ones included.
HandlerResult versions(ApiContext& ctx, const Request& request, store::DocumentKind kind) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto docs = ctx.store->list_document_versions(*scope, kind, *request.param("name"));
  if (!docs) return std::unexpected(store_problem(docs.error()));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : *docs) {
    nlohmann::json item = {{"version", d.version},
                           {"created_at", iso8601(std::chrono::system_clock::time_point(d.created_at))}};
    if (d.retired_at) item["retired_at"] = iso8601(std::chrono::system_clock::time_point(*d.retired_at));
    items.push_back(std::move(item));
  }
  return Response::json(200, {{"name", *request.param("name")}, {"versions", items}});
}

// DELETE .../{name}: retires every version (kept for the audit trail; a later PUT revives the name).
HandlerResult retire(ApiContext& ctx, const Request& request, store::DocumentKind kind) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto done = ctx.store->retire_document(*scope, kind, *request.param("name"), ctx.request_context(request));
  if (!done) return std::unexpected(store_problem(done.error()));
  return Response::json(200, {{"name", *request.param("name")}, {"retired", true}});
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
    routes.push_back({Method::delete_, path, admin, [ctx, kind](const Request& r) { return retire(*ctx, r, kind); }});
    const std::string collection = std::string(path).substr(0, std::string_view(path).rfind('/'));
    routes.push_back({Method::get, collection, readers, [ctx, kind](const Request& r) { return list(*ctx, r, kind); }});
    routes.push_back({Method::get, std::string(path) + "/versions", readers,
                      [ctx, kind](const Request& r) { return versions(*ctx, r, kind); }});
  }
}

}  // namespace attestd::service
