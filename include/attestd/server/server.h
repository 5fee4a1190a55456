// The HTTPS server core: TLS 1.2/1.3 (Boost.Beast over Asio and OpenSSL), HTTP/1.1 keep-alive,
// a pool of worker threads, limits and timeouts, graceful stop, certificate reload.
//
// Lifecycle: create() binds and loads the certificate (errors as values); start() spawns the
// workers; stop() is graceful and may be called from any thread; wait() joins. run() is
// start() + wait(). The destructor stops and waits.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "attestd/server/config.h"
#include "attestd/server/metrics.h"
#include "attestd/server/request_id.h"
#include "attestd/server/router.h"

namespace attestd::server {

struct ServerDeps {
  std::shared_ptr<const Router> router;              // required
  std::shared_ptr<MetricsRegistry> metrics;          // required: the server records into it
  std::shared_ptr<RequestIdSource> request_ids;      // default: random
  // Install handlers: SIGTERM/SIGINT → stop(), SIGHUP → reload_tls(). For main; tests call the
  // functions directly.
  bool handle_signals = false;
};

class Server {
 public:
  // Loads the TLS files of `config`, binds the listen address (port 0 picks a free port) and
  // registers the server's metrics. Fails with a message (unreadable key, address in use, ...).
  static std::expected<std::unique_ptr<Server>, std::string> create(const Config& config, ServerDeps deps);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the real one when the config said 0).
  [[nodiscard]] uint16_t port() const;
  // Starts accepting on config.threads worker threads. Once only.
  void start();
  // Graceful stop: stop accepting, let in-flight requests finish (their responses carry
  // Connection: close), close idle keep-alive connections; after config.shutdown_grace whatever
  // is left is cut. Returns at once; thread-safe; idempotent.
  void stop();
  // Blocks until every worker has returned, i.e. until stop() has completed.
  void wait();
  void run() {
    start();
    wait();
  }
  // Re-reads the certificate and key; new handshakes use them, established connections keep
  // theirs. On failure the old ones stay in use.
  std::expected<void, std::string> reload_tls();
  // Connections currently open (served and overload ones).
  [[nodiscard]] size_t open_connections() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace attestd::server
