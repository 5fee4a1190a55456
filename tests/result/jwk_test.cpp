#include "attestd/result/jwk.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/result/reasons.h"
#include "test_util.h"

namespace attestd::result {
namespace {

using nlohmann::json;
using testing::kRfc7517EcJwk;
using testing::kRfc7638Jwk;
using testing::kRfc7638Thumbprint;

PkeyPtr generate(const char* type, const char* curve) { return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)); }
PkeyPtr generate_rsa(size_t bits) { return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)); }

std::vector<uint8_t> openssl_spki(EVP_PKEY* pkey) {
  unsigned char* buf = nullptr;
  const int len = i2d_PUBKEY(pkey, &buf);
  std::vector<uint8_t> out;
  if (len > 0) out.assign(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

std::string_view expect_error(const std::expected<PublicJwk, Error>& r) {
  EXPECT_FALSE(r.has_value());
  return r ? std::string_view() : r.error().id;
}

TEST(Jwk, ThumbprintOfRfc7638ExampleMatchesTheRfc) {
  const auto jwk = parse_public_jwk(kRfc7638Jwk);
  ASSERT_TRUE(jwk) << jwk.error().message;
  EXPECT_EQ(jwk->type(), JwkType::kRsa);
  EXPECT_EQ(jwk->thumbprint_b64(), kRfc7638Thumbprint);
  // RFC 7638 §3.1 shows the canonical input; it starts with e, then kty, then n.
  EXPECT_TRUE(jwk->canonical_json().starts_with(R"({"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZ)"));
  EXPECT_EQ(jwk->thumbprint(), std::to_array<uint8_t>({0x37, 0x36, 0xcb, 0xb1, 0x78, 0x7c, 0xb8, 0x30, 0x9c, 0x77, 0xee,
                                                        0x8c, 0x37, 0x05, 0xc5, 0xe1, 0x6f, 0xfb, 0x9e, 0x85, 0x97, 0x15,
                                                        0x90, 0x1f, 0x1e, 0x4c, 0x59, 0xb1, 0x11, 0x82, 0xf5, 0x7b}));
}

TEST(Jwk, EcCanonicalJsonHasRequiredMembersInLexicographicOrder) {
  const auto jwk = parse_public_jwk(kRfc7517EcJwk);
  ASSERT_TRUE(jwk) << jwk.error().message;
  EXPECT_EQ(jwk->type(), JwkType::kEcP256);
  EXPECT_EQ(jwk->canonical_json(),
            R"({"crv":"P-256","kty":"EC","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"})");
  EXPECT_FALSE(jwk->spki_der().empty());
}

TEST(Jwk, OptionalMembersDoNotChangeTheThumbprint) {
  auto j = json::parse(kRfc7517EcJwk);
  const auto a = public_jwk_from_json(j);
  j["kid"] = "another";
  j["alg"] = "ECDH-ES+A256KW";
  j["key_ops"] = json::array({"deriveKey"});
  const auto b = public_jwk_from_json(j);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->thumbprint(), b->thumbprint());
}

TEST(Jwk, RoundTripsGeneratedP256P384AndRsaKeys) {
  for (const auto& pkey : {generate("EC", "P-256"), generate("EC", "P-384"), generate_rsa(2048)}) {
    ASSERT_TRUE(pkey);
    const auto from_key = public_jwk_from_pkey(pkey.get());
    ASSERT_TRUE(from_key) << from_key.error().message;
    const auto from_json = parse_public_jwk(from_key->to_json().dump());
    ASSERT_TRUE(from_json) << from_json.error().message;
    EXPECT_EQ(from_key->thumbprint(), from_json->thumbprint());
    const auto from_spki = public_jwk_from_spki_der(from_key->spki_der());
    ASSERT_TRUE(from_spki) << from_spki.error().message;
    EXPECT_EQ(from_spki->thumbprint(), from_key->thumbprint());
    EXPECT_EQ(EVP_PKEY_eq(from_json->pkey(), pkey.get()), 1);
  }
}

TEST(Jwk, shouldNotParseBecausePointIsNotOnTheCurve) {
  auto j = json::parse(kRfc7517EcJwk);
  auto y = *base64url_decode(j["y"].get<std::string>());
  y.back() ^= 1;
  j["y"] = base64url_encode(y);
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseCoordinateIsShorterThanTheCurve) {
  // RFC 7518 §6.2.1.2: leading zeros must be kept; a 31-byte x is not a P-256 coordinate.
  auto j = json::parse(kRfc7517EcJwk);
  auto x = *base64url_decode(j["x"].get<std::string>());
  x.erase(x.begin());
  j["x"] = base64url_encode(x);
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseP384CoordinatesAreGivenAsP256) {
  auto j = json::parse(kRfc7517EcJwk);
  j["crv"] = "P-384";
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseRsaModulusIsBelow2048Bits) {
  const auto pkey = generate_rsa(1024);
  ASSERT_TRUE(pkey);
  EXPECT_EQ(expect_error(public_jwk_from_pkey(pkey.get())), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseRsaModulusHasALeadingZero) {
  auto j = json::parse(kRfc7638Jwk);
  auto n = *base64url_decode(j["n"].get<std::string>());
  n.insert(n.begin(), 0);
  j["n"] = base64url_encode(n);
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseRsaExponentIsEvenOrOne) {
  auto j = json::parse(kRfc7638Jwk);
  j["e"] = base64url_encode(std::vector<uint8_t>{0x01, 0x00, 0x00});
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
  j["e"] = base64url_encode(std::vector<uint8_t>{0x01});
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseBecauseAPrivateMemberIsPresent) {
  auto j = json::parse(kRfc7517EcJwk);
  j["d"] = "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE";
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkPrivate);
}

TEST(Jwk, shouldNotParseBecauseAMemberRepeats) {
  const std::string text =
      R"({"kty":"EC","crv":"P-256","crv":"P-384","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"})";
  EXPECT_EQ(expect_error(parse_public_jwk(text)), kJwkMalformed);
}

TEST(Jwk, shouldNotParseBecauseRequiredMembersAreMissingOrNotStrings) {
  auto j = json::parse(kRfc7517EcJwk);
  j.erase("y");
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkMalformed);
  j = json::parse(kRfc7517EcJwk);
  j["x"] = 5;
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkMalformed);
  j = json::parse(kRfc7517EcJwk);
  j.erase("kty");
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkMalformed);
  j = json::parse(kRfc7517EcJwk);
  j["x"] = j["x"].get<std::string>() + "=";
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkMalformed);
}

TEST(Jwk, shouldNotParseBecauseKeyTypeOrCurveIsUnsupported) {
  EXPECT_EQ(expect_error(parse_public_jwk(R"({"kty":"oct"})")), kJwkUnsupported);
  EXPECT_EQ(expect_error(parse_public_jwk(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")),
            kJwkUnsupported);
  auto j = json::parse(kRfc7517EcJwk);
  j["crv"] = "secp256k1";
  EXPECT_EQ(expect_error(public_jwk_from_json(j)), kJwkUnsupported);
  const auto ed = generate("ED25519", nullptr);
  ASSERT_TRUE(ed);
  EXPECT_EQ(expect_error(public_jwk_from_pkey(ed.get())), kJwkUnsupported);
}

TEST(Jwk, shouldNotParseBecauseTextIsNotAJsonObject) {
  EXPECT_EQ(expect_error(parse_public_jwk("")), kJwkMalformed);
  EXPECT_EQ(expect_error(parse_public_jwk("[]")), kJwkMalformed);
  EXPECT_EQ(expect_error(parse_public_jwk(R"({"kty":"EC")")), kJwkMalformed);
  EXPECT_EQ(expect_error(parse_public_jwk(std::string(kMaxJwkSize + 1, ' '))), kJwkMalformed);
}

// spki_der() of EC keys is written without OpenSSL's encoder and read back without its decoder:
// it must be byte for byte what i2d_PUBKEY writes, and what d2i_PUBKEY reads.
TEST(Jwk, EcSpkiIsByteForByteOpenSslsEncodingBothWays) {
  for (const char* curve : {"P-256", "P-384"}) {
    for (int i = 0; i < 16; ++i) {
      const auto pkey = generate("EC", curve);
      ASSERT_TRUE(pkey);
      const auto jwk = public_jwk_from_pkey(pkey.get());
      ASSERT_TRUE(jwk) << jwk.error().message;
      EXPECT_EQ(jwk->spki_der(), openssl_spki(pkey.get())) << curve;
      const auto back = public_jwk_from_spki_der(openssl_spki(pkey.get()));
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(back->thumbprint(), jwk->thumbprint());
      EXPECT_EQ(EVP_PKEY_eq(back->pkey(), pkey.get()), 1);
    }
  }
}

// A compressed point is not read directly; OpenSSL reads it, and the key is the same key.
TEST(Jwk, CompressedPointSpkiGivesTheSameKey) {
  const auto pkey = generate("EC", "P-256");
  ASSERT_TRUE(pkey);
  const auto uncompressed = public_jwk_from_pkey(pkey.get());
  ASSERT_TRUE(uncompressed);
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
            1);
  const auto compressed_der = openssl_spki(pkey.get());
  ASSERT_EQ(compressed_der.size(), 59U);  // 26-byte prefix with a 34-byte BIT STRING: 0x02/0x03 ‖ x
  const auto back = public_jwk_from_spki_der(compressed_der);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->thumbprint(), uncompressed->thumbprint());
  EXPECT_EQ(back->spki_der(), uncompressed->spki_der());
}

TEST(Jwk, shouldNotParseDirectlyReadSpkiWhosePointIsOffTheCurve) {
  const auto jwk = parse_public_jwk(kRfc7517EcJwk);
  ASSERT_TRUE(jwk);
  auto der = jwk->spki_der();
  ASSERT_EQ(der.size(), 91U);
  der.back() ^= 1;  // the last byte of y
  EXPECT_EQ(expect_error(public_jwk_from_spki_der(der)), kJwkInvalid);
}

TEST(Jwk, shouldNotParseSpkiWithTrailingBytes) {
  const auto jwk = parse_public_jwk(kRfc7517EcJwk);
  ASSERT_TRUE(jwk);
  auto der = jwk->spki_der();
  der.push_back(0);
  EXPECT_EQ(expect_error(public_jwk_from_spki_der(der)), kJwkMalformed);
}

}  // namespace
}  // namespace attestd::result
