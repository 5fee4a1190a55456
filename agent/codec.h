// Byte encodings the agent speaks: base64 (the service's JSON bytes), base64url without padding
// (JOSE) and lower-case hex (nonces, PCR values). Decoders return nullopt on any malformed input.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attestd::agent {

using Bytes = std::vector<uint8_t>;

std::string base64_encode(std::span<const uint8_t> bytes);
std::optional<Bytes> base64_decode(std::string_view text);
std::string base64url_encode(std::span<const uint8_t> bytes);
// RFC 7515 §2: no padding, no whitespace; any other character fails.
std::optional<Bytes> base64url_decode(std::string_view text);
std::string to_hex(std::span<const uint8_t> bytes);
std::optional<Bytes> from_hex(std::string_view text);

}  // namespace attestd::agent
