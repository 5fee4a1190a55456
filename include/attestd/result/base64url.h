// base64url without padding, the encoding of every JOSE part (RFC 7515 §2, RFC 4648 §5).
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::result {

using Error = attestd::evidence::Error;

// Encodes data with the URL-safe alphabet and no '=' padding.
std::string base64url_encode(std::span<const uint8_t> data);
std::string base64url_encode(std::string_view data);

// Decodes strictly: only [A-Za-z0-9_-]; no padding, whitespace or '+' '/'; a length of 4k+1 is
// impossible; the unused low bits of the last character must be zero, so that every byte string
// has exactly one encoding (otherwise two different tokens could carry the same signature bytes).
// Fails with base64url.invalid naming the offending position.
std::expected<std::vector<uint8_t>, Error> base64url_decode(std::string_view text);

}  // namespace attestd::result
