#include "attestd/result/signing_key.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/result/reasons.h"
#include "ossl.h"
#include "strict_json.h"

namespace attestd::result {

namespace detail {
const EVP_MD* sha256() {
  // Fetched once and kept for the life of the process (never freed: other threads may be signing
  // during static destruction).
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}
}  // namespace detail

namespace {

using detail::BioPtr;
using detail::BnPtr;
using detail::EcdsaSigPtr;
using detail::MdCtxPtr;
using detail::OsslBytesPtr;

inline constexpr size_t kMaxJwksSize = 1024 * 1024;
inline constexpr size_t kMaxJwksKeys = 100;
inline constexpr size_t kMaxPemSize = 64 * 1024;
inline constexpr size_t kCoordinateSize = 32;  // P-256

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_errors();
  return std::unexpected(Error{id, std::move(message)});
}

// PEM callbacks: never prompt on a terminal for a passphrase (OpenSSL's default would).
int refuse_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

// ----------------------------------------------------------------------------------------------
// VerificationKey

struct VerificationKey::Impl {
  std::string kid;
  PublicJwk jwk;
};

VerificationKey::VerificationKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

const std::string& VerificationKey::kid() const { return impl_->kid; }
const PublicJwk& VerificationKey::jwk() const { return impl_->jwk; }

nlohmann::json VerificationKey::jwks_entry() const {
  nlohmann::json entry = impl_->jwk.to_json();
  entry["kid"] = impl_->kid;
  entry["alg"] = "ES256";
  entry["use"] = "sig";
  return entry;
}

bool VerificationKey::verify_es256(std::span<const uint8_t> msg, std::span<const uint8_t> signature) const {
  // RFC 7518 §3.4: the JWS Signature is R ‖ S, each the 32-byte big-endian integer; anything else
  // (notably a DER ECDSA-Sig-Value) is invalid.
  if (signature.size() != kEs256SignatureSize) return false;
  BnPtr r(BN_bin2bn(signature.data(), kCoordinateSize, nullptr));
  BnPtr s(BN_bin2bn(signature.data() + kCoordinateSize, kCoordinateSize, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    detail::clear_errors();
    return false;
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  OsslBytesPtr der_owned(der);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // ECDSA_do_verify (under EVP_DigestVerify) rejects r or s outside [1, n-1] (SEC 1 §4.1.4 step 1).
  const bool ok = der_len > 0 && ctx &&
                  EVP_DigestVerifyInit(ctx.get(), nullptr, detail::sha256(), nullptr, impl_->jwk.pkey()) == 1 &&
                  EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), msg.data(), msg.size()) == 1;
  detail::clear_errors();
  return ok;
}

std::expected<VerificationKey, Error> verification_key_from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return fail(kJwkMalformed, "a JWKS entry is a JSON object (RFC 7517 §5)");
  // RFC 7517 §4.4 alg / §4.2 use: when present they must allow ES256 signatures.
  if (const auto alg = jwk.find("alg"); alg != jwk.end() && (!alg->is_string() || *alg != "ES256")) {
    return fail(kJwkUnsupported, "JWKS entry \"alg\" is not ES256");
  }
  if (const auto use = jwk.find("use"); use != jwk.end() && (!use->is_string() || *use != "sig")) {
    return fail(kJwkUnsupported, "JWKS entry \"use\" is not sig");
  }
  std::string kid;
  if (const auto k = jwk.find("kid"); k != jwk.end()) {
    if (!k->is_string() || k->get_ref<const std::string&>().empty()) return fail(kJwkMalformed, "\"kid\" is not a non-empty string");
    kid = k->get<std::string>();
  }
  auto parsed = public_jwk_from_json(jwk);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->type() != JwkType::kEcP256) return fail(kJwkUnsupported, "an ES256 key is EC P-256 (RFC 7518 §3.4)");
  if (kid.empty()) kid = parsed->thumbprint_b64();
  return VerificationKey(std::make_shared<const VerificationKey::Impl>(VerificationKey::Impl{std::move(kid), std::move(*parsed)}));
}

std::expected<std::vector<VerificationKey>, Error> parse_jwks(std::string_view json_text) {
  if (json_text.size() > kMaxJwksSize) return fail(kJwkMalformed, "JWKS too large");
  const auto json = detail::parse_json_strict(json_text);
  if (!json || !json->is_object()) return fail(kJwkMalformed, "JWKS is not a JSON object without duplicate members");
  const auto keys = json->find("keys");
  if (keys == json->end() || !keys->is_array()) return fail(kJwkMalformed, "JWKS has no \"keys\" array (RFC 7517 §5.1)");
  if (keys->size() > kMaxJwksKeys) return fail(kJwkMalformed, fmt::format("JWKS has more than {} keys", kMaxJwksKeys));
  std::vector<VerificationKey> out;
  std::set<std::string> kids;
  for (size_t i = 0; i < keys->size(); ++i) {
    auto key = verification_key_from_jwk((*keys)[i]);
    if (!key) return fail(key.error().id, fmt::format("key {}: {}", i, key.error().message));
    // RFC 7517 §4.5: kids should be distinct within a set; with a duplicate, which key verifies a
    // token would depend on order.
    if (!kids.insert(key->kid()).second) return fail(kJwkMalformed, fmt::format("key {}: kid \"{}\" repeats", i, key->kid()));
    out.push_back(std::move(*key));
  }
  return out;
}

// ----------------------------------------------------------------------------------------------
// SigningKey

struct SigningKey::Impl {
  PkeyPtr pkey;  // private
  VerificationKey public_key;
};

SigningKey::SigningKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

namespace {

std::expected<SigningKey, Error> wrap(PkeyPtr pkey, auto make) {
  auto jwk = public_jwk_from_pkey(pkey.get());
  if (!jwk) return fail(kSigningKeyInvalid, fmt::format("public half: {}", jwk.error().message));
  if (jwk->type() != JwkType::kEcP256) return fail(kSigningKeyInvalid, "the result-signing key must be EC P-256 (ES256)");
  std::string kid = jwk->thumbprint_b64();
  VerificationKey vk(std::make_shared<const VerificationKey::Impl>(VerificationKey::Impl{std::move(kid), std::move(*jwk)}));
  return make(std::move(pkey), std::move(vk));
}

}  // namespace

std::expected<SigningKey, Error> SigningKey::generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) return fail(kSigningKeyCrypto, "EC P-256 key generation failed");
  return wrap(std::move(pkey), [](PkeyPtr p, VerificationKey vk) {
    return SigningKey(std::make_shared<const Impl>(Impl{std::move(p), std::move(vk)}));
  });
}

std::expected<SigningKey, Error> SigningKey::from_pem(std::string_view pem) {
  if (pem.size() > kMaxPemSize) return fail(kSigningKeyInvalid, "key file too large");
  // PKCS#8 only (RFC 5958 / RFC 7468 §10): one format on disk, and never an encrypted one.
  const auto start = pem.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || !pem.substr(start).starts_with("-----BEGIN PRIVATE KEY-----")) {
    return fail(kSigningKeyInvalid, "not a PKCS#8 \"PRIVATE KEY\" PEM");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr);
  if (!pkey) return fail(kSigningKeyInvalid, "PEM does not decode to a private key");
  if (EVP_PKEY_is_a(pkey.get(), "EC") != 1) return fail(kSigningKeyInvalid, "the result-signing key must be EC P-256 (ES256)");
  // The private scalar must match the public point: a corrupted file must not sign garbage.
  detail::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) return fail(kSigningKeyInvalid, "private and public key do not match");
  return wrap(std::move(pkey), [](PkeyPtr p, VerificationKey vk) {
    return SigningKey(std::make_shared<const Impl>(Impl{std::move(p), std::move(vk)}));
  });
}

std::string SigningKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    detail::clear_errors();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

const std::string& SigningKey::kid() const { return impl_->public_key.kid(); }
const VerificationKey& SigningKey::verification_key() const { return impl_->public_key; }

std::expected<Es256Signature, Error> SigningKey::sign_es256(std::span<const uint8_t> msg) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // A DER ECDSA-Sig-Value for P-256 is at most 72 bytes.
  unsigned char der[80];
  size_t der_len = sizeof(der);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, detail::sha256(), nullptr, impl_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), der, &der_len, msg.data(), msg.size()) != 1) {
    return fail(kSigningKeyCrypto, "ECDSA P-256 signing failed");
  }
  // OpenSSL returns DER; JOSE wants R ‖ S, each left-padded to 32 bytes (RFC 7518 §3.4).
  const unsigned char* p = der;
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  Es256Signature out{};
  if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), kCoordinateSize) != static_cast<int>(kCoordinateSize) ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + kCoordinateSize, kCoordinateSize) !=
          static_cast<int>(kCoordinateSize)) {
    return fail(kSigningKeyCrypto, "cannot convert the ECDSA signature to r ‖ s");
  }
  return out;
}

// ----------------------------------------------------------------------------------------------
// KeySet

KeySet::KeySet(SigningKey active, std::vector<VerificationKey> retired) : active_(std::move(active)) {
  keys_.reserve(retired.size() + 1);
  keys_.push_back(active_.verification_key());
  for (auto& k : retired) {
    if (find(k.kid()) == nullptr) keys_.push_back(std::move(k));
  }
}

const VerificationKey* KeySet::find(std::string_view kid) const {
  for (const auto& k : keys_) {
    if (k.kid() == kid) return &k;
  }
  return nullptr;
}

nlohmann::json KeySet::jwks() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : keys_) keys.push_back(k.jwks_entry());
  return nlohmann::json{{"keys", std::move(keys)}};
}

std::string KeySet::jwks_json() const { return jwks().dump(); }

}  // namespace attestd::result
