// Fixed keys shared by the TPM fuzz targets, so that every accepted input also runs through
// signature verification. They are generated once per process: nothing a fuzzer produces can be
// a valid signature by them, which is a property the targets assert.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "attestd/evidence/tpm/public_key.h"

namespace attestd::evidence::tpm::fuzz {

// Aborts so that libFuzzer records the input: a property the code promises does not hold.
inline void check(bool property) {
  if (!property) std::abort();
}

inline PublicKey make_key(const char* type, const char* group_or_null, size_t bits) {
  EVP_PKEY* pkey = group_or_null != nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, group_or_null)
                                            : EVP_PKEY_Q_keygen(nullptr, nullptr, type, bits);
  check(pkey != nullptr);
  const int len = i2d_PUBKEY(pkey, nullptr);
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_PUBKEY(pkey, &p);
  EVP_PKEY_free(pkey);
  auto key = parse_public_key_der(der);
  check(key.has_value());
  return std::move(*key);
}

inline const PublicKey& rsa_key() {
  static const PublicKey key = make_key("RSA", nullptr, 2048);
  return key;
}

inline const PublicKey& ecc_key() {
  static const PublicKey key = make_key("EC", "P-256", 0);
  return key;
}

}  // namespace attestd::evidence::tpm::fuzz
