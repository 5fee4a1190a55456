// EAR: the attestation result as a signed JWT (draft-ietf-rats-ear, EAT profile
// "tag:github.com,2023:veraison/ear"; RFC 7519 JWT in RFC 7515 JWS compact form, ES256).
//
// Header:  {"alg":"ES256","kid":"<RFC 7638 thumbprint of the signing key>","typ":"JWT"}
// Claims:
//   eat_profile       "tag:github.com,2023:veraison/ear"             (draft-ietf-rats-ear §3)
//   iat, exp          NumericDate, integer seconds                    (RFC 7519 §4.1.6, §4.1.4)
//   eat_nonce         base64url (no padding) of the challenge nonce   (RFC 9711 §4.1)
//   ear.verifier-id   {"build":"attestd <version>","developer":"attestd"}
//   ear.status        worst submod status (ar4si.h ordering)
//   ear.attestd.tenant, ear.attestd.host   the tenant (internal id) and host attested, when the
//                     service issues the token: a key release by EAR stays in that tenant (issue 6)
//   submods           {"tpm0": appraisal, "gpu0": appraisal, ...}     (EAT §4.2.18)
// Each appraisal (draft-ietf-rats-ear §3.1):
//   ear.status                  tier, never better than its vector's worst claim
//   ear.trustworthiness-vector  {"instance-identity":2,...}: claims made only
//   ear.appraisal-policy-id     the policy that produced it
//   ear.attestd.reasons         [reason ids]: attestd extension, always present (may be empty)
//   ear.veraison.key-attestation {"akpub": base64url(DER SPKI)}: only when a tee_public_key was
//       bound. Veraison's ear library defines this member per appraisal (AppraisalExtensions,
//       "akpub" = base64url of the PKIX SubjectPublicKeyInfo), so it is repeated in every submod:
//       DESIGN §1 binds the key into the TPM quote and into every GPU nonce, and each submod says
//       its evidence vouched for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/evidence/error.h"
#include "attestd/result/ar4si.h"
#include "attestd/result/jwk.h"
#include "attestd/result/signing_key.h"

namespace attestd::result {

using Error = attestd::evidence::Error;

inline constexpr std::string_view kEarProfile = "tag:github.com,2023:veraison/ear";
inline constexpr std::string_view kEarDeveloper = "attestd";
// EAT §4.1: a nonce is 8 to 64 bytes.
inline constexpr size_t kMinNonceSize = 8;
inline constexpr size_t kMaxNonceSize = 64;
// Tokens larger than this are refused before any decoding.
inline constexpr size_t kMaxEarSize = 64 * 1024;

// One appraised piece of evidence.
struct Submod {
  std::string name;  // "tpm0", "gpu0", ...: 1..64 chars of [a-z0-9_-]
  Status status = Status::kNone;
  TrustVector trust_vector;
  std::string policy_id;
  std::vector<std::string> reasons;  // stable reason ids, in the order found
};

struct EarRequest {
  std::span<const uint8_t> nonce;  // the challenge nonce as issued (not the binding); borrowed for the call
  std::chrono::sys_seconds issued_at;
  std::chrono::seconds lifetime{std::chrono::minutes(10)};
  std::vector<Submod> submods;          // at least one; names unique
  const PublicJwk* tee_key = nullptr;   // the bound tee_public_key, if any; borrowed for the call
  // attestd extensions: the tenant (its internal id) and host attested, as top-level claims
  // "ear.attestd.tenant" and "ear.attestd.host"; omitted when empty (host only with a tenant).
  std::string tenant_id;
  std::string host_id;
};

// The claims set of the EAR for req (exactly what issue_ear signs), for the audit record and tests.
// Fails with ear.input_invalid: nonce size, no submod or more than 64, a submod name that is not
// [a-z0-9_-]{1,64} or repeats, a policy id or reason id that is not UTF-8, non-positive lifetime.
std::expected<nlohmann::json, Error> build_ear_claims(const EarRequest& req);

// The signed EAR: base64url(header) "." base64url(claims) "." base64url(r ‖ s). Costs one ECDSA
// P-256 signature plus a few microseconds of JSON. Fails with ear.input_invalid or
// signing_key.crypto_error.
std::expected<std::string, Error> issue_ear(const SigningKey& key, const EarRequest& req);

struct VerifiedSubmod {
  std::string name;
  Status status = Status::kNone;
  TrustVector trust_vector;
  std::string policy_id;  // empty when absent
  std::vector<std::string> reasons;
  std::optional<std::vector<uint8_t>> akpub;  // DER SPKI from ear.veraison.key-attestation
};

struct VerifiedEar {
  std::string kid;
  // The worse of the token's `ear.status` and every submod's: a relying party never gets a status
  // better than any part of the token claims.
  Status status = Status::kNone;
  std::chrono::sys_seconds issued_at;
  std::chrono::sys_seconds expires_at;
  std::vector<uint8_t> nonce;
  std::string verifier_build;
  std::string tenant_id;  // "ear.attestd.tenant"; empty when absent
  std::string host_id;    // "ear.attestd.host"; empty when absent
  std::vector<VerifiedSubmod> submods;  // ordered by name
  // The attested tee public key (DER SPKI): set only when every submod carries the same akpub, so
  // that a key is released only to a key all evidence vouched for. public_jwk_from_spki_der()
  // turns it into a key to encrypt to.
  std::optional<std::vector<uint8_t>> tee_key_spki;
  nlohmann::json claims;  // the whole claims set as signed
};

struct EarExpectations {
  // Clock skew allowed on exp and iat/nbf (RFC 7519 §4.1.4: "some small leeway").
  std::chrono::seconds leeway{60};
  // When set, eat_nonce must decode to exactly these bytes (borrowed for the call).
  std::optional<std::span<const uint8_t>> nonce = std::nullopt;
};

// Verifies an EAR made by issue_ear (or any ES256 EAT with this profile) against keys (a KeySet's
// verification_keys() or a parsed JWKS) at time now:
//  1. at most kMaxEarSize bytes, exactly three base64url parts (RFC 7515 §7.1);
//  2. header: a JSON object without duplicate members (RFC 7515 §5.2 step 4), `alg` exactly
//     "ES256" (RFC 7515 §4.1.1; RFC 8725 §3.1: never "none", HS256 or anything the key is not
//     for) -> ear.alg_unsupported; no `crit` (RFC 7515 §4.1.11: we understand no extension);
//     `typ` absent or "JWT" (RFC 7519 §5.1); `kid` names one of keys -> ear.unknown_kid. Keys
//     carried in the header (jwk, jku, x5c, x5u) are never used;
//  3. the signature: 64 bytes r ‖ s, ECDSA P-256/SHA-256 over ASCII(header "." payload)
//     (RFC 7515 §5.2 step 8, RFC 7518 §3.4) -> ear.signature_invalid; claims are parsed only now;
//  4. claims: a JSON object without duplicates (RFC 7519 §4), `eat_profile` equal to kEarProfile
//     -> ear.profile_unsupported; integer `iat` and `exp`; now >= exp + leeway -> ear.expired
//     (RFC 7519 §4.1.4); iat or nbf > now + leeway -> ear.not_yet_valid (§4.1.5, §4.1.6);
//     `eat_nonce` base64url, equal to expect.nonce when given -> ear.nonce_mismatch; `submods` a
//     non-empty object of appraisals with a valid `ear.status`; `ear.status` valid.
// Anything else wrong is ear.malformed. Never throws.
std::expected<VerifiedEar, Error> verify_ear(std::string_view token, std::span<const VerificationKey> keys,
                                             std::chrono::sys_seconds now, const EarExpectations& expect = {});

}  // namespace attestd::result
