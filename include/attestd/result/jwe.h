// JWE (RFC 7516) compact serialization of a secret for one recipient: how the key broker hands a
// released key to the tee_public_key that the attested hardware vouched for.
//
// Algorithms (RFC 7518), chosen by the recipient's key type:
//   RSA (>= 2048 bits)   alg "RSA-OAEP-256"    (§4.3: OAEP with SHA-256 and MGF1-SHA-256)
//   EC P-256 / P-384     alg "ECDH-ES+A256KW"  (§4.6: ephemeral-static ECDH on the recipient's
//                        curve, Concat KDF with SHA-256 (NIST SP 800-56A §5.8.1) over
//                        AlgorithmID "ECDH-ES+A256KW", empty apu and apv, keydatalen 256; the
//                        derived key wraps the CEK with AES Key Wrap (RFC 3394); "epk" in the
//                        header)
//   content: enc "A256GCM" (§5.3): a fresh 256-bit CEK and 96-bit IV per token, 128-bit tag,
//            AAD = ASCII(BASE64URL(UTF8(protected header))) (RFC 7516 §5.1 step 14).
//
// Protected header: {"alg":..,"enc":"A256GCM","kid":<kid>[,"epk":{..}]}. The key broker sets kid to
// "<key name>:<version>" (key names cannot contain ':'), so the workload learns which version it got.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "attestd/evidence/error.h"
#include "attestd/result/jwk.h"

namespace attestd::result {

using Error = attestd::evidence::Error;

// Stable reason ids of JWE creation.
// The kid is empty or not printable ASCII, or the plaintext exceeds kMaxJwePlaintext.
inline constexpr std::string_view kJweInputInvalid = "jwe.input_invalid";
// OpenSSL failed where it should not (random bytes, key agreement, encryption).
inline constexpr std::string_view kJweCryptoError = "jwe.crypto_error";

inline constexpr size_t kMaxJwePlaintext = 1024 * 1024;

// The JWE "alg" for a recipient of this type.
std::string_view jwe_alg_for(JwkType type);

// Encrypts plaintext to recipient: base64url(header) "." base64url(encrypted key) "." base64url(iv)
// "." base64url(ciphertext) "." base64url(tag). The CEK and every intermediate secret are wiped
// before returning. Fails with jwe.input_invalid or jwe.crypto_error.
std::expected<std::string, Error> encrypt_jwe(const PublicJwk& recipient, std::string_view kid,
                                              std::span<const uint8_t> plaintext);

}  // namespace attestd::result
