// Byte fields in API bodies: base64 strings in JSON, byte strings in CBOR.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/server/problem.h"

namespace attestd::service {

using Bytes = std::vector<uint8_t>;

// Standard base64 (RFC 4648 §4) with padding; strict: no whitespace, no URL alphabet.
std::optional<Bytes> base64_decode(std::string_view text);
std::string base64_encode(std::span<const uint8_t> bytes);

// The field `key` of `object` as bytes: a CBOR byte string, or a base64 string in JSON. A
// missing optional field is nullopt; a missing required one or a bad value is a 400 problem.
std::expected<std::optional<Bytes>, server::Problem> bytes_field(const nlohmann::json& object, std::string_view key,
                                                                 bool required);
// A required string field.
std::expected<std::string, server::Problem> string_field(const nlohmann::json& object, std::string_view key);

// 400 problem for a body that does not have the documented shape.
server::Problem bad_body(std::string detail);

}  // namespace attestd::service
