// The result-signing key (ES256: ECDSA P-256 with SHA-256, RFC 7518 §3.4), its public JWKs and
// the key set served at /.well-known/jwks.json.
//
// Rotation: a KeySet holds the active SigningKey and older public keys that still verify EARs
// issued before the rotation (until those expire). On disk, in the data directory:
//   ear-signing-key.pem         the active key, PKCS#8 PEM, mode 0600
//   ear-retired-keys/<kid>.pem  retired public keys, SubjectPublicKeyInfo PEM
// Retired public keys are not secret, but whoever can add one can forge EARs, so they are held to
// the same rule as the private key: nothing writable by group or others is loaded. An operator
// drops a retired key by deleting its file once the last EAR it signed has expired.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attestd/evidence/error.h"
#include "attestd/result/jwk.h"

namespace attestd::result {

using Error = attestd::evidence::Error;

inline constexpr std::string_view kSigningKeyFileName = "ear-signing-key.pem";
inline constexpr std::string_view kRetiredKeysDirName = "ear-retired-keys";
inline constexpr size_t kEs256SignatureSize = 64;  // r ‖ s, 32 bytes each (RFC 7518 §3.4)
using Es256Signature = std::array<uint8_t, kEs256SignatureSize>;

// A public ES256 key with its key id. Immutable; copies share the key. Thread-safe.
class VerificationKey {
 public:
  // The key id: for our keys the RFC 7638 thumbprint (base64url); for keys from a JWKS, its `kid`.
  [[nodiscard]] const std::string& kid() const;
  [[nodiscard]] const PublicJwk& jwk() const;
  // {"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..,"alg":"ES256","use":"sig"}
  [[nodiscard]] nlohmann::json jwks_entry() const;
  // Verifies a JOSE ES256 signature (r ‖ s, exactly 64 bytes: RFC 7518 §3.4; a DER signature is
  // refused) over msg with SHA-256. False on any failure.
  [[nodiscard]] bool verify_es256(std::span<const uint8_t> msg, std::span<const uint8_t> signature) const;

  struct Impl;
  explicit VerificationKey(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

// One JWKS entry as a verification key: kty EC, crv P-256 (parse_public_jwk rules), `alg` absent or
// "ES256", `use` absent or "sig"; `kid` a string if present, else the thumbprint is the kid.
// Fails with jwk.* reasons.
std::expected<VerificationKey, Error> verification_key_from_jwk(const nlohmann::json& jwk);

// A JWKS document {"keys":[...]} (RFC 7517 §5). Every entry must be a usable ES256 key and kids
// must be unique; a JWKS that fails anywhere is refused as a whole (a verifier that silently
// skipped entries would hide a broken rotation). Fails with jwk.* reasons.
std::expected<std::vector<VerificationKey>, Error> parse_jwks(std::string_view json_text);

// The ES256 private key. Immutable; copies share the key; sign() is thread-safe.
class SigningKey {
 public:
  // A fresh P-256 key from OpenSSL's default DRBG. Fails with signing_key.crypto_error.
  static std::expected<SigningKey, Error> generate();
  // A PKCS#8 "PRIVATE KEY" PEM holding an EC P-256 key (the traditional "EC PRIVATE KEY" form and
  // encrypted PEM are refused). Fails with signing_key.invalid.
  static std::expected<SigningKey, Error> from_pem(std::string_view pem);

  // PKCS#8 PEM of the private key (unencrypted: the file's mode protects it).
  [[nodiscard]] std::string to_pem() const;
  [[nodiscard]] const std::string& kid() const;
  [[nodiscard]] const VerificationKey& verification_key() const;

  // ES256 over msg: ECDSA P-256 of SHA-256(msg), returned as r ‖ s (RFC 7518 §3.4). Fails with
  // signing_key.crypto_error only if OpenSSL fails.
  [[nodiscard]] std::expected<Es256Signature, Error> sign_es256(std::span<const uint8_t> msg) const;

  struct Impl;

 private:
  explicit SigningKey(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// The active key plus retired public keys. Not synchronised: build a new KeySet to rotate and swap
// it in (for example behind a std::atomic<std::shared_ptr<const KeySet>>).
class KeySet {
 public:
  explicit KeySet(SigningKey active, std::vector<VerificationKey> retired = {});

  [[nodiscard]] const SigningKey& active() const { return active_; }
  // Active key first, then the retired ones. Borrowed: lives as long as this KeySet.
  [[nodiscard]] std::span<const VerificationKey> verification_keys() const { return keys_; }
  // The key with this kid, or null.
  [[nodiscard]] const VerificationKey* find(std::string_view kid) const;
  // The body of GET /.well-known/jwks.json: {"keys":[jwks_entry()...]}, active key first.
  [[nodiscard]] nlohmann::json jwks() const;
  [[nodiscard]] std::string jwks_json() const;

 private:
  SigningKey active_;
  std::vector<VerificationKey> keys_;
};

// Loads data_dir/ear-signing-key.pem, or generates one and stores it (mode 0600, written to a
// temporary file, fsync'ed and linked into place so that a crash or a concurrent first start never
// leaves a half-written or second key), then loads ear-retired-keys/*.pem. Refuses a key file that
// is not a regular file or whose mode grants anything to group or others
// (signing_key.insecure_permissions). Fails with signing_key.* reasons.
std::expected<KeySet, Error> load_or_create_key_set(const std::filesystem::path& data_dir);

// Rotation: writes the active key's public half to ear-retired-keys/<kid>.pem, generates a new
// active key and atomically replaces ear-signing-key.pem, then returns the reloaded set. EARs
// signed by the old key keep verifying through the JWKS.
std::expected<KeySet, Error> rotate_signing_key(const std::filesystem::path& data_dir);

}  // namespace attestd::result
