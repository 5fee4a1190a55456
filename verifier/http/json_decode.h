// JSON text into the nlohmann::json model the handlers use, parsed by simdjson: an attestation
// body is ~40 KB, mostly base64, and nlohmann's character-at-a-time lexer spent ~170 µs on it
// (a fifth of the server's CPU per attestation) where simdjson and the conversion take ~27 µs.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attestd::server::detail {

struct JsonDecodeError {
  bool too_deep = false;  // nested deeper than allowed (else malformed)
  std::string message;    // for the client
};

// One JSON document (RFC 8259) nested at most `max_depth` arrays/objects deep; simdjson checks
// the depth without recursing, so no pre-scan is needed. Stricter than nlohmann's parser where
// the difference matters for security: a duplicate object key is an error (two parsers reading
// one body differently is how signed and checked values part ways), and so are integers beyond
// 64 bits.
std::expected<nlohmann::json, JsonDecodeError> decode_json(std::string_view text, size_t max_depth);

}  // namespace attestd::server::detail
