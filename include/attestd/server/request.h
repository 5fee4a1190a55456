// The request a handler sees: everything the server core parsed, nothing of the transport.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/server/principal.h"
#include "attestd/server/problem.h"

namespace attestd::server {

enum class Method : uint8_t { get, head, post, put, patch, delete_, options };

inline constexpr Method kAllMethods[] = {Method::get,   Method::head,    Method::post,   Method::put,
                                         Method::patch, Method::delete_, Method::options};

std::string_view to_string(Method method);  // "GET", "DELETE", ...
std::optional<Method> parse_method(std::string_view name);

using Fields = std::vector<std::pair<std::string, std::string>>;

// The client certificate the peer presented in the TLS handshake (issue 8). OpenSSL has checked
// that the peer holds its key (CertificateVerify), nothing else: no chain, no CA. Whether it is a
// credential is the authenticator's decision, by its fingerprint.
struct PeerCertificate {
  std::array<uint8_t, 32> der_sha256{};            // SHA-256 of the certificate's DER
  std::chrono::system_clock::time_point not_after;  // its notAfter

  friend bool operator==(const PeerCertificate&, const PeerCertificate&) = default;
};

struct Request {
  Method method = Method::get;
  std::string target;  // as received: path and query, still percent-encoded
  std::string path;    // the path part of target, still percent-encoded
  Fields path_params;  // {name} segments of the matched route, percent-decoded
  Fields query;        // query parameters in order, percent-decoded ('+' is a space)
  Fields headers;      // names lower-cased, values as received, in order
  std::string body;    // raw bytes
  std::string content_type;  // media type of the body, lower-cased, parameters dropped
  std::string client_address;  // peer IP address as text
  uint16_t client_port = 0;
  std::optional<PeerCertificate> client_certificate;  // computed once per connection
  std::string request_id;  // random, also sent back as the X-Request-Id header
  std::optional<Principal> principal;  // set by the router for non-public routes
  std::string_view route_pattern;      // the matched route's pattern, "" when none matched
  size_t max_nesting_depth = 64;       // limit for body_json(): deep nesting would blow the stack

  // The first header of that name (case-insensitive), nullopt if absent.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  // The {name} path parameter; nullopt if the route has none of that name.
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
  // The first query parameter of that name; nullopt if absent.
  [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;

  // The body as one JSON model whatever its encoding: application/json (or any +json) is parsed
  // as JSON, application/cbor is decoded with nlohmann::json::from_cbor (byte strings become
  // binary values). Fails with 415 for other content types, 400 for malformed or too deeply
  // nested bodies (reason ids http.body.*).
  [[nodiscard]] std::expected<nlohmann::json, Problem> body_json() const;

  // True when the client listed application/cbor in Accept: handlers answer in kind.
  [[nodiscard]] bool accepts_cbor() const;
};

// Splits a raw target into path and decoded query parameters; used by the session, public for tests.
void split_target(std::string_view target, std::string& path, Fields& query);
// Percent-decodes; nullopt on a malformed escape. With plus_is_space, '+' becomes ' ' (query).
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace attestd::server
