// Internal: the error helpers every SPDM parser shares, so that a short read is always reported
// as spdm.parse.truncated naming the message and field, and leftovers as spdm.parse.trailing_bytes.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/spdm/constants.h"
#include "attestd/evidence/spdm/reasons.h"

namespace attestd::evidence::spdm::detail {

inline std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

inline std::unexpected<Error> truncated(std::string_view message_name, std::string_view field, size_t offset) {
  return fail(kParseTruncated, fmt::format("{} ends at byte {} before {}", message_name, offset, field));
}

inline std::unexpected<Error> trailing(std::string_view what, size_t used, size_t size) {
  return fail(kParseTrailingBytes, fmt::format("{} ends at byte {} of {}", what, used, size));
}

// The 4-byte header (DSP0274 clause 9, Table 3).
struct Header {
  uint8_t version = 0;
  uint8_t code = 0;
  uint8_t param1 = 0;
  uint8_t param2 = 0;
};

// Reads the header and checks the code; the version is left to the caller (GET_VERSION and
// VERSION are always 1.0, the rest carry the negotiated version).
inline std::expected<Header, Error> read_header(ByteReader& r, std::string_view message_name, uint8_t want_code) {
  Header h;
  const size_t at = r.position();
  if (!r.read_u8(h.version) || !r.read_u8(h.code) || !r.read_u8(h.param1) || !r.read_u8(h.param2)) {
    return truncated(message_name, "the end of the 4-byte header", at + r.remaining());
  }
  if (h.code != want_code) {
    return fail(kParseWrongCode, fmt::format("{}: RequestResponseCode 0x{:02x}, expected 0x{:02x}", message_name,
                                             h.code, want_code));
  }
  return h;
}

inline std::expected<void, Error> check_version(uint8_t version, std::string_view message_name) {
  if (!is_supported_version(version)) {
    return fail(kParseUnsupportedVersion,
                fmt::format("{}: SPDMVersion 0x{:02x} is not 1.0 .. 1.3", message_name, version));
  }
  return {};
}

}  // namespace attestd::evidence::spdm::detail
