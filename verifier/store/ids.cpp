// Random identifiers.
#include "ids.h"

#include <openssl/rand.h>

#include <array>

#include "attestd/evidence/digest.h"

namespace attestd::store::sqlite {

std::string to_hex(std::span<const uint8_t> bytes) { return evidence::to_hex(bytes); }

Result<std::string> new_id() {
  std::array<uint8_t, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return std::unexpected(StoreError{StoreErrorCode::internal, "RAND_bytes failed"});
  }
  return to_hex(raw);
}

}  // namespace attestd::store::sqlite
