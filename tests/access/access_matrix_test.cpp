// The generated access matrix of issue 8: every route the router serves x every caller x {own
// object, other tenant's object, missing object}, through the real server (TLS on loopback, the
// real router, token authenticator and handlers, a real SQLite file). For each answer: the status
// and reason id of the role table; another tenant's object answered exactly like a missing one
// (byte for byte once request ids and per-object fresh values are taken out); refusals decided
// before any lookup (the same answer for every object); and no answer carrying any identifier of
// the other tenant. One test per route (a process each under ctest); failures name the route, the
// caller and the object.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "normalise.h"
#include "role_table.h"

namespace attestd::access_test {
namespace {

// One world per process, shared by the tests of this file.
std::unique_ptr<World>& shared_world() {
  static std::unique_ptr<World> world;
  return world;
}

class WorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!shared_world()) shared_world() = std::make_unique<World>();
  }
  static void TearDownTestSuite() { shared_world().reset(); }
  void SetUp() override { ASSERT_TRUE(world().ok()) << world().error(); }
  static World& world() { return *shared_world(); }
};

std::string route_name(server::Method m, std::string_view pattern) {
  return fmt::format("{} {}", server::to_string(m), pattern);
}

const RouteSpec* table_entry(server::Method m, std::string_view pattern) {
  for (const auto& s : role_table()) {
    if (s.method == m && s.pattern == pattern) return &s;
  }
  return nullptr;
}

using RoleTable = WorldTest;

TEST_F(RoleTable, EveryRouteTheRouterServesHasAnEntry) {
  for (const auto& r : world().router().routes()) {
    EXPECT_NE(table_entry(r.method, r.pattern), nullptr)
        << "route " << route_name(r.method, r.pattern)
        << " has no entry in the role table (tests/access/role_table.cpp)";
  }
}

TEST_F(RoleTable, EveryEntryIsARouteTheRouterServes) {
  const auto routes = world().router().routes();
  for (const auto& s : role_table()) {
    const bool served = std::any_of(routes.begin(), routes.end(), [&](const server::Route& r) {
      return r.method == s.method && r.pattern == s.pattern;
    });
    EXPECT_TRUE(served) << "role table entry " << route_name(s.method, s.pattern) << " is not a route of the router";
  }
}

TEST_F(RoleTable, TheRouterAdmitsExactlyTheRolesOfTheTable) {
  for (const auto& r : world().router().routes()) {
    const RouteSpec* s = table_entry(r.method, r.pattern);
    if (s == nullptr) continue;  // reported above
    EXPECT_EQ(r.access.is_public(), s->access.is_public()) << route_name(r.method, r.pattern);
    for (server::Role role : server::kAllRoles) {
      EXPECT_EQ(r.access.admits(role), s->access.admits(role))
          << route_name(r.method, r.pattern) << ": role " << server::to_string(role);
    }
  }
}

// The first reason id of a problem answer; "" for any other answer (a verdict has reasons too).
// A route that names an object in its path is tried with a missing one and, unless only the
// operator (who manages every tenant) may call it, with the other tenant's.
TEST_F(RoleTable, RoutesNamingAnObjectAreTriedWithOthersAndMissingOnes) {
  const auto operator_only = server::Access::roles({server::Role::operator_});
  for (const auto& s : role_table()) {
    if (s.pattern.find('{') == std::string::npos) continue;
    const auto has = [&](Variant v) { return std::find(s.variants.begin(), s.variants.end(), v) != s.variants.end(); };
    EXPECT_TRUE(has(Variant::missing)) << route_name(s.method, s.pattern);
    if (s.access != operator_only) {
      EXPECT_TRUE(has(Variant::other)) << route_name(s.method, s.pattern);
    }
  }
}

std::string first_reason(const HttpResponse& r) {
  if (!r.header("content-type").starts_with("application/problem+json")) return {};
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("reasons") || !j["reasons"].is_array() ||
      j["reasons"].empty()) {
    return {};
  }
  return j["reasons"][0].value("id", "");
}

class AccessMatrix : public WorldTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(AccessMatrix, AnswersAsTheRoleTableSays) {
  World& w = world();
  const RouteSpec& spec = role_table()[GetParam()];
  const auto route = route_name(spec.method, spec.pattern);
  const auto routes = w.router().routes();
  ASSERT_TRUE(std::any_of(routes.begin(), routes.end(),
                          [&](const server::Route& r) { return r.method == spec.method && r.pattern == spec.pattern; }))
      << "role table entry " << route << " is not a route of the router";
  // The operator manages tenants and tokens, so tenant names and token ids are its business;
  // tenant data and token secrets are not. Every other caller is tenant A.
  const auto watched_by_tenant = w.other_tenant_identifiers();
  const auto watched_by_operator = w.other_tenant_data();

  for (Who who : kEveryone) {
    struct Answer {
      Call call;
      HttpResponse response;
    };
    std::map<Variant, Answer> answers;
    for (Variant v : spec.variants) {
      Call call = spec.call(w, v);
      ASSERT_TRUE(w.ok()) << w.error();
      const auto where = fmt::format("{} as {} on the {} object ({} {})", route, to_string(who), to_string(v),
                                     server::to_string(call.method), call.target);
      HttpResponse r = w.send(who, call);
      const Expect e = expected(spec, who, v);
      EXPECT_EQ(r.status, e.status) << where << "\n" << r.body;
      EXPECT_EQ(first_reason(r), e.reason) << where << "\n" << r.body;
      if (e.reason.empty() && r.status == e.status && v == Variant::own && spec.check_own) {
        SCOPED_TRACE(where);
        spec.check_own(w, r);
      }
      // Names this request or an earlier one of the caller gave may be echoed back to it.
      const std::string& request_text = w.sent();
      const auto leaks = leaked(r, who == Who::operator_ ? watched_by_operator : watched_by_tenant, request_text);
      EXPECT_TRUE(leaks.empty()) << where << " reveals the other tenant's identifiers: "
                                 << fmt::format("{}", fmt::join(leaks, ", ")) << "\n"
                                 << r.body;
      answers.emplace(v, Answer{std::move(call), std::move(r)});
    }
    const auto same = [&](Variant x, Variant y, std::string_view why) {
      if (!answers.contains(x) || !answers.contains(y)) return;
      const auto& ax = answers.at(x);
      const auto& ay = answers.at(y);
      EXPECT_EQ(normalise(ax.response, ax.call.names), normalise(ay.response, ay.call.names))
          << route << " as " << to_string(who) << ": the " << to_string(x) << " object (" << ax.call.target
          << ") must answer like the " << to_string(y) << " object (" << ay.call.target << ") " << why;
    };
    same(Variant::other, Variant::missing, "(another tenant's object is one that does not exist)");
    same(Variant::other_child, Variant::missing_child, "(another tenant's object is one that does not exist)");
    const Expect own = expected(spec, who, Variant::own);
    if (own.status == 401 || own.status == 403) {
      same(Variant::own, Variant::missing, "(refused before any lookup)");
    } else if (who == Who::attester_restricted && spec.host_restricted) {
      same(Variant::own, Variant::missing, "(a host outside the token's list is a host that does not exist)");
    }
  }
}

// Paths no route serves and methods a path does not take are answered by the router alone:
// the same 404 or 405 for every caller and every object, before any credential is looked at.
using Unrouted = WorldTest;

TEST_F(Unrouted, AnswerAlikeForEveryCallerAndObject) {
  World& w = world();
  const std::string missing = World::random_name("host");
  for (const auto& [method, prefix, suffix, status, reason] :
       {std::tuple{server::Method::get, "/v1/nothing/", "", 404, "http.route.not_found"},
        std::tuple{server::Method::put, "/v1/hosts/", "", 405, "http.method.not_allowed"},
        std::tuple{server::Method::get, "/v1/hosts/", "/nothing", 404, "http.route.not_found"}}) {
    std::optional<std::string> first;
    for (Who who : kEveryone) {
      for (const std::string& id : {w.a.host, w.b.host, missing}) {
        const Call call{method, std::string(prefix) + id + suffix, std::nullopt, {id}};
        const HttpResponse r = w.send(who, call);
        const auto where = fmt::format("{} {} as {}", server::to_string(method), call.target, to_string(who));
        EXPECT_EQ(r.status, status) << where << "\n" << r.body;
        EXPECT_EQ(first_reason(r), reason) << where << "\n" << r.body;
        const auto n = normalise(r, call.names);
        if (!first) first = n;
        EXPECT_EQ(n, *first) << where;
      }
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  const auto& s = role_table()[info.param];
  std::string name(server::to_string(s.method));
  for (char c : s.pattern) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      name += c;
    } else if (name.back() != '_') {
      name += '_';
    }
  }
  while (name.back() == '_') name.pop_back();
  return name;
}

INSTANTIATE_TEST_SUITE_P(Routes, AccessMatrix, ::testing::Range<size_t>(0, role_table().size()), case_name);

}  // namespace
}  // namespace attestd::access_test
