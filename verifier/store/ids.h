// Random identifiers for stored objects.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "attestd/store/error.h"

namespace attestd::store::sqlite {

// 128 random bits from OpenSSL's CSPRNG as 32 lower-case hex characters. Random rather than
// sequential so that an id reveals nothing about other tenants' objects or their number.
// Fails with internal only when RAND_bytes does.
Result<std::string> new_id();

// Lower-case hex of `bytes`.
std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace attestd::store::sqlite
