// Shared by the SPDM fuzz targets: a property check that aborts (so libFuzzer reports it) and a
// key that never signed anything.
#pragma once

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace attestd::fuzz {

inline void check(bool ok, const char* what = "property violated") {
  if (!ok) {
    std::fprintf(stderr, "%s\n", what);
    std::abort();
  }
}

// An ECDSA P-384 key generated once per process: no input can carry a valid signature by it.
inline EVP_PKEY* unrelated_p384_key() {
  static char curve[] = "P-384";
  static EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  return key;
}

}  // namespace attestd::fuzz
