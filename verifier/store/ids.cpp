// Random identifiers.
#include "ids.h"

#include <openssl/rand.h>

#include <array>

namespace attestd::store::sqlite {

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Result<std::string> new_id() {
  std::array<uint8_t, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return std::unexpected(StoreError{StoreErrorCode::internal, "RAND_bytes failed"});
  }
  return to_hex(raw);
}

}  // namespace attestd::store::sqlite
