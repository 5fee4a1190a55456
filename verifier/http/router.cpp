#include "attestd/server/router.h"

#include <algorithm>
#include <exception>
#include <set>

#include <fmt/format.h>

namespace attestd::server {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" into {}. nullopt when the path does not start with
// '/' or has an empty segment ("//", trailing "/"): such paths match no route.
std::optional<std::vector<std::string_view>> split_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string_view> parts;
  if (path.size() == 1) return parts;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty()) return std::nullopt;
    parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool valid_param_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_literal(std::string_view text) {
  return std::ranges::none_of(text, [](char c) {
    return c == '{' || c == '}' || c == '?' || c == '#' || c == '%' || c == ' ';
  });
}

}  // namespace

Response problem_response(const Problem& problem, std::string_view request_id) {
  return Response{problem.status, "application/problem+json", render_problem_json(problem, request_id), {}};
}

std::expected<Router, std::string> Router::create(std::vector<Route> routes, RouterOptions options) {
  std::vector<Compiled> compiled;
  std::set<std::pair<Method, std::string>> shapes;
  for (const Route& route : routes) {
    auto where = fmt::format("route {} {}", to_string(route.method), route.pattern);
    if (!route.handler) return std::unexpected(where + ": no handler");
    auto parts = split_path(route.pattern);
    if (!parts) return std::unexpected(where + ": pattern must be '/' or '/'-separated non-empty segments");
    Compiled c;
    std::string shape;
    std::set<std::string_view> names;
    for (std::string_view part : *parts) {
      if (part.front() == '{') {
        if (part.back() != '}') return std::unexpected(where + ": unterminated parameter");
        std::string_view name = part.substr(1, part.size() - 2);
        if (!valid_param_name(name)) return std::unexpected(where + ": parameter names are [A-Za-z0-9_]+");
        if (!names.insert(name).second) return std::unexpected(where + ": parameter named twice");
        c.segments.push_back({std::string(name), true});
        shape += "/{}";
      } else {
        if (!valid_literal(part)) return std::unexpected(where + ": literal segments may not hold {}?#% or spaces");
        c.segments.push_back({std::string(part), false});
        shape += '/';
        shape += part;
      }
    }
    // Two routes of one method with the same literals at the same places would match the same
    // paths, and which one wins would depend on the order of the table.
    if (!shapes.emplace(route.method, shape).second) {
      return std::unexpected(where + ": another route of this method matches the same paths");
    }
    compiled.push_back(std::move(c));
  }
  return Router(std::move(routes), std::move(compiled), std::move(options));
}

Router::Router(std::vector<Route> routes, std::vector<Compiled> compiled, RouterOptions options)
    : routes_(std::move(routes)), compiled_(std::move(compiled)), options_(std::move(options)) {}

bool Router::match(const Compiled& c, std::span<const std::string_view> parts, Fields* params) const {
  if (c.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& s = c.segments[i];
    if (!s.is_param) {
      if (s.text != parts[i]) return false;
    } else if (params != nullptr) {
      auto value = percent_decode(parts[i], false);
      if (!value) return false;
      params->emplace_back(s.text, std::move(*value));
    }
  }
  return true;
}

Response Router::refuse(Request& request, const AuthFailure& failure) const {
  if (options_.auth_failure_observer) options_.auth_failure_observer->on_auth_failure(request, failure);
  Response r;
  switch (failure.kind) {
    case AuthFailureKind::missing_credentials:
      r = problem_response(Problem::make(401, failure.reason_id, failure.message), request.request_id);
      r.with_header("WWW-Authenticate", "Bearer realm=\"attestd\"");
      break;
    case AuthFailureKind::invalid_credentials:
      // RFC 6750 §3: error="invalid_token" tells the client its token, not the request, is bad.
      r = problem_response(Problem::make(401, failure.reason_id, failure.message), request.request_id);
      r.with_header("WWW-Authenticate", "Bearer realm=\"attestd\", error=\"invalid_token\"");
      break;
    case AuthFailureKind::rate_limited:
      r = problem_response(Problem::make(429, failure.reason_id, failure.message), request.request_id);
      r.with_header("Retry-After", std::to_string(std::max<long long>(1, failure.retry_after.count())));
      break;
    case AuthFailureKind::forbidden:
      r = problem_response(Problem::make(403, failure.reason_id, failure.message), request.request_id);
      break;
  }
  return r;
}

Response Router::run_handler(const Route& route, Request& request) const {
  try {
    HandlerResult result = route.handler(request);
    if (result) return std::move(*result);
    return problem_response(result.error(), request.request_id);
  } catch (const std::exception& e) {
    // The text may hold internals (SQL, paths): it goes to the log, not to the client.
    fmt::print(stderr, "attestd: handler {} {} threw (request {}): {}\n", to_string(route.method), route.pattern,
               request.request_id, e.what());
  } catch (...) {
    fmt::print(stderr, "attestd: handler {} {} threw a non-exception (request {})\n", to_string(route.method),
               route.pattern, request.request_id);
  }
  return problem_response(Problem::internal("http.internal_error", "the request failed inside the server"),
                          request.request_id);
}

Response Router::dispatch(Request& request) const {
  request.route_pattern = {};
  request.path_params.clear();
  request.principal.reset();

  auto parts = split_path(request.path);
  const Route* best = nullptr;
  const Compiled* best_compiled = nullptr;
  std::set<std::string_view> allowed;
  if (parts) {
    for (size_t i = 0; i < routes_.size(); ++i) {
      if (!match(compiled_[i], *parts, nullptr)) continue;
      allowed.insert(to_string(routes_[i].method));
      if (routes_[i].method != request.method) continue;
      // Precedence: at the first segment where two candidates differ, the literal wins, so
      // /v1/hosts/search beats /v1/hosts/{id} whatever the order of the table.
      if (best_compiled != nullptr) {
        bool better = false;
        for (size_t s = 0; s < parts->size(); ++s) {
          bool a = !compiled_[i].segments[s].is_param;
          bool b = !best_compiled->segments[s].is_param;
          if (a != b) {
            better = a;
            break;
          }
        }
        if (!better) continue;
      }
      best = &routes_[i];
      best_compiled = &compiled_[i];
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) {
      return problem_response(Problem::not_found("http.route.not_found", "no such resource"), request.request_id);
    }
    std::string allow;
    for (std::string_view m : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    Response r = problem_response(
        Problem::make(405, "http.method.not_allowed",
                      fmt::format("{} is not allowed here; allowed: {}", to_string(request.method), allow)),
        request.request_id);
    r.with_header("Allow", allow);
    return r;
  }

  request.route_pattern = best->pattern;
  if (!match(*best_compiled, *parts, &request.path_params)) {
    // Only a malformed percent escape in a parameter gets here.
    return problem_response(Problem::bad_request("http.path.malformed", "malformed percent-escape in the path"),
                            request.request_id);
  }

  if (!best->access.is_public()) {
    if (!options_.authenticator) {
      return refuse(request, {AuthFailureKind::invalid_credentials, "auth.unavailable",
                              "no authenticator is configured", {}});
    }
    std::expected<Principal, AuthFailure> who = [&]() -> std::expected<Principal, AuthFailure> {
      try {
        return options_.authenticator->authenticate(request);
      } catch (const std::exception& e) {
        fmt::print(stderr, "attestd: authenticator threw (request {}): {}\n", request.request_id, e.what());
        return std::unexpected(
            AuthFailure{AuthFailureKind::invalid_credentials, "auth.internal_error", "authentication failed", {}});
      }
    }();
    if (!who) {
      // An authenticator that answers "forbidden" is treated as such; any other kind as given.
      return refuse(request, who.error());
    }
    if (!best->access.admits(who->role)) {
      return refuse(request, {AuthFailureKind::forbidden, "auth.role.forbidden",
                              fmt::format("role '{}' may not call {} {}", to_string(who->role),
                                          to_string(best->method), best->pattern),
                              {}});
    }
    request.principal = std::move(*who);
  }
  return run_handler(*best, request);
}

}  // namespace attestd::server
