// The routes every attestd serves whatever the business API: /healthz, /readyz, /metrics.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "attestd/server/metrics.h"
#include "attestd/server/role.h"
#include "attestd/server/router.h"

namespace attestd::server {

struct BuiltinRouteOptions {
  std::shared_ptr<MetricsRegistry> metrics;  // required for /metrics
  // /readyz answers 200 when this says true (for example: database open and migrated), 503
  // otherwise; unset means always ready.
  std::function<bool()> ready;
  // /metrics is public by default: it holds aggregate counts only and the default listener is
  // loopback. A deployment can restrict it to a role.
  Access metrics_access = Access::anyone();
};

// GET /healthz (200 while the process serves), GET /readyz, GET /metrics (Prometheus text).
std::vector<Route> builtin_routes(const BuiltinRouteOptions& options);

}  // namespace attestd::server
