// The agent's ephemeral key pair for key release (DESIGN.md §1): generated in memory with OpenSSL
// for one attestation, bound into the quote through its RFC 7638 thumbprint, used to unwrap the
// released keys, then freed. It is never serialised in private form: no function here can write
// the private half anywhere.
#pragma once

#include <openssl/evp.h>

#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>

#include "codec.h"
#include "error.h"

namespace attestd::agent {

enum class EphemeralKeyType { p256, rsa3072 };

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

class EphemeralKey {
 public:
  // A fresh key pair; fails with agent.key.generate_failed.
  static std::expected<EphemeralKey, Error> generate(EphemeralKeyType type);

  // The public JWK ({"kty","crv","x","y"} or {"kty","n","e"}), as sent in tee_public_key.
  [[nodiscard]] const nlohmann::json& public_jwk() const { return jwk_; }
  // RFC 7638 thumbprint with SHA-256: the raw 32 bytes.
  [[nodiscard]] const Bytes& thumbprint() const { return thumbprint_; }
  [[nodiscard]] EphemeralKeyType type() const { return type_; }
  // The key pair, borrowed: lives as long as this object.
  [[nodiscard]] EVP_PKEY* pkey() const { return key_.get(); }

 private:
  EphemeralKey(Pkey key, EphemeralKeyType type, nlohmann::json jwk, Bytes thumbprint)
      : key_(std::move(key)), type_(type), jwk_(std::move(jwk)), thumbprint_(std::move(thumbprint)) {}
  Pkey key_;
  EphemeralKeyType type_;
  nlohmann::json jwk_;
  Bytes thumbprint_;
};

// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace. Fails
// with jwk.unsupported for anything but EC P-256 / RSA public JWKs.
std::expected<Bytes, Error> jwk_thumbprint(const nlohmann::json& jwk);

// DESIGN.md §1: the bytes the TPM quotes as qualifyingData. With a key, SHA-256(nonce ‖
// thumbprint); without, the nonce itself.
Bytes binding(std::span<const uint8_t> nonce, const EphemeralKey* key);

}  // namespace attestd::agent
