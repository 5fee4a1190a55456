// Public keys as JWKs (RFC 7517, RFC 7518 §6) and their RFC 7638 thumbprints.
//
// Two uses: the tee_public_key an attester binds into its evidence (EC P-256, P-384 or RSA >= 2048
// bits, to which the key broker later wraps secrets), and the entries of a JWKS that verify EARs.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attestd/evidence/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::result {

using Error = attestd::evidence::Error;

// Limits on hostile input.
inline constexpr size_t kMaxJwkSize = 16 * 1024;
inline constexpr unsigned kMinRsaBits = 2048;
inline constexpr unsigned kMaxRsaBits = 16384;

enum class JwkType { kEcP256, kEcP384, kRsa };

using Thumbprint = std::array<uint8_t, 32>;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A validated public key. Immutable once built; cheap to move.
class PublicJwk {
 public:
  [[nodiscard]] JwkType type() const { return type_; }
  // The RFC 7638 §3.2 canonical JSON of the required members, lexicographic order, no whitespace:
  //   EC:  {"crv":"P-256","kty":"EC","x":"...","y":"..."}
  //   RSA: {"e":"AQAB","kty":"RSA","n":"..."}
  [[nodiscard]] const std::string& canonical_json() const { return canonical_; }
  // SHA-256 of canonical_json(): the raw 32 bytes (RFC 7638 §3.1), as used in the binding.
  [[nodiscard]] const Thumbprint& thumbprint() const { return thumbprint_; }
  // base64url(thumbprint()): the form used as `kid` and compared with other JOSE libraries.
  [[nodiscard]] std::string thumbprint_b64() const;
  // DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of the key: `akpub` of the EAR.
  [[nodiscard]] const std::vector<uint8_t>& spki_der() const { return spki_; }
  // The OpenSSL key, owned by this object; valid while it lives. Never null.
  [[nodiscard]] EVP_PKEY* pkey() const { return pkey_.get(); }
  // The public JWK members (the canonical ones; no kid/use/alg).
  [[nodiscard]] nlohmann::json to_json() const;

  friend std::expected<PublicJwk, Error> public_jwk_from_json(const nlohmann::json& jwk);
  friend std::expected<PublicJwk, Error> public_jwk_from_pkey(EVP_PKEY* pkey);

 private:
  PublicJwk() = default;
  JwkType type_ = JwkType::kEcP256;
  std::string canonical_;
  Thumbprint thumbprint_{};
  std::vector<uint8_t> spki_;
  PkeyPtr pkey_;
};

// Parses a public JWK given as JSON text (at most kMaxJwkSize bytes) strictly:
//  - a JSON object without duplicate members (RFC 7517 §4: member names MUST be unique);
//  - kty "EC" with crv "P-256" or "P-384", or kty "RSA"; anything else is jwk.unsupported;
//  - EC: x and y base64url of exactly the coordinate size, 32 or 48 bytes (RFC 7518 §6.2.1.2/3:
//    "MUST be the full size of a coordinate"), and the point on the curve (OpenSSL
//    EVP_PKEY_public_check);
//  - RSA: n and e with no leading zero octet (RFC 7518 §6.3.1.1/2: "minimum number of octets"),
//    n of kMinRsaBits..kMaxRsaBits bits, e odd and > 1, checked by EVP_PKEY_public_check;
//  - no private member (d, p, q, dp, dq, qi, oth, k): jwk.private_key;
//  - other members (kid, use, alg, key_ops, x5c, ...) are allowed and ignored: RFC 7638 §3.2
//    excludes them from the thumbprint, so they cannot change what the key is.
// The canonical members must be strings. Fails with jwk.malformed / unsupported / invalid /
// private_key.
std::expected<PublicJwk, Error> parse_public_jwk(std::string_view json_text);
// The same for an already parsed JSON value (whose parser must have refused duplicate members).
std::expected<PublicJwk, Error> public_jwk_from_json(const nlohmann::json& jwk);

// The JWK of an OpenSSL public (or private) key of one of the supported types; the private part
// is never exported. Fails with jwk.unsupported for other key types.
std::expected<PublicJwk, Error> public_jwk_from_pkey(EVP_PKEY* pkey);

// The JWK of a DER SubjectPublicKeyInfo (the `akpub` of an EAR): every byte must belong to it and
// the key must pass the same checks as parse_public_jwk. Fails with jwk.malformed / unsupported /
// invalid.
std::expected<PublicJwk, Error> public_jwk_from_spki_der(std::span<const uint8_t> der);

}  // namespace attestd::result
