// HTTP behaviour of the server core over real TLS: keep-alive, limits, errors, roles, bodies,
// metrics and concurrency.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "test_client.h"
#include "test_server.h"

namespace attestd::server::test {
namespace {

using nlohmann::json;

// Bearer tokens for the role tests: "<role>-token" is a valid credential of tenant t1.
class StubAuthenticator final : public Authenticator {
 public:
  std::expected<Principal, AuthFailure> authenticate(const Request& request) override {
    auto h = request.header("authorization");
    if (!h) return std::unexpected(AuthFailure{AuthFailureKind::missing_credentials, "auth.token.missing", "no token", {}});
    std::string_view v = *h;
    if (!v.starts_with("Bearer ")) {
      return std::unexpected(AuthFailure{AuthFailureKind::invalid_credentials, "auth.token.malformed", "not bearer", {}});
    }
    v.remove_prefix(7);
    if (v == "flood") {
      return std::unexpected(
          AuthFailure{AuthFailureKind::rate_limited, "auth.rate_limited", "slow down", std::chrono::seconds(7)});
    }
    if (v.ends_with("-token")) {
      if (auto role = parse_role(v.substr(0, v.size() - 6))) {
        return Principal{"t1", *role, "cred-" + std::string(to_string(*role)), {}};
      }
    }
    return std::unexpected(AuthFailure{AuthFailureKind::invalid_credentials, "auth.token.unknown", "unknown token", {}});
  }
};

class RecordingObserver final : public AuthFailureObserver {
 public:
  void on_auth_failure(const Request& request, const AuthFailure& failure) noexcept override {
    std::lock_guard lock(mutex);
    seen.emplace_back(request.client_address, failure.reason_id);
  }
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> seen;
};

std::vector<Route> echo_routes() {
  return {
      {Method::post, "/echo", Access::anyone(),
       [](const Request& r) -> HandlerResult {
         auto body = r.body_json();
         if (!body) return std::unexpected(body.error());
         return Response::negotiated(r, 200, {{"body", *body}, {"content_type", r.content_type}});
       }},
      {Method::get, "/items/{id}", Access::anyone(),
       [](const Request& r) -> HandlerResult {
         return Response::json(200, {{"id", *r.param("id")}, {"q", r.query_param("q").value_or("")}});
       }},
      {Method::put, "/items/{id}", Access::anyone(), [](const Request&) -> HandlerResult { return Response::empty(204); }},
      {Method::get, "/v1/admin-only", Access::roles({Role::admin}),
       [](const Request& r) -> HandlerResult {
         return Response::json(200, {{"tenant", r.principal->tenant_id},
                                     {"role", to_string(r.principal->role)},
                                     {"credential", r.principal->credential_id}});
       }},
      {Method::get, "/throws", Access::anyone(),
       [](const Request&) -> HandlerResult { throw std::runtime_error("secret internals"); }},
  };
}

void expect_problem(const HttpResponse& r, int status, std::string_view reason_id) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  json p = r.json();
  EXPECT_EQ(p["status"], status);
  EXPECT_EQ(p["type"], "about:blank");
  EXPECT_TRUE(p["title"].is_string());
  EXPECT_EQ(p["request_id"], r.header("x-request-id"));
  ASSERT_TRUE(p["reasons"].is_array());
  EXPECT_EQ(p["reasons"][0]["id"], reason_id);
}

struct Fixture : ::testing::Test {
  std::shared_ptr<RecordingObserver> observer = std::make_shared<RecordingObserver>();
  TempDir dir;
  Config config = test_config(dir.path());
  std::unique_ptr<TestServer> server;

  void start() {
    server = std::make_unique<TestServer>(config, echo_routes(),
                                          RouterOptions{std::make_shared<StubAuthenticator>(), observer});
    ASSERT_EQ(server->error, "");
  }
  uint16_t port() const { return server->port(); }
};

using ServerHttp = Fixture;

TEST_F(ServerHttp, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c) << c.error();
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = c->request("GET", "/items/" + std::to_string(i) + "?q=a+b%21");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->json(), json({{"id", std::to_string(i)}, {"q", "a b!"}}));
    ids.insert(r->header("x-request-id"));
  }
  EXPECT_EQ(ids.size(), 10U) << "request ids must be unique";
}

TEST_F(ServerHttp, PathParametersArePercentDecoded) {
  start();
  auto r = fetch(port(), "GET", "/items/host%2001");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->json()["id"], "host 01");
}

TEST_F(ServerHttp, BodyOverTheLimitIs413) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c);
  // The Content-Length alone is refused, before any body byte is read.
  auto r = c->request("POST", "/echo", {{"Content-Type", "application/json"}, {"Content-Length", "65537"}});
  ASSERT_TRUE(r) << r.error();
  expect_problem(*r, 413, "http.body.too_large");
  EXPECT_EQ(r->header("connection"), "close");
}

TEST_F(ServerHttp, ChunkedBodyGrowingOverTheLimitIs413) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c);
  std::string chunk(40 * 1024, 'x');
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 2; ++i) req += size + chunk + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c->send_raw(req));
  auto r = c->read_response();
  ASSERT_TRUE(r) << r.error();
  expect_problem(*r, 413, "http.body.too_large");
}

TEST_F(ServerHttp, HeaderOverTheLimitIs431) {
  start();
  auto r = fetch(port(), "GET", "/healthz", {{"X-Filler", std::string(5000, 'a')}});
  ASSERT_TRUE(r) << r.error();
  expect_problem(*r, 431, "http.header.too_large");
}

TEST_F(ServerHttp, UnknownRouteIs404Problem) {
  start();
  for (const char* target : {"/nope", "/healthz/", "//healthz", "/items"}) {
    auto r = fetch(port(), "GET", target);
    ASSERT_TRUE(r);
    expect_problem(*r, 404, "http.route.not_found");
  }
}

TEST_F(ServerHttp, WrongMethodIs405WithAllow) {
  start();
  auto r = fetch(port(), "DELETE", "/items/7");
  ASSERT_TRUE(r);
  expect_problem(*r, 405, "http.method.not_allowed");
  EXPECT_EQ(r->header("allow"), "GET, PUT");
}

TEST_F(ServerHttp, UnknownMethodIs501) {
  start();
  auto r = fetch(port(), "BREW", "/healthz");
  ASSERT_TRUE(r);
  expect_problem(*r, 501, "http.method.unknown");
}

TEST_F(ServerHttp, MalformedRequestIs400AndClosed) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_raw("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r) << r.error();
  expect_problem(*r, 400, "http.request.malformed");
  EXPECT_TRUE(c->wait_closed(std::chrono::milliseconds(3000)));
}

TEST_F(ServerHttp, MissingTokenIs401WithWwwAuthenticate) {
  start();
  auto r = fetch(port(), "GET", "/v1/admin-only");
  ASSERT_TRUE(r);
  expect_problem(*r, 401, "auth.token.missing");
  EXPECT_EQ(r->header("www-authenticate"), "Bearer realm=\"attestd\"");
}

TEST_F(ServerHttp, InvalidTokenIs401InvalidToken) {
  start();
  auto r = fetch(port(), "GET", "/v1/admin-only", {{"Authorization", "Bearer forged"}});
  ASSERT_TRUE(r);
  expect_problem(*r, 401, "auth.token.unknown");
  EXPECT_EQ(r->header("www-authenticate"), "Bearer realm=\"attestd\", error=\"invalid_token\"");
}

TEST_F(ServerHttp, WrongRoleIs403AndHandlerDoesNotRun) {
  start();
  for (const char* role : {"attester", "workload", "auditor", "operator"}) {
    auto r = fetch(port(), "GET", "/v1/admin-only", {{"Authorization", std::string("Bearer ") + role + "-token"}});
    ASSERT_TRUE(r);
    expect_problem(*r, 403, "auth.role.forbidden");
  }
}

TEST_F(ServerHttp, RightRoleRunsHandlerWithPrincipal) {
  start();
  auto r = fetch(port(), "GET", "/v1/admin-only", {{"Authorization", "Bearer admin-token"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json(), json({{"tenant", "t1"}, {"role", "admin"}, {"credential", "cred-admin"}}));
}

TEST_F(ServerHttp, RateLimitedAuthenticationIs429WithRetryAfter) {
  start();
  auto r = fetch(port(), "GET", "/v1/admin-only", {{"Authorization", "Bearer flood"}});
  ASSERT_TRUE(r);
  expect_problem(*r, 429, "auth.rate_limited");
  EXPECT_EQ(r->header("retry-after"), "7");
}

TEST_F(ServerHttp, AuthFailuresReachTheObserverWithTheClientAddress) {
  start();
  (void)fetch(port(), "GET", "/v1/admin-only");
  (void)fetch(port(), "GET", "/v1/admin-only", {{"Authorization", "Bearer auditor-token"}});
  (void)fetch(port(), "GET", "/v1/admin-only", {{"Authorization", "Bearer admin-token"}});
  std::lock_guard lock(observer->mutex);
  ASSERT_EQ(observer->seen.size(), 2U);
  EXPECT_EQ(observer->seen[0], std::make_pair(std::string("127.0.0.1"), std::string("auth.token.missing")));
  EXPECT_EQ(observer->seen[1].second, "auth.role.forbidden");
}

TEST_F(ServerHttp, CborBodyDecodesToTheSameModelAsJson) {
  start();
  const json doc = {{"host_id", "h1"}, {"pcrs", {{"sha256", {{"0", "00ff"}}}}}, {"n", 42}, {"ok", true}};
  auto as_json = fetch(port(), "POST", "/echo", {{"Content-Type", "application/json"}}, doc.dump());
  std::vector<uint8_t> cbor = json::to_cbor(doc);
  auto as_cbor = fetch(port(), "POST", "/echo", {{"Content-Type", "application/cbor"}},
                       std::string(cbor.begin(), cbor.end()));
  ASSERT_TRUE(as_json);
  ASSERT_TRUE(as_cbor);
  EXPECT_EQ(as_json->status, 200);
  EXPECT_EQ(as_cbor->status, 200);
  EXPECT_EQ(as_json->json()["body"], doc);
  EXPECT_EQ(as_cbor->json()["body"], doc);
  EXPECT_EQ(as_cbor->json()["content_type"], "application/cbor");
}

TEST_F(ServerHttp, AcceptCborGetsCbor) {
  start();
  auto r = fetch(port(), "POST", "/echo", {{"Content-Type", "application/json; charset=utf-8"}, {"Accept", "application/cbor"}},
                 R"({"a":1})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-type"), "application/cbor");
  std::vector<uint8_t> bytes(r->body.begin(), r->body.end());
  EXPECT_EQ(json::from_cbor(bytes)["body"], json({{"a", 1}}));
}

TEST_F(ServerHttp, BadBodiesAreProblems) {
  start();
  auto deep = fetch(port(), "POST", "/echo", {{"Content-Type", "application/cbor"}}, std::string(60000, '\x81') + '\x01');
  ASSERT_TRUE(deep);
  expect_problem(*deep, 400, "http.body.too_deep");
  auto bad = fetch(port(), "POST", "/echo", {{"Content-Type", "application/json"}}, "{\"a\":");
  ASSERT_TRUE(bad);
  expect_problem(*bad, 400, "http.body.malformed_json");
  auto type = fetch(port(), "POST", "/echo", {{"Content-Type", "text/plain"}}, "hi");
  ASSERT_TRUE(type);
  expect_problem(*type, 415, "http.body.unsupported_media_type");
}

TEST_F(ServerHttp, HandlerExceptionIs500WithoutItsText) {
  start();
  auto r = fetch(port(), "GET", "/throws");
  ASSERT_TRUE(r);
  expect_problem(*r, 500, "http.internal_error");
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
}

TEST_F(ServerHttp, Expect100ContinueIsHonoured) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c->read_response();
  ASSERT_TRUE(interim) << interim.error();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c->send_raw(R"({"a":1})"));
  auto r = c->read_response();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerHttp, ReadyzFollowsTheReadinessCallback) {
  std::atomic<bool> ready{false};
  TestServer s(config, {}, {}, [&] { return ready.load(); });
  ASSERT_EQ(s.error, "");
  auto r = fetch(s.port(), "GET", "/readyz");
  ASSERT_TRUE(r);
  expect_problem(*r, 503, "service.not_ready");
  ready = true;
  EXPECT_EQ(fetch(s.port(), "GET", "/readyz")->status, 200);
  EXPECT_EQ(fetch(s.port(), "GET", "/healthz")->status, 200);
}

TEST_F(ServerHttp, MetricsExposeRequestCountsAndLatency) {
  start();
  auto c = TlsClient::connect(port());
  ASSERT_TRUE(c);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c->request("GET", "/healthz")->status, 200);
  ASSERT_EQ(c->request("GET", "/nope")->status, 404);
  ASSERT_EQ(c->request("GET", "/items/1")->status, 200);
  auto m = c->request("GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& t = m->body;
  EXPECT_NE(t.find("attestd_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 3\n"),
            std::string::npos) << t;
  EXPECT_NE(t.find("attestd_http_requests_total{route=\"none\",method=\"GET\",status=\"404\"} 1\n"), std::string::npos);
  // Routes are counted by pattern, not by path: the label set stays bounded.
  EXPECT_NE(t.find("route=\"/items/{id}\""), std::string::npos);
  EXPECT_NE(t.find("attestd_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("attestd_http_open_connections 1\n"), std::string::npos);
}

TEST_F(ServerHttp, ConcurrentClientsAllSucceed) {
  start();
  constexpr int kClients = 16;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = TlsClient::connect(port());
      if (!c) return;
      for (int i = 0; i < kRequests; ++i) {
        auto r = c->request("GET", "/items/" + std::to_string(t * 1000 + i));
        if (r && r->status == 200 && r->json()["id"] == std::to_string(t * 1000 + i)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

}  // namespace
}  // namespace attestd::server::test
