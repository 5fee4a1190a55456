// The agent's JWE decryption against JWEs that python3-jwcrypto (an independent implementation)
// encrypts to the agent's in-memory public key, for both algorithms the key broker uses, and every
// refusal with its reason id.
#include "jwe_decrypt.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace attestd::agent {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

// Runs make_jwe.py under Debian's python (python3-jwcrypto) and returns the compact JWE.
std::string jwcrypto_encrypt(const std::string& alg, const EphemeralKey& key, const Bytes& plaintext) {
  const std::string cmd = "/usr/bin/python3 " AGENT_MAKE_JWE " " + shell_quote(alg) + " " +
                          shell_quote(key.public_jwk().dump()) + " " + to_hex(plaintext);
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return {};
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << cmd;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Bytes secret() {
  Bytes s;
  for (int i = 0; i < 48; ++i) s.push_back(static_cast<uint8_t>(i * 37 + 5));
  return s;
}

EphemeralKey make(EphemeralKeyType t) {
  auto k = EphemeralKey::generate(t);
  EXPECT_TRUE(k.has_value());
  return std::move(*k);
}

// Replaces one of the five parts of a compact JWE.
std::string with_part(const std::string& jwe, size_t index, const std::string& value) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = jwe.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwe.substr(start, dot - start));
  parts.push_back(jwe.substr(start));
  parts.at(index) = value;
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

std::string flip_last_char(std::string b64) {
  b64.front() = b64.front() == 'A' ? 'B' : 'A';
  return b64;
}

TEST(JweDecrypt, DecryptsJwcryptoEcdhEsA256kwToP256Key) {
  const auto key = make(EphemeralKeyType::p256);
  const auto jwe = jwcrypto_encrypt("ECDH-ES+A256KW", key, secret());
  auto plain = jwe_decrypt(jwe, key);
  ASSERT_TRUE(plain.has_value()) << plain.error().id << ": " << plain.error().message;
  EXPECT_EQ(*plain, secret());
}

TEST(JweDecrypt, DecryptsJwcryptoRsaOaep256ToRsa3072Key) {
  const auto key = make(EphemeralKeyType::rsa3072);
  const auto jwe = jwcrypto_encrypt("RSA-OAEP-256", key, secret());
  auto plain = jwe_decrypt(jwe, key);
  ASSERT_TRUE(plain.has_value()) << plain.error().id << ": " << plain.error().message;
  EXPECT_EQ(*plain, secret());
}

TEST(JweDecrypt, RefusesJweForAnotherP256KeyAsKeyUnwrapFailed) {
  const auto key = make(EphemeralKeyType::p256);
  const auto other = make(EphemeralKeyType::p256);
  auto plain = jwe_decrypt(jwcrypto_encrypt("ECDH-ES+A256KW", other, secret()), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.key_unwrap_failed");
}

TEST(JweDecrypt, RefusesJweForAnotherRsaKeyAsKeyUnwrapFailed) {
  const auto key = make(EphemeralKeyType::rsa3072);
  const auto other = make(EphemeralKeyType::rsa3072);
  auto plain = jwe_decrypt(jwcrypto_encrypt("RSA-OAEP-256", other, secret()), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.key_unwrap_failed");
}

TEST(JweDecrypt, RefusesTamperedTagAsDecryptFailed) {
  const auto key = make(EphemeralKeyType::p256);
  const auto jwe = jwcrypto_encrypt("ECDH-ES+A256KW", key, secret());
  const std::string tag = jwe.substr(jwe.rfind('.') + 1);
  auto plain = jwe_decrypt(with_part(jwe, 4, flip_last_char(tag)), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.decrypt_failed");
}

TEST(JweDecrypt, RefusesTamperedCiphertextAsDecryptFailed) {
  const auto key = make(EphemeralKeyType::rsa3072);
  const auto jwe = jwcrypto_encrypt("RSA-OAEP-256", key, secret());
  const size_t c = jwe.find('.', jwe.find('.', jwe.find('.') + 1) + 1) + 1;
  std::string ct = jwe.substr(c, jwe.rfind('.') - c);
  auto plain = jwe_decrypt(with_part(jwe, 3, flip_last_char(ct)), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.decrypt_failed");
}

TEST(JweDecrypt, RefusesChangedProtectedHeaderAsDecryptFailed) {
  // The header is the AAD: adding a member (still valid JSON, same alg/enc) breaks the tag.
  const auto key = make(EphemeralKeyType::p256);
  const auto jwe = jwcrypto_encrypt("ECDH-ES+A256KW", key, secret());
  const auto header_bytes = base64url_decode(jwe.substr(0, jwe.find('.')));
  ASSERT_TRUE(header_bytes.has_value());
  auto header = nlohmann::json::parse(header_bytes->begin(), header_bytes->end());
  header["kid"] = "mallory:1";
  const std::string text = header.dump();
  const std::string b64 = base64url_encode(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  auto plain = jwe_decrypt(with_part(jwe, 0, b64), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.decrypt_failed");
}

TEST(JweDecrypt, RefusesEcdhJweToRsaKeyAsKeyMismatch) {
  const auto ec = make(EphemeralKeyType::p256);
  const auto rsa = make(EphemeralKeyType::rsa3072);
  auto plain = jwe_decrypt(jwcrypto_encrypt("ECDH-ES+A256KW", ec, secret()), rsa);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.key_mismatch");
}

TEST(JweDecrypt, RefusesOtherAlgorithmsAsAlgUnsupported) {
  // RSA-OAEP (SHA-1) is a valid jwcrypto algorithm the broker never uses: refused before decryption.
  const auto key = make(EphemeralKeyType::rsa3072);
  auto plain = jwe_decrypt(jwcrypto_encrypt("RSA-OAEP", key, secret()), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.alg_unsupported");
}

TEST(JweDecrypt, RefusesEpkOffTheCurveAsKeyMismatch) {
  const auto key = make(EphemeralKeyType::p256);
  const auto jwe = jwcrypto_encrypt("ECDH-ES+A256KW", key, secret());
  const auto header_bytes = base64url_decode(jwe.substr(0, jwe.find('.')));
  ASSERT_TRUE(header_bytes.has_value());
  auto header = nlohmann::json::parse(header_bytes->begin(), header_bytes->end());
  auto y = *base64url_decode(header["epk"]["y"].get<std::string>());
  y.back() ^= 1;  // (x, y') is not on P-256: an invalid-curve attack input
  header["epk"]["y"] = base64url_encode(y);
  const std::string text = header.dump();
  const std::string b64 = base64url_encode(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  auto plain = jwe_decrypt(with_part(jwe, 0, b64), key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.key_mismatch");
}

TEST(JweDecrypt, RefusesMalformedCompactForms) {
  const auto key = make(EphemeralKeyType::p256);
  for (const char* bad : {"", "a.b.c.d", "a.b.c.d.e.f", "!!.a.a.a.a", "e30.a.a.a.a"}) {
    auto plain = jwe_decrypt(bad, key);
    ASSERT_FALSE(plain.has_value()) << bad;
    EXPECT_TRUE(plain.error().id == "jwe.malformed" || plain.error().id == "jwe.enc_unsupported") << bad;
  }
  // {"alg":"ECDH-ES+A256KW","enc":"A128GCM"}
  auto plain = jwe_decrypt(
      "eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkExMjhHQ00ifQ.AA.AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA", key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.enc_unsupported");
  // {"alg":"ECDH-ES+A256KW","enc":"A256GCM","zip":"DEF"}
  plain = jwe_decrypt(
      "eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJ6aXAiOiJERUYifQ.AA.AAAAAAAAAAAAAAAA.AA."
      "AAAAAAAAAAAAAAAAAAAAAA",
      key);
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().id, "jwe.header_unsupported");
}

TEST(JwkThumbprint, MatchesRfc7638Example) {
  // RFC 7638 §3.1: the example RSA key's thumbprint.
  const nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto t = jwk_thumbprint(jwk);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(base64url_encode(*t), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(Binding, IsNonceWithoutKeyAndSha256OfNonceAndThumbprintWithOne) {
  const Bytes nonce(32, 0x5a);
  EXPECT_EQ(binding(nonce, nullptr), nonce);
  const auto key = make(EphemeralKeyType::p256);
  const auto b = binding(nonce, &key);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_NE(b, nonce);
}

}  // namespace
}  // namespace attestd::agent
