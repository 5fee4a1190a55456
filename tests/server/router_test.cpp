// The router without the network: table checks, matching, precedence, access.
#include <gtest/gtest.h>

#include "attestd/server/router.h"

namespace attestd::server {
namespace {

Handler named(std::string name) {
  return [name](const Request& r) -> HandlerResult {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : r.path_params) params[k] = v;
    return Response::json(200, {{"handler", name}, {"params", params}});
  };
}

Request make(Method m, std::string path) {
  Request r;
  r.method = m;
  r.path = std::move(path);
  r.request_id = "rid";
  return r;
}

nlohmann::json body(const Response& r) { return nlohmann::json::parse(r.body); }

TEST(Router, LiteralSegmentsWinOverParametersWhateverTheOrder) {
  auto router = Router::create({{Method::get, "/v1/hosts/{id}", Access::anyone(), named("by-id")},
                                {Method::get, "/v1/hosts/search", Access::anyone(), named("search")},
                                {Method::get, "/v1/{kind}/search", Access::anyone(), named("kind-search")}},
                               {});
  ASSERT_TRUE(router) << router.error();
  auto req = make(Method::get, "/v1/hosts/search");
  EXPECT_EQ(body(router->dispatch(req))["handler"], "search");
  req = make(Method::get, "/v1/hosts/h1");
  auto r = router->dispatch(req);
  EXPECT_EQ(body(r)["handler"], "by-id");
  EXPECT_EQ(body(r)["params"]["id"], "h1");
  EXPECT_EQ(req.route_pattern, "/v1/hosts/{id}");
  req = make(Method::get, "/v1/keys/search");
  EXPECT_EQ(body(router->dispatch(req))["handler"], "kind-search");
}

TEST(Router, SeveralParameters) {
  auto router = Router::create(
      {{Method::post, "/v1/hosts/{id}/enrollment/{eid}/activate", Access::anyone(), named("activate")}}, {});
  ASSERT_TRUE(router);
  auto req = make(Method::post, "/v1/hosts/a%2Fb/enrollment/e-1/activate");
  auto j = body(router->dispatch(req));
  EXPECT_EQ(j["params"], nlohmann::json({{"id", "a/b"}, {"eid", "e-1"}}));
}

TEST(Router, MalformedEscapeInAParameterIs400) {
  auto router = Router::create({{Method::get, "/h/{id}", Access::anyone(), named("h")}}, {});
  ASSERT_TRUE(router);
  auto req = make(Method::get, "/h/%zz");
  EXPECT_EQ(router->dispatch(req).status, 400);
}

TEST(Router, RejectsBadTables) {
  auto h = named("x");
  EXPECT_FALSE(Router::create({{Method::get, "/a/{id}", Access::anyone(), h}, {Method::get, "/a/{other}", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "no-slash", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "/a//b", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "/a/{id", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "/a/{id}/{id}", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "/a/{}", Access::anyone(), h}}, {}));
  EXPECT_FALSE(Router::create({{Method::get, "/a", Access::anyone(), nullptr}}, {}));
  // Same pattern, different methods: fine.
  EXPECT_TRUE(Router::create({{Method::get, "/a/{id}", Access::anyone(), h}, {Method::put, "/a/{id}", Access::anyone(), h}}, {}));
}

TEST(Router, ExposesItsTableInOrder) {
  auto router = Router::create({{Method::get, "/b", Access::roles({Role::admin, Role::auditor}), named("b")},
                                {Method::post, "/a", Access::anyone(), named("a")}},
                               {});
  ASSERT_TRUE(router);
  ASSERT_EQ(router->routes().size(), 2U);
  EXPECT_EQ(router->routes()[0].pattern, "/b");
  EXPECT_TRUE(router->routes()[0].access.admits(Role::auditor));
  EXPECT_FALSE(router->routes()[0].access.admits(Role::attester));
  EXPECT_TRUE(router->routes()[1].access.is_public());
}

TEST(Router, ADefaultAccessAdmitsNobody) {
  Access a;
  for (Role r : kAllRoles) EXPECT_FALSE(a.admits(r));
  EXPECT_FALSE(a.is_public());
}

TEST(Router, NonPublicRouteWithoutAuthenticatorFailsClosed) {
  auto router = Router::create({{Method::get, "/x", Access::roles({Role::admin}), named("x")}}, {});
  ASSERT_TRUE(router);
  auto req = make(Method::get, "/x");
  auto r = router->dispatch(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(r.header("WWW-Authenticate").empty());
}

TEST(Router, HandlerProblemsCarryTheRequestId) {
  auto router = Router::create({{Method::get, "/x", Access::anyone(), [](const Request&) -> HandlerResult {
                                   return std::unexpected(Problem::conflict("host.exists", "host h1 exists"));
                                 }}},
                               {});
  ASSERT_TRUE(router);
  auto req = make(Method::get, "/x");
  auto r = router->dispatch(req);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(body(r), nlohmann::json({{"type", "about:blank"},
                                     {"title", "Conflict"},
                                     {"status", 409},
                                     {"detail", "host h1 exists"},
                                     {"reasons", {{{"id", "host.exists"}, {"message", "host h1 exists"}}}},
                                     {"request_id", "rid"}}));
}

TEST(Router, RolesRoundTrip) {
  for (Role r : kAllRoles) EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_EQ(to_string(Role::operator_), "operator");
  EXPECT_FALSE(parse_role("root"));
  for (Method m : kAllMethods) EXPECT_EQ(parse_method(to_string(m)), m);
  EXPECT_FALSE(parse_method("get"));
}

TEST(Router, SplitTargetDecodesQuery) {
  std::string path;
  Fields q;
  split_target("/a/b?x=1&y=a+b%20c&&flag&bad=%G1", path, q);
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(q, (Fields{{"x", "1"}, {"y", "a b c"}, {"flag", ""}}));
}

}  // namespace
}  // namespace attestd::server
