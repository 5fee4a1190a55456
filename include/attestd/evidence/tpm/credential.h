// TPM2_MakeCredential in software: the verifier's half of credential activation (TPM 2.0 Part 1,
// 24 "Credential Protection"; Part 3, 12.6 TPM2_MakeCredential). The host answers with
// TPM2_ActivateCredential (Part 3, 12.5), which only a TPM holding both the EK's private key and
// an object with the given Name (the AK) can do.
//
//   seed       RSA EK: random, nameAlg-digest sized, RSA-OAEP encrypted to the EK with label
//                      "IDENTITY\0" and nameAlg as hash and MGF1 hash (Part 1, B.10.3)
//              ECC EK: one-pass ECDH with an ephemeral key, seed = KDFe(nameAlg, Z, "IDENTITY",
//                      x(ephemeral), x(EK), digest bits) (Part 1, C.6.4; KDFe 11.4.10.3)
//   symKey     = KDFa(nameAlg, seed, "STORAGE", Name(AK), empty, EK symmetric keyBits)  (Part 1, 24.4)
//   encIdentity= AES-CFB(symKey, IV = 0, marshalled TPM2B_DIGEST(secret))               (Part 1, 24.4)
//   HMACkey    = KDFa(nameAlg, seed, "INTEGRITY", empty, empty, digest bits)            (Part 1, 24.5)
//   outerHMAC  = HMAC_nameAlg(HMACkey, encIdentity || Name(AK))                         (Part 1, 24.5)
//   credentialBlob   = TPM2B_ID_OBJECT { TPM2B_DIGEST(outerHMAC) || encIdentity }       (Part 2, TPM2B_ID_OBJECT)
//   encryptedSecret  = TPM2B_ENCRYPTED_SECRET { OAEP ciphertext | marshalled TPMS_ECC_POINT }
//
// Pure functions: randomness is a parameter, there is no I/O.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/tpm/public_key.h"

namespace attestd::evidence::tpm {

// Where random bytes come from; tests give a deterministic one.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills all of `out`; false when no randomness is available.
  [[nodiscard]] virtual bool fill(std::span<uint8_t> out) = 0;
};

// The OpenSSL CSPRNG (RAND_bytes). Thread-safe; lives for the whole process.
RandomSource& system_random();

// An EK public area with what TPM2_MakeCredential needs besides the key: nameAlg, the symmetric
// definition of the storage key, and (ECC) the x coordinate exactly as the TPMT_PUBLIC holds it.
class EkPublic {
 public:
  EkPublic(EkPublic&&) noexcept = default;
  EkPublic& operator=(EkPublic&&) noexcept = default;

  // The public key (type, size, curve, Name, attributes). Borrowed: lives as long as this object.
  [[nodiscard]] const PublicKey& key() const { return key_; }
  [[nodiscard]] HashAlg name_alg() const { return name_alg_; }
  // TPMT_SYM_DEF_OBJECT.keyBits of the AES-CFB symmetric definition (128 or 256).
  [[nodiscard]] uint16_t symmetric_key_bits() const { return sym_key_bits_; }
  // TPMS_ECC_POINT of unique.ecc as marshalled (coordinates without re-padding); empty for RSA.
  [[nodiscard]] std::span<const uint8_t> ecc_x() const { return ecc_x_; }
  [[nodiscard]] std::span<const uint8_t> ecc_y() const { return ecc_y_; }
  // RSA modulus as marshalled; empty for ECC.
  [[nodiscard]] std::span<const uint8_t> rsa_modulus() const { return rsa_n_; }

 private:
  EkPublic(PublicKey key, HashAlg name_alg, uint16_t sym_key_bits) : key_(std::move(key)), name_alg_(name_alg),
                                                                     sym_key_bits_(sym_key_bits) {}
  friend std::expected<EkPublic, Error> parse_ek_public(std::span<const uint8_t> bytes);

  PublicKey key_;
  HashAlg name_alg_;
  uint16_t sym_key_bits_;
  std::vector<uint8_t> ecc_x_, ecc_y_, rsa_n_;
};

// Decodes the EK's TPM2B_PUBLIC (as `tpm2_createek -u` writes it) or bare TPMT_PUBLIC (told apart
// as load_public_key does) and checks what TPM2_MakeCredential needs of it:
//   tpm.key.*                        the public area does not decode / is not RSA 2048-4096, P-256, P-384
//   tpm.ek.no_name_alg               nameAlg is TPM_ALG_NULL
//   tpm.ek.not_storage_key           restricted or decrypt is clear (Part 3, 12.6.1)
//   tpm.ek.unsupported_symmetric     symmetric is not AES-128/192/256-CFB (Part 2, TPMT_SYM_DEF_OBJECT)
// The attributes a verifier wants of an EK beyond that are in enrollment.h.
std::expected<EkPublic, Error> parse_ek_public(std::span<const uint8_t> bytes);

// The two TPM2_MakeCredential outputs, each marshalled with its size prefix as TPM2_ActivateCredential
// takes them (Part 3, 12.5.2).
struct Credential {
  std::vector<uint8_t> credential_blob;   // TPM2B_ID_OBJECT
  std::vector<uint8_t> encrypted_secret;  // TPM2B_ENCRYPTED_SECRET
};

// Computes TPM2_MakeCredential(ek, secret, ak_name) exactly as a TPM would. `ak_name` is the AK's
// Name (nameAlg || H(TPMT_PUBLIC), PublicKey::name()); `secret` the credential, 1 to
// digest_size(ek.name_alg()) bytes (32 random bytes in practice). `rng` gives the seed (RSA,
// nameAlg-digest bytes) and the OAEP seed, or the ephemeral ECC private key (rejection-sampled).
// Fails with tpm.credential.ak_name_malformed, tpm.credential.secret_size,
// tpm.credential.random_failed or tpm.credential.crypto_failed. Spans are only read during the call.
std::expected<Credential, Error> make_credential(const EkPublic& ek, std::span<const uint8_t> ak_name,
                                                 std::span<const uint8_t> secret, RandomSource& rng);

// The file `tpm2_makecredential -o` writes and `tpm2_activatecredential -i` reads (tpm2-tools 5.x,
// lib/files.c files_write_header + tpm2_makecredential.c):
//   offset 0  u32 BE magic 0xBADCC0DE
//   offset 4  u32 BE version 1
//   offset 8  TPM2B_ID_OBJECT (u16 BE size + bytes)
//   then      TPM2B_ENCRYPTED_SECRET (u16 BE size + bytes), nothing after it.
inline constexpr uint32_t kTpm2ToolsCredentialMagic = 0xBADCC0DE;
inline constexpr uint32_t kTpm2ToolsCredentialVersion = 1;
inline constexpr size_t kTpm2ToolsCredentialHeaderSize = 8;

std::vector<uint8_t> to_tpm2_tools_credential_file(const Credential& credential);
// Decodes that file; every byte must belong to it. Fails with tpm.credential.file_malformed.
std::expected<Credential, Error> parse_tpm2_tools_credential_file(std::span<const uint8_t> bytes);

// The decoded parts of a credential blob (Part 2, TPMS_ID_OBJECT), for tests and tools.
struct IdObject {
  std::vector<uint8_t> integrity_hmac;  // TPM2B_DIGEST contents
  std::vector<uint8_t> enc_identity;    // the rest: the encrypted, marshalled TPM2B_DIGEST
};
// Fails with tpm.credential.file_malformed.
std::expected<IdObject, Error> parse_id_object(std::span<const uint8_t> tpm2b_id_object);

// --- Building blocks, exposed for known-answer tests ---------------------------------------------

// KDFa (Part 1, 11.4.10.2; SP 800-108 counter mode with HMAC_hashAlg):
//   K(i) = HMAC(key, [i]_32 || label || 0x00 || context_u || context_v || [bits]_32), i = 1, 2, ...
// A 0x00 is appended to `label` unless it already ends with one. `bits` must be a positive
// multiple of 8, at most 8192. Fails with tpm.credential.crypto_failed.
std::expected<std::vector<uint8_t>, Error> kdfa(HashAlg alg, std::span<const uint8_t> key, std::string_view label,
                                                std::span<const uint8_t> context_u,
                                                std::span<const uint8_t> context_v, uint32_t bits);

// KDFe (Part 1, 11.4.10.3; SP 800-56A 5.8.1 concatenation KDF):
//   K(i) = H([i]_32 || z || use || 0x00 || party_u || party_v), i = 1, 2, ...
// with the same label and size rules as kdfa.
std::expected<std::vector<uint8_t>, Error> kdfe(HashAlg alg, std::span<const uint8_t> z, std::string_view use,
                                                std::span<const uint8_t> party_u, std::span<const uint8_t> party_v,
                                                uint32_t bits);

}  // namespace attestd::evidence::tpm
