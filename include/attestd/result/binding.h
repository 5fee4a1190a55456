// The binding of a challenge nonce to a TEE public key (DESIGN §1).
//
//   without a key:  binding = nonce                                  (the bytes as issued)
//   with a key:     binding = SHA-256(nonce ‖ JWK-thumbprint(tee_pubkey))
//
// where JWK-thumbprint is the RFC 7638 thumbprint with SHA-256: the raw 32-byte digest (not its
// base64url text) of the canonical JSON of the key's required members in lexicographic order
// without whitespace (see PublicJwk::canonical_json), and ‖ is byte concatenation. The attester
// puts the binding into TPM2_Quote qualifyingData and into each GPU GET_MEASUREMENTS nonce; the
// verifier recomputes it from the stored nonce and the tee_public_key of the request, so a key
// swapped in transit no longer matches the signed evidence.
//
// Example (tests/result/binding_test.cpp): nonce = 32 bytes 0x00..0x1f, key = the RSA key of
// RFC 7638 §3.1 whose thumbprint is base64url "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "attestd/result/jwk.h"

namespace attestd::result {

// SHA-256(nonce ‖ tee_key.thumbprint()): always 32 bytes.
std::vector<uint8_t> binding(std::span<const uint8_t> nonce, const PublicJwk& tee_key);

// The binding when no key is wanted: a copy of nonce.
std::vector<uint8_t> binding(std::span<const uint8_t> nonce);

// Either of the above: tee_key may be null.
std::vector<uint8_t> binding(std::span<const uint8_t> nonce, const PublicJwk* tee_key);

}  // namespace attestd::result
