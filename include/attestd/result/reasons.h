// Stable reason ids of the attestation-result layer: EAR tokens, JWKs, the result-signing key.
//
// Ids are part of the API (key broker refusals, audit log, metrics, problem+json): never rename
// one once shipped, only add.
#pragma once

#include <string_view>

namespace attestd::result {

// base64url without padding (RFC 4648 §5, RFC 7515 §2 "Base64url Encoding").
inline constexpr std::string_view kBase64urlInvalid = "base64url.invalid";

// EAR verification (verify_ear).
// Not three base64url parts, header/claims not a JSON object, a required claim missing or of the
// wrong type, a duplicate member, a `crit` header.
inline constexpr std::string_view kEarMalformed = "ear.malformed";
// The ES256 signature does not verify with the key named by `kid`, or is not 64 bytes.
inline constexpr std::string_view kEarSignatureInvalid = "ear.signature_invalid";
// `exp` is in the past (beyond the leeway).
inline constexpr std::string_view kEarExpired = "ear.expired";
// `iat` (or `nbf`) is in the future (beyond the leeway).
inline constexpr std::string_view kEarNotYetValid = "ear.not_yet_valid";
// No `kid`, or no key with that `kid` in the key set.
inline constexpr std::string_view kEarUnknownKid = "ear.unknown_kid";
// `alg` is not ES256 ("none", HS256, RS256, ... are all refused).
inline constexpr std::string_view kEarAlgUnsupported = "ear.alg_unsupported";
// `eat_profile` is not tag:github.com,2023:veraison/ear.
inline constexpr std::string_view kEarProfileUnsupported = "ear.profile_unsupported";
// `eat_nonce` differs from the nonce the caller expected.
inline constexpr std::string_view kEarNonceMismatch = "ear.nonce_mismatch";
// issue_ear was given something it cannot put in a token (duplicate submod name, bad nonce size).
inline constexpr std::string_view kEarInputInvalid = "ear.input_invalid";

// JWKs (RFC 7517) of tee public keys and JWKS entries.
// Not a JSON object, a required member missing, not a string, bad base64url, duplicate member.
inline constexpr std::string_view kJwkMalformed = "jwk.malformed";
// kty/crv not one of EC P-256, EC P-384, RSA.
inline constexpr std::string_view kJwkUnsupported = "jwk.unsupported";
// Well-formed but not a usable key: wrong coordinate length, point not on the curve, RSA modulus
// below 2048 bits, non-minimal integer encoding, bad exponent.
inline constexpr std::string_view kJwkInvalid = "jwk.invalid";
// A private member (d, p, q, dp, dq, qi, oth, k) in what must be a public key.
inline constexpr std::string_view kJwkPrivate = "jwk.private_key";

// The result-signing key and its files.
inline constexpr std::string_view kSigningKeyIo = "signing_key.io_error";
// The PEM is not a PKCS#8 ECDSA P-256 private key.
inline constexpr std::string_view kSigningKeyInvalid = "signing_key.invalid";
// The key file is readable or writable by group or others, or is not a regular file.
inline constexpr std::string_view kSigningKeyInsecure = "signing_key.insecure_permissions";
// OpenSSL failed where it should not (key generation, signing).
inline constexpr std::string_view kSigningKeyCrypto = "signing_key.crypto_error";

}  // namespace attestd::result
