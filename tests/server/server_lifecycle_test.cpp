// Connection lifecycle over real TLS: timeouts, connection limits, graceful stop.
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "test_client.h"
#include "test_server.h"

namespace attestd::server::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ServerLifecycle, PortZeroPicksAPort) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  EXPECT_NE(s.port(), 0);
  EXPECT_EQ(fetch(s.port(), "GET", "/healthz")->status, 200);
}

TEST(ServerLifecycle, BindFailureIsAnError) {
  TestServer first;
  ASSERT_EQ(first.error, "");
  Config c = first.config;
  c.listen.port = first.port();
  TestServer second(c);
  EXPECT_NE(second.error.find("bind"), std::string::npos) << second.error;
}

TEST(ServerLifecycle, IdleTimeoutClosesASilentConnection) {
  TempDir dir;
  Config c = test_config(dir.path());
  c.idle_timeout = 300ms;
  TestServer s(c);
  ASSERT_EQ(s.error, "");
  auto conn = TlsClient::connect(s.port());
  ASSERT_TRUE(conn);
  auto t0 = Clock::now();
  EXPECT_TRUE(conn->wait_closed(3000ms));
  EXPECT_LT(Clock::now() - t0, 2000ms);
  EXPECT_GE(Clock::now() - t0, 250ms);
}

TEST(ServerLifecycle, IdleTimeoutAlsoAppliesBetweenKeepAliveRequests) {
  TempDir dir;
  Config c = test_config(dir.path());
  c.idle_timeout = 300ms;
  TestServer s(c);
  ASSERT_EQ(s.error, "");
  auto conn = TlsClient::connect(s.port());
  ASSERT_TRUE(conn);
  ASSERT_EQ(conn->request("GET", "/healthz")->status, 200);
  EXPECT_TRUE(conn->wait_closed(3000ms));
}

TEST(ServerLifecycle, SlowLorisIsCutOffAlthoughItKeepsSending) {
  TempDir dir;
  Config c = test_config(dir.path());
  c.idle_timeout = 400ms;
  TestServer s(c);
  ASSERT_EQ(s.error, "");
  auto conn = TlsClient::connect(s.port());
  ASSERT_TRUE(conn);
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  auto t0 = Clock::now();
  bool cut = false;
  for (char ch : header) {
    if (!conn->send_raw(std::string_view(&ch, 1))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(40ms);  // whole header would take ~3.6 s
  }
  if (!cut) cut = conn->wait_closed(1000ms);
  EXPECT_TRUE(cut);
  EXPECT_LT(Clock::now() - t0, 3000ms);
}

TEST(ServerLifecycle, OverConnectionLimitAnswers503ThenCloses) {
  TempDir dir;
  Config c = test_config(dir.path());
  c.max_connections = 2;
  c.overload_connections = 1;
  c.retry_after = std::chrono::seconds(3);
  TestServer s(c);
  ASSERT_EQ(s.error, "");
  auto a = TlsClient::connect(s.port());
  auto b = TlsClient::connect(s.port());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->request("GET", "/healthz")->status, 200);
  ASSERT_EQ(b->request("GET", "/healthz")->status, 200);

  auto shed = TlsClient::connect(s.port());
  ASSERT_TRUE(shed) << shed.error();
  // Beyond both limits the socket is closed without a handshake.
  auto refused = TlsClient::connect(s.port());
  EXPECT_FALSE(refused);

  auto r = shed->request("GET", "/healthz");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after"), "3");
  EXPECT_EQ(r->json()["reasons"][0]["id"], "http.overloaded");
  EXPECT_TRUE(shed->wait_closed(3000ms));

  auto m = a->request("GET", "/metrics");
  EXPECT_NE(m->body.find("attestd_http_refused_connections_total{how=\"503\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("attestd_http_refused_connections_total{how=\"closed\"} 1"), std::string::npos);

  // Served connections are unaffected, and a freed slot is served again.
  EXPECT_EQ(a->request("GET", "/healthz")->status, 200);
  b = std::unexpected(std::string("closed by the test"));  // frees a served slot
  bool served_again = false;
  for (auto deadline = Clock::now() + 3s; Clock::now() < deadline && !served_again;) {
    auto again = fetch(s.port(), "GET", "/healthz");
    served_again = again && again->status == 200;
    if (!served_again) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served_again);
}

TEST(ServerLifecycle, StopLetsAnInFlightRequestFinishAndClosesIdleConnections) {
  TempDir dir;
  Config c = test_config(dir.path());
  std::promise<void> handler_started;
  std::atomic<bool> handler_finished{false};
  std::vector<Route> routes = {{Method::get, "/slow", Access::anyone(), [&](const Request&) -> HandlerResult {
                                  handler_started.set_value();
                                  std::this_thread::sleep_for(700ms);
                                  handler_finished = true;
                                  return Response::json(200, {{"done", true}});
                                }}};
  TestServer s(c, routes);
  ASSERT_EQ(s.error, "");

  auto idle = TlsClient::connect(s.port());
  ASSERT_TRUE(idle);
  ASSERT_EQ(idle->request("GET", "/healthz")->status, 200);

  auto busy = TlsClient::connect(s.port());
  ASSERT_TRUE(busy);
  auto response = std::async(std::launch::async, [&] { return busy->request("GET", "/slow"); });
  ASSERT_EQ(handler_started.get_future().wait_for(3s), std::future_status::ready);

  auto t0 = Clock::now();
  s.server->stop();
  // The idle keep-alive connection goes at once; new connections are refused.
  EXPECT_TRUE(idle->wait_closed(1000ms));
  EXPECT_FALSE(handler_finished.load());
  EXPECT_FALSE(TlsClient::connect(s.port()));

  auto r = response.get();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json()["done"], true);
  EXPECT_EQ(r->header("connection"), "close");
  s.server->wait();
  EXPECT_LT(Clock::now() - t0, 4000ms) << "stop waited for the grace period instead of the request";
  EXPECT_TRUE(handler_finished.load());
}

TEST(ServerLifecycle, StopWithoutConnectionsReturnsPromptly) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto t0 = Clock::now();
  s.server->stop();
  s.server->wait();
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_EQ(s.server->open_connections(), 0U);
}

TEST(ServerLifecycle, GraceBoundsAHandlerThatNeverEnds) {
  TempDir dir;
  Config c = test_config(dir.path());
  c.shutdown_grace = 300ms;
  std::promise<void> started;
  std::atomic<bool> release{false};
  std::vector<Route> routes = {{Method::get, "/stuck", Access::anyone(), [&](const Request&) -> HandlerResult {
                                  started.set_value();
                                  while (!release.load()) std::this_thread::sleep_for(10ms);
                                  return Response::empty(204);
                                }}};
  TestServer s(c, routes);
  ASSERT_EQ(s.error, "");
  auto slow = TlsClient::connect(s.port());
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->send_raw("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(started.get_future().wait_for(3s), std::future_status::ready);
  // A second, silent connection that never sends a whole request holds the server too.
  auto partial = TlsClient::connect(s.port());
  ASSERT_TRUE(partial);
  ASSERT_TRUE(partial->send_raw("GET /heal"));
  s.server->stop();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(600ms);
  release = true;  // a worker blocked in a handler can only return when the handler does
  s.server->wait();
  EXPECT_LT(Clock::now() - t0, 2000ms);
}

}  // namespace
}  // namespace attestd::server::test
