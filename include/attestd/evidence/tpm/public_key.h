// Public keys of TPM objects (AKs, EKs): decoded from TPM2B_PUBLIC / TPMT_PUBLIC through
// libtss2-mu (TPM 2.0 Part 2, Tables 191/192), or from PEM / DER SubjectPublicKeyInfo, into an
// OpenSSL EVP_PKEY that is built once and reused for every verification.
//
// Supported: RSA 2048..4096 bits and ECC NIST P-256 / P-384. Anything else is refused with
// tpm.key.unsupported naming what it was.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/tpm/signature.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::tpm {

enum class KeyType { rsa, ecc };
enum class EccCurve { p256, p384 };

// TPMA_OBJECT bits (TPM 2.0 Part 2, Table 31) that verifiers look at.
inline constexpr uint32_t kObjectFixedTpm = 1u << 1;
inline constexpr uint32_t kObjectFixedParent = 1u << 4;
inline constexpr uint32_t kObjectSensitiveDataOrigin = 1u << 5;
inline constexpr uint32_t kObjectRestricted = 1u << 16;
inline constexpr uint32_t kObjectDecrypt = 1u << 17;
inline constexpr uint32_t kObjectSign = 1u << 18;

// The signing scheme a TPM key is bound to (TPMT_RSA_SCHEME / TPMT_ECC_SCHEME not TPM_ALG_NULL).
struct KeyScheme {
  SigScheme scheme;
  HashAlg hash;
  friend bool operator==(const KeyScheme&, const KeyScheme&) = default;
};

class PublicKey {
 public:
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;
  ~PublicKey();

  // The key, owned by this object; valid while it lives. Never null.
  [[nodiscard]] EVP_PKEY* evp() const;
  [[nodiscard]] KeyType type() const;
  // Modulus size for RSA, field size for ECC (256 / 384).
  [[nodiscard]] uint32_t bits() const;
  // Set for ECC keys.
  [[nodiscard]] std::optional<EccCurve> curve() const;
  // nameAlg of the TPMT_PUBLIC; nullopt when loaded from PEM/DER or when nameAlg is TPM_ALG_NULL.
  [[nodiscard]] std::optional<HashAlg> name_alg() const;
  // TPM Name = nameAlg (u16 BE) || H_nameAlg(marshalled TPMT_PUBLIC) (Part 1, 16). Empty when the
  // key came from PEM/DER. Borrowed: lives as long as this object.
  [[nodiscard]] std::span<const uint8_t> name() const;
  // TPMA_OBJECT; nullopt when loaded from PEM/DER.
  [[nodiscard]] std::optional<uint32_t> object_attributes() const;
  // The signing scheme the TPMT_PUBLIC fixes, if any. verify_signature refuses any other.
  [[nodiscard]] std::optional<KeyScheme> scheme() const;
  // True when decoded from TPM2B_PUBLIC / TPMT_PUBLIC.
  [[nodiscard]] bool from_tpm() const;

  struct Impl;

 private:
  explicit PublicKey(std::unique_ptr<Impl> impl);
  friend struct PublicKeyAccess;
  std::unique_ptr<Impl> impl_;
};

// Decodes a TPM2B_PUBLIC (as `tpm2_createak -u` writes it). The size prefix must equal the
// TPMT_PUBLIC it wraps and every byte must be consumed.
// Fails with tpm.key.malformed, tpm.key.trailing_bytes, tpm.key.unsupported or tpm.key.invalid.
std::expected<PublicKey, Error> parse_tpm2b_public(std::span<const uint8_t> bytes);
// Decodes a TPMT_PUBLIC; same failures.
std::expected<PublicKey, Error> parse_tpmt_public(std::span<const uint8_t> bytes);
// A "-----BEGIN PUBLIC KEY-----" PEM block (SubjectPublicKeyInfo); only whitespace may follow it.
std::expected<PublicKey, Error> parse_public_key_pem(std::string_view pem);
// A DER SubjectPublicKeyInfo; every byte must be consumed.
std::expected<PublicKey, Error> parse_public_key_der(std::span<const uint8_t> der);
// An RSA key from its big-endian modulus and public exponent (a JWK's n and e, decoded).
std::expected<PublicKey, Error> parse_public_key_rsa(std::span<const uint8_t> modulus,
                                                     std::span<const uint8_t> exponent);
// Detects the form and decodes: PEM, TPM2B_PUBLIC (its u16 prefix equals the remaining size),
// DER SubjectPublicKeyInfo (starts with a SEQUENCE tag, which no TPM2B_PUBLIC or TPMT_PUBLIC
// can), else TPMT_PUBLIC. Failures as for the form detected.
std::expected<PublicKey, Error> load_public_key(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::tpm
