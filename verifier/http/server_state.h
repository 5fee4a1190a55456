// What the listener and its sessions share. Owned by Server::Impl, which outlives every session
// (the io_context, and with it every pending handler, is destroyed first).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "attestd/server/config.h"
#include "attestd/server/metrics.h"
#include "attestd/server/request_id.h"
#include "attestd/server/router.h"
#include "tls_context.h"

namespace attestd::server::detail {

class Session;

struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& r);
  Family<Counter>& requests;
  Family<Histogram>& latency;
  Gauge& open_connections;
  Family<Counter>& refused_connections;
  Counter& handshake_failures;
  Family<Counter>& tls_reloads;
};

struct ServerState {
  ServerState(Config c, std::shared_ptr<const Router> r, std::shared_ptr<MetricsRegistry> m,
              std::shared_ptr<RequestIdSource> ids, std::shared_ptr<ssl::context> tls_context)
      : config(std::move(c)),
        router(std::move(r)),
        metrics_registry(std::move(m)),
        request_ids(std::move(ids)),
        tls(std::move(tls_context)),
        metrics(*metrics_registry) {}

  const Config config;
  // Where handlers run (Server::Impl owns it; it outlives every session's pending handler).
  net::thread_pool* handler_pool = nullptr;
  const std::shared_ptr<const Router> router;
  const std::shared_ptr<MetricsRegistry> metrics_registry;
  const std::shared_ptr<RequestIdSource> request_ids;
  TlsContextStore tls;
  ServerMetrics metrics;

  std::atomic<bool> stopping{false};
  std::atomic<size_t> served_connections{0};    // counted against max_connections
  std::atomic<size_t> overload_connections{0};  // being answered 503
  std::atomic<size_t> pending_requests{0};      // in the handler pool, counted against max_pending_requests

  // Live sessions, so that stop() can close the idle ones. Sessions add themselves once
  // started and remove themselves in their destructor.
  std::mutex sessions_mutex;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;
  // Called (from any thread) when the last session of a stopping server has gone.
  std::function<void()> on_drained;

  void add_session(const std::shared_ptr<Session>& s);
  void remove_session(const Session* s, bool overload);
};

}  // namespace attestd::server::detail
