// The one route table of attestd and the dispatcher over it.
//
// Every route is declared once, with the roles it admits, in the table given to Router::create;
// the router enforces authentication and roles before any handler runs, so authorization lives
// in one place (issue 8) and routes() lets a test enumerate exactly what is served.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "attestd/server/authenticator.h"
#include "attestd/server/problem.h"
#include "attestd/server/request.h"
#include "attestd/server/response.h"
#include "attestd/server/role.h"

namespace attestd::server {

// Handlers run on a worker thread, concurrently with each other; they answer a Response or a
// Problem (rendered as problem+json with the request id). An exception escaping a handler is a
// bug: the router answers 500 without its text and logs it.
using HandlerResult = std::expected<Response, Problem>;
using Handler = std::function<HandlerResult(const Request&)>;

struct Route {
  Method method = Method::get;
  std::string pattern;  // "/v1/hosts/{id}/enrollment/{eid}": literal segments and {name} params
  Access access;        // Access::anyone() or Access::roles({...}); default admits nobody
  Handler handler;
};

struct RouterOptions {
  // Required for any non-public route; without one such routes answer 401 (fail closed).
  std::shared_ptr<Authenticator> authenticator;
  std::shared_ptr<AuthFailureObserver> auth_failure_observer;  // optional
};

class Router {
 public:
  // Checks the table: patterns well formed ("/"-separated, non-empty segments, params named
  // with [A-Za-z0-9_]), every route has a handler, and no two routes of one method match the
  // same paths. Fails with a message naming the route.
  static std::expected<Router, std::string> create(std::vector<Route> routes, RouterOptions options);

  // The table, in declaration order.
  [[nodiscard]] std::span<const Route> routes() const { return routes_; }

  // Answers `request`: 404 when no pattern matches its path, 405 with Allow when only other
  // methods do, 401/403/429 when the route's access refuses the caller, else the handler's
  // answer. Fills request.path_params, request.principal and request.route_pattern. Never throws.
  [[nodiscard]] Response dispatch(Request& request) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Compiled {
    std::vector<Segment> segments;
  };

  Router(std::vector<Route> routes, std::vector<Compiled> compiled, RouterOptions options);
  bool match(const Compiled& c, std::span<const std::string_view> parts, Fields* params) const;
  Response refuse(Request& request, const AuthFailure& failure) const;
  Response run_handler(const Route& route, Request& request) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  RouterOptions options_;
};

// The answer for a problem: problem+json with the request id; 401/405/429/503 headers are the
// caller's to add.
Response problem_response(const Problem& problem, std::string_view request_id);

}  // namespace attestd::server
