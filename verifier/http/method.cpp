#include "attestd/server/request.h"

namespace attestd::server {

std::string_view to_string(Method method) {
  switch (method) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::delete_: return "DELETE";
    case Method::options: return "OPTIONS";
  }
  return "UNKNOWN";
}

// Methods are case-sensitive (RFC 9110 §9.1).
std::optional<Method> parse_method(std::string_view name) {
  for (Method m : kAllMethods) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

}  // namespace attestd::server
