// A real attestd server on 127.0.0.1:0 for tests: fresh self-signed certificate in a temporary
// directory, short timeouts, the built-in routes plus whatever routes a test adds.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attestd/server/builtin_routes.h"
#include "attestd/server/config.h"
#include "attestd/server/metrics.h"
#include "attestd/server/router.h"
#include "attestd/server/server.h"

namespace attestd::server::test {

// A directory under $TMPDIR removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes a fresh self-signed pair to these paths (test setup: aborts the test on failure).
void write_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key);

// Defaults for tests: port 0, two workers, timeouts short enough to test, long enough for a
// loaded CI machine.
Config test_config(const std::filesystem::path& dir);

struct TestServer {
  // Starts a server with builtin routes + `routes`. Check `error` (empty on success).
  explicit TestServer(Config config, std::vector<Route> routes = {}, RouterOptions router_options = {},
                      std::function<bool()> ready = {});
  TestServer() : TestServer(test_config_default()) {}
  ~TestServer();

  [[nodiscard]] uint16_t port() const { return server->port(); }

  static Config test_config_default();

  std::unique_ptr<TempDir> owned_dir;  // when the default config made one
  Config config;
  std::shared_ptr<MetricsRegistry> metrics = std::make_shared<MetricsRegistry>();
  std::unique_ptr<Server> server;
  std::string error;
};

}  // namespace attestd::server::test
