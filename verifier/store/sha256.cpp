// SHA-256 through OpenSSL's EVP interface.
#include "sha256.h"

#include <openssl/evp.h>

namespace attestd::store::sqlite {

Result<Sha256> sha256(std::span<const uint8_t> data) {
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    return std::unexpected(StoreError{StoreErrorCode::internal, "SHA-256 failed"});
  }
  return out;
}

}  // namespace attestd::store::sqlite
