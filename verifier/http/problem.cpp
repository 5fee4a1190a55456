#include "attestd/server/problem.h"

#include <nlohmann/json.hpp>

namespace attestd::server {

Problem Problem::make(int status, std::string reason_id, std::string detail) {
  Problem p;
  p.status = status;
  p.title = std::string(status_phrase(status));
  p.detail = detail;
  p.reasons.push_back({std::move(reason_id), std::move(detail)});
  return p;
}

std::string_view status_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string render_problem_json(const Problem& problem, std::string_view request_id) {
  nlohmann::json j = {
      {"type", problem.type.empty() ? std::string("about:blank") : problem.type},
      {"title", problem.title.empty() ? std::string(status_phrase(problem.status)) : problem.title},
      {"status", problem.status},
  };
  if (!problem.detail.empty()) j["detail"] = problem.detail;
  if (!problem.reasons.empty()) {
    nlohmann::json reasons = nlohmann::json::array();
    for (const auto& r : problem.reasons) reasons.push_back({{"id", r.id}, {"message", r.message}});
    j["reasons"] = std::move(reasons);
  }
  if (!request_id.empty()) j["request_id"] = request_id;
  // Messages may quote hostile bytes: replace invalid UTF-8 instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace attestd::server
