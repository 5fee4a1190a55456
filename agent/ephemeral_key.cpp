#include "ephemeral_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>

namespace attestd::agent {

namespace {

Error generate_failed(const char* what) {
  return {"agent.key.generate_failed", what};
}

std::optional<Bytes> bn_param(EVP_PKEY* key, const char* name, size_t pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return std::nullopt;
  const int len = BN_num_bytes(bn);
  const size_t size = pad_to != 0 ? pad_to : static_cast<size_t>(len);
  Bytes out(size);
  const bool ok = BN_bn2binpad(bn, out.data(), static_cast<int>(size)) == static_cast<int>(size);
  BN_free(bn);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

std::expected<Bytes, Error> jwk_thumbprint(const nlohmann::json& jwk) {
  const auto str = [&](const char* k) -> std::optional<std::string> {
    const auto it = jwk.find(k);
    if (it == jwk.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto kty = str("kty");
  std::string canonical;
  if (kty == "EC") {
    const auto crv = str("crv"), x = str("x"), y = str("y");
    if (!crv || !x || !y) return std::unexpected(Error{"jwk.unsupported", "EC JWK without crv, x and y"});
    canonical = nlohmann::json({{"crv", *crv}, {"kty", "EC"}, {"x", *x}, {"y", *y}}).dump();
  } else if (kty == "RSA") {
    const auto n = str("n"), e = str("e");
    if (!n || !e) return std::unexpected(Error{"jwk.unsupported", "RSA JWK without n and e"});
    canonical = nlohmann::json({{"e", *e}, {"kty", "RSA"}, {"n", *n}}).dump();
  } else {
    return std::unexpected(Error{"jwk.unsupported", "only EC and RSA JWKs"});
  }
  // nlohmann::json objects keep keys sorted and dump() writes no whitespace: RFC 7638 form.
  Bytes digest(SHA256_DIGEST_LENGTH);
  SHA256(reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size(), digest.data());  // NOLINT
  return digest;
}

std::expected<EphemeralKey, Error> EphemeralKey::generate(EphemeralKeyType type) {
  Pkey key(type == EphemeralKeyType::p256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072}));
  if (!key) return std::unexpected(generate_failed("OpenSSL key generation failed"));
  nlohmann::json jwk;
  if (type == EphemeralKeyType::p256) {
    auto x = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
    auto y = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    if (!x || !y) return std::unexpected(generate_failed("no EC public point"));
    jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"x", base64url_encode(*x)}, {"y", base64url_encode(*y)}};
  } else {
    auto n = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, 0);
    auto e = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, 0);
    if (!n || !e) return std::unexpected(generate_failed("no RSA modulus"));
    jwk = {{"kty", "RSA"}, {"n", base64url_encode(*n)}, {"e", base64url_encode(*e)}};
  }
  auto thumb = jwk_thumbprint(jwk);
  if (!thumb) return std::unexpected(thumb.error());
  return EphemeralKey(std::move(key), type, std::move(jwk), std::move(*thumb));
}

Bytes binding(std::span<const uint8_t> nonce, const EphemeralKey* key) {
  if (key == nullptr) return Bytes(nonce.begin(), nonce.end());
  Bytes input(nonce.begin(), nonce.end());
  input.insert(input.end(), key->thumbprint().begin(), key->thumbprint().end());
  Bytes digest(SHA256_DIGEST_LENGTH);
  SHA256(input.data(), input.size(), digest.data());
  return digest;
}

}  // namespace attestd::agent
