// Internal: the state behind PublicKey, shared by public_key.cpp (which builds it) and
// signature.cpp (which verifies with it).
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "attestd/evidence/tpm/public_key.h"
#include "ossl.h"

namespace attestd::evidence::tpm {

// One prepared verification context per (scheme, hash): EVP_PKEY_verify_init with padding,
// digest and salt length set. A verification duplicates it (EVP_PKEY_CTX_dup takes a const
// context, so concurrent duplication is safe), which avoids the provider fetches and parameter
// parsing that a fresh context costs on every call.
inline constexpr size_t kSchemeSlots = 3;  // rsassa, rsapss, ecdsa
inline constexpr size_t kHashSlots = 4;    // sha1, sha256, sha384, sha512
inline constexpr size_t kVerifySlots = kSchemeSlots * kHashSlots;

struct PublicKey::Impl {
  detail::PkeyPtr pkey;
  KeyType type = KeyType::rsa;
  uint32_t bits = 0;
  std::optional<EccCurve> curve;
  std::optional<HashAlg> name_alg;
  std::vector<uint8_t> name;
  std::optional<uint32_t> attributes;
  std::optional<KeyScheme> scheme;
  bool from_tpm = false;

  // Built lazily, once per slot, then only read.
  mutable std::array<std::once_flag, kVerifySlots> verify_once;
  mutable std::array<detail::PkeyCtxPtr, kVerifySlots> verify_template;
};

struct PublicKeyAccess {
  static const PublicKey::Impl& impl(const PublicKey& key) { return *key.impl_; }
  static PublicKey make(std::unique_ptr<PublicKey::Impl> impl) { return PublicKey(std::move(impl)); }
};

}  // namespace attestd::evidence::tpm
