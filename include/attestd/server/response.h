// What a handler answers. The server adds Content-Length, X-Request-Id, Date and Connection.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace attestd::server {

struct Request;

struct Response {
  int status = 200;
  std::string content_type;  // empty means no Content-Type header (and normally no body)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, sent as given

  static Response json(int status, const nlohmann::json& value);
  static Response cbor(int status, const nlohmann::json& value);
  // CBOR when the request's Accept lists application/cbor, JSON otherwise.
  static Response negotiated(const Request& request, int status, const nlohmann::json& value);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);

  Response& with_header(std::string name, std::string value) & {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Response&& with_header(std::string name, std::string value) && {
    headers.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  // The value of an extra header (case-insensitive), "" if absent.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

}  // namespace attestd::server
