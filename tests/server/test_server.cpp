#include "test_server.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "attestd/server/self_signed.h"

namespace attestd::server::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/attestd-server-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key) {
  auto pems = generate_self_signed({});
  ASSERT_TRUE(pems.has_value()) << pems.error();
  std::filesystem::create_directories(cert.parent_path());
  std::ofstream(cert) << pems->certificate_pem;
  std::ofstream(key) << pems->private_key_pem;
}

Config test_config(const std::filesystem::path& dir) {
  Config c;
  c.listen = {"127.0.0.1", 0};
  c.threads = 2;
  c.tls_certificate = dir / "tls/server.crt";
  c.tls_private_key = dir / "tls/server.key";
  c.handshake_timeout = std::chrono::milliseconds(5000);
  c.idle_timeout = std::chrono::milliseconds(5000);
  c.read_timeout = std::chrono::milliseconds(5000);
  c.write_timeout = std::chrono::milliseconds(5000);
  c.shutdown_grace = std::chrono::milliseconds(5000);
  c.max_body_bytes = 64 * 1024;
  c.max_header_bytes = 4096;
  return c;
}

Config TestServer::test_config_default() { return Config{}; }

TestServer::TestServer(Config c, std::vector<Route> routes, RouterOptions router_options,
                       std::function<bool()> ready) {
  // A default-constructed Config means "make me everything".
  static const Config kDefaults;
  if (c == kDefaults) {
    owned_dir = std::make_unique<TempDir>();
    c = test_config(owned_dir->path());
  }
  config = c;
  if (!std::filesystem::exists(config.tls_certificate)) write_self_signed(config.tls_certificate, config.tls_private_key);
  auto table = builtin_routes({.metrics = metrics, .ready = std::move(ready), .metrics_access = Access::anyone()});
  for (auto& r : routes) table.push_back(std::move(r));
  auto router = Router::create(std::move(table), std::move(router_options));
  if (!router) {
    error = router.error();
    return;
  }
  auto s = Server::create(config, {.router = std::make_shared<const Router>(std::move(*router)),
                                   .metrics = metrics,
                                   .request_ids = nullptr,
                                   .handle_signals = false});
  if (!s) {
    error = s.error();
    return;
  }
  server = std::move(*s);
  server->start();
}

TestServer::~TestServer() {
  if (server) {
    server->stop();
    server->wait();
  }
}

}  // namespace attestd::server::test
