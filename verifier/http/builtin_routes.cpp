#include "attestd/server/builtin_routes.h"

namespace attestd::server {

std::vector<Route> builtin_routes(const BuiltinRouteOptions& options) {
  std::vector<Route> routes;
  routes.push_back({Method::get, "/healthz", Access::anyone(), [](const Request&) -> HandlerResult {
                      // Liveness only: if a worker can run this, the process serves.
                      return Response::json(200, {{"status", "ok"}});
                    }});
  routes.push_back({Method::get, "/readyz", Access::anyone(), [ready = options.ready](const Request&) -> HandlerResult {
                      if (!ready || ready()) return Response::json(200, {{"status", "ready"}});
                      Problem p = Problem::make(503, "service.not_ready", "the service is not ready yet");
                      return std::unexpected(std::move(p));
                    }});
  routes.push_back({Method::get, "/metrics", options.metrics_access,
                    [metrics = options.metrics](const Request&) -> HandlerResult {
                      if (!metrics) return Response::text(200, "");
                      return Response::text(200, metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
                    }});
  return routes;
}

}  // namespace attestd::server
