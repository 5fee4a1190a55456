#include "attestd/server/response.h"

#include <algorithm>
#include <cctype>

#include "attestd/server/request.h"

namespace attestd::server {

Response Response::json(int status, const nlohmann::json& value) {
  // Text decoded from CBOR is not checked for UTF-8 by nlohmann: replace instead of throwing
  // so that echoing a client's string can never turn into a 500.
  return {status, "application/json", value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

Response Response::cbor(int status, const nlohmann::json& value) {
  std::vector<uint8_t> bytes = nlohmann::json::to_cbor(value);
  return {status, "application/cbor", std::string(bytes.begin(), bytes.end()), {}};
}

Response Response::negotiated(const Request& request, int status, const nlohmann::json& value) {
  return request.accepts_cbor() ? cbor(status, value) : json(status, value);
}

Response Response::text(int status, std::string body, std::string content_type) {
  return {status, std::move(content_type), std::move(body), {}};
}

Response Response::empty(int status) { return {status, {}, {}, {}}; }

std::string_view Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (std::ranges::equal(k, name, [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

}  // namespace attestd::server
