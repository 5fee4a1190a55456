// TPM 2.0 signatures: TPMT_SIGNATURE decoding (TPM 2.0 Part 2, Table 217) and verification of a
// signature over a message with an AK.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::tpm {

class PublicKey;

// The signature schemes we verify (TPM_ALG_ID values, TPM 2.0 Part 2, Table 9).
enum class SigScheme : uint16_t {
  rsassa = 0x0014,  // TPM_ALG_RSASSA: RSASSA-PKCS1-v1_5
  rsapss = 0x0016,  // TPM_ALG_RSAPSS
  ecdsa = 0x0018,   // TPM_ALG_ECDSA
};

struct Signature {
  SigScheme scheme = SigScheme::rsassa;
  HashAlg hash = HashAlg::sha256;
  // RSASSA / RSAPSS: the signature, big-endian, as the TPM gave it (normally the modulus size).
  std::vector<uint8_t> rsa;
  // ECDSA: r and s, big-endian unsigned integers.
  std::vector<uint8_t> ecdsa_r, ecdsa_s;
};

// Decodes a TPMT_SIGNATURE (as `tpm2_quote -s` writes it) through libtss2-mu. Every byte must
// belong to the structure.
// Fails with tpm.signature.malformed (truncated, sizes beyond the TPM2B maxima),
// tpm.signature.trailing_bytes, or tpm.signature.unsupported (a scheme other than RSASSA, RSAPSS or
// ECDSA, or a hash other than SHA-1/256/384/512), each naming the offending value.
std::expected<Signature, Error> parse_tpmt_signature(std::span<const uint8_t> bytes);

// Wraps a bare RSA signature that comes without a TPMT_SIGNATURE header (Azure vTPM evidence
// carries one: RSASSA-SHA256). Copies the bytes.
Signature raw_rsa_signature(std::span<const uint8_t> sig, SigScheme scheme, HashAlg hash);

// Verifies `sig` over `message` (the signed bytes, hashed here with sig.hash) with `key`:
// RSASSA-PKCS1-v1_5, RSAPSS (salt length recovered from the signature, which accepts both the
// maximum salt and a digest-sized salt that TPMs use, TPM 2.0 Part 1, B.7) or ECDSA.
// Fails with tpm.signature.key_mismatch (RSA signature for an ECC key or the reverse),
// tpm.signature.scheme_not_allowed (the key's TPMT_PUBLIC fixes another scheme or hash, Part 2
// Table 180/183), tpm.signature.unsupported, or tpm.signature.invalid.
std::expected<void, Error> verify_signature(const PublicKey& key, std::span<const uint8_t> message,
                                            const Signature& sig);

// As verify_signature, with the digest of the message already computed with sig.hash.
std::expected<void, Error> verify_signature_digest(const PublicKey& key, std::span<const uint8_t> digest,
                                                   const Signature& sig);

}  // namespace attestd::evidence::tpm
