#include "attestd/server/server.h"

#include <thread>
#include <vector>

#include <fmt/format.h>

#include "beast.h"
#include "server_state.h"
#include "session.h"
#include "tls_context.h"

namespace attestd::server {

using namespace detail;  // NOLINT: the Beast aliases

namespace detail {

ServerMetrics::ServerMetrics(MetricsRegistry& r)
    : requests(r.counter_family("attestd_http_requests_total", "HTTP requests answered, by route pattern, method and status",
                                {"route", "method", "status"})),
      latency(r.histogram_family("attestd_http_request_duration_seconds",
                                 "Time from a request's header to its response being queued, by route pattern", {"route"})),
      open_connections(r.gauge("attestd_http_open_connections", "TLS connections open now")),
      refused_connections(r.counter_family("attestd_http_refused_connections_total",
                                           "Connections refused at the connection limit: answered 503 or closed at once",
                                           {"how"})),
      handshake_failures(r.counter("attestd_tls_handshake_failures_total",
                                   "TLS handshakes that failed (old protocol, no shared cipher, timeout, ...)")),
      tls_reloads(r.counter_family("attestd_tls_reloads_total", "Certificate reloads, by result", {"result"})) {}

void ServerState::add_session(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(s.get(), s);
}

void ServerState::remove_session(const Session* s, bool overload) {
  bool drained = false;
  {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(s);
    drained = sessions.empty();
  }
  (overload ? overload_connections : served_connections).fetch_sub(1);
  metrics.open_connections.add(-1);
  if (drained && stopping.load() && on_drained) on_drained();
}

}  // namespace detail

struct Server::Impl {
  Impl(Config config, ServerDeps deps, std::shared_ptr<ssl::context> tls)
      : state(std::move(config), std::move(deps.router), std::move(deps.metrics), std::move(deps.request_ids),
              std::move(tls)),
        handler_pool(handler_threads(state.config)),
        acceptor(net::make_strand(ioc)),
        grace_timer(acceptor.get_executor()),
        retry_timer(acceptor.get_executor()) {
    state.handler_pool = &handler_pool;
  }

  static size_t handler_threads(const Config& c) {
    if (c.handler_threads != 0) return c.handler_threads;
    return 16 * std::max(1U, std::thread::hardware_concurrency());
  }

  // Declared first, destroyed last: sessions destroyed with the io_context still use it.
  ServerState state;
  net::io_context ioc;
  // After ioc: destroyed (joined) first, so a finishing handler can still post to its session.
  net::thread_pool handler_pool;
  tcp::acceptor acceptor;
  net::steady_timer grace_timer;  // bounds the graceful part of stop()
  net::steady_timer retry_timer;  // backs off after accept errors (EMFILE) instead of spinning
  std::optional<net::signal_set> signals;
  std::vector<std::thread> threads;
  std::atomic<bool> started{false};
  uint16_t bound_port = 0;  // read once after bind: the acceptor is the strand's, not port()'s
  bool shutting_down = false;  // on the acceptor's strand only

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (shutting_down || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: wait a little rather than spin on the same error.
      retry_timer.expires_after(std::chrono::milliseconds(50));
      retry_timer.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    admit(std::move(socket));
    accept();
  }

  // Up to max_connections are served; the next overload_connections get a 503 + Retry-After
  // (which costs a handshake, so it is bounded too); beyond both the socket is closed at once.
  void admit(tcp::socket socket) {
    const Config& c = state.config;
    bool overload = false;
    if (state.served_connections.fetch_add(1) >= c.max_connections) {
      state.served_connections.fetch_sub(1);
      if (state.overload_connections.fetch_add(1) >= c.overload_connections) {
        state.overload_connections.fetch_sub(1);
        state.metrics.refused_connections.with({"closed"}).inc();
        return;  // the socket closes here
      }
      state.metrics.refused_connections.with({"503"}).inc();
      overload = true;
    }
    state.metrics.open_connections.add(1);
    std::make_shared<Session>(std::move(socket), state.tls.current(), state, overload)->start();
  }

  void begin_shutdown() {
    if (shutting_down) return;
    shutting_down = true;
    state.stopping.store(true);
    beast::error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    if (signals) signals->cancel(ignored);

    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(state.sessions_mutex);
      for (auto& [ptr, weak] : state.sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    if (live.empty()) return;  // nothing in flight: the workers run out of work and return
    for (auto& s : live) s->close_if_idle();
    live.clear();  // outside the lock: dropping the last reference runs ~Session, which locks
    grace_timer.expires_after(state.config.shutdown_grace);
    grace_timer.async_wait([this](beast::error_code e) {
      if (e) return;  // cancelled: everything finished in time
      fmt::print(stderr, "attestd: shutdown grace of {} ms over, closing remaining connections\n",
                 state.config.shutdown_grace.count());
      ioc.stop();
    });
  }

  void watch_signals() {
    signals->async_wait([this](beast::error_code ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        auto r = reload();
        if (r) {
          fmt::print(stderr, "attestd: SIGHUP: TLS certificate reloaded\n");
        } else {
          fmt::print(stderr, "attestd: SIGHUP: TLS reload failed, keeping the old certificate: {}\n", r.error());
        }
        watch_signals();
        return;
      }
      fmt::print(stderr, "attestd: signal {}: stopping\n", signo);
      begin_shutdown();
    });
  }

  std::expected<void, std::string> reload() {
    auto ctx = make_server_tls_context(state.config.tls_certificate, state.config.tls_private_key,
                                       state.config.request_client_certificates);
    if (!ctx) {
      state.metrics.tls_reloads.with({"failure"}).inc();
      return std::unexpected(ctx.error());
    }
    state.tls.replace(std::move(*ctx));
    state.metrics.tls_reloads.with({"success"}).inc();
    return {};
  }
};

std::expected<std::unique_ptr<Server>, std::string> Server::create(const Config& config, ServerDeps deps) {
  if (!deps.router) return std::unexpected("server: no router");
  if (!deps.metrics) return std::unexpected("server: no metrics registry");
  if (!deps.request_ids) deps.request_ids = make_random_request_ids();
  auto tls = make_server_tls_context(config.tls_certificate, config.tls_private_key,
                                     config.request_client_certificates);
  if (!tls) return std::unexpected(tls.error());
  const bool handle_signals = deps.handle_signals;
  auto impl = std::make_unique<Impl>(config, std::move(deps), std::move(*tls));

  beast::error_code ec;
  auto address = net::ip::make_address(config.listen.host, ec);
  if (ec) return std::unexpected(fmt::format("listen address '{}': not an IP address", config.listen.host));
  tcp::endpoint endpoint(address, config.listen.port);
  auto& a = impl->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return std::unexpected(fmt::format("socket: {}", ec.message()));
  // A restart must not wait for TIME_WAIT connections of the previous process to expire.
  if (a.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return std::unexpected(fmt::format("SO_REUSEADDR: {}", ec.message()));
  }
  if (a.bind(endpoint, ec); ec) {
    return std::unexpected(fmt::format("bind {}:{}: {}", config.listen.host, config.listen.port, ec.message()));
  }
  if (a.listen(net::socket_base::max_listen_connections, ec); ec) {
    return std::unexpected(fmt::format("listen: {}", ec.message()));
  }
  impl->bound_port = a.local_endpoint(ec).port();
  if (ec) return std::unexpected(fmt::format("local address: {}", ec.message()));
  if (handle_signals) {
    impl->signals.emplace(impl->acceptor.get_executor(), SIGTERM, SIGINT, SIGHUP);
  }
  Impl* raw = impl.get();
  impl->state.on_drained = [raw] {
    net::post(raw->acceptor.get_executor(), [raw] { raw->grace_timer.cancel(); });
  };
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
  if (!impl_->started.load()) {
    // Never started: run the posted shutdown so the acceptor closes in order.
    impl_->ioc.run();
  }
  wait();
  // Sessions still queued in the io_context (after a forced stop) are destroyed with it, after
  // the acceptor's strand is gone: they must not post to it.
  impl_->state.on_drained = nullptr;
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::start() {
  if (impl_->started.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    if (impl->shutting_down) return;
    impl->accept();
    if (impl->signals) impl->watch_signals();
  });
  unsigned n = impl_->state.config.threads;
  if (n == 0) n = std::max(1U, std::thread::hardware_concurrency());
  impl_->threads.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] {
      for (;;) {
        try {
          impl->ioc.run();
          return;
        } catch (const std::exception& e) {
          // Handlers do not throw by design (the router catches); should something below them
          // throw, keep the worker rather than lose a thread for good.
          fmt::print(stderr, "attestd: worker caught: {}\n", e.what());
        }
      }
    });
  }
}

void Server::stop() {
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->begin_shutdown(); });
}

void Server::wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  // The I/O workers return only when no handler is pending (each holds a work guard), unless a
  // forced stop cut the grace short; either way no handler may outlive the server.
  impl_->handler_pool.join();
}

std::expected<void, std::string> Server::reload_tls() { return impl_->reload(); }

size_t Server::open_connections() const {
  return impl_->state.served_connections.load() + impl_->state.overload_connections.load();
}

}  // namespace attestd::server
