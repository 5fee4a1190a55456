#include "attestd/result/signing_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/result/reasons.h"
#include "test_util.h"

namespace attestd::result {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::bytes;
using testing::TempDir;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

void write_file(const fs::path& p, std::string_view content, mode_t mode) {
  std::ofstream(p) << content;
  ::chmod(p.c_str(), mode);
}

std::string pem_of(EVP_PKEY* pkey, bool traditional) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

TEST(SigningKey, KidIsTheRfc7638ThumbprintOfThePublicKey) {
  const auto key = SigningKey::generate();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kid(), key->verification_key().jwk().thumbprint_b64());
  EXPECT_EQ(key->kid().size(), 43u);
}

TEST(SigningKey, PemRoundTripKeepsTheKey) {
  const auto key = SigningKey::generate();
  ASSERT_TRUE(key);
  const std::string pem = key->to_pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
  const auto again = SigningKey::from_pem(pem);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->kid(), key->kid());
}

TEST(SigningKey, SignsJoseR_SThatVerifies) {
  const auto key = SigningKey::generate();
  ASSERT_TRUE(key);
  const auto msg = bytes("eyJhbGciOiJFUzI1NiJ9.e30");
  const auto sig = key->sign_es256(msg);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key->verification_key().verify_es256(msg, *sig));
  auto tampered = msg;
  tampered.back() ^= 1;
  EXPECT_FALSE(key->verification_key().verify_es256(tampered, *sig));
  EXPECT_FALSE(key->verification_key().verify_es256(msg, std::span(*sig).first(63)));
  // Zero r and s are outside [1, n-1].
  EXPECT_FALSE(key->verification_key().verify_es256(msg, Es256Signature{}));
}

TEST(SigningKey, shouldNotLoadTraditionalEcPem) {
  const auto pkey = PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const auto r = SigningKey::from_pem(pem_of(pkey.get(), true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyInvalid);
  EXPECT_TRUE(SigningKey::from_pem(pem_of(pkey.get(), false)));
}

TEST(SigningKey, shouldNotLoadOtherKeyTypes) {
  for (const auto& pkey : {PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")),
                    PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})),
                    PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"))}) {
    const auto r = SigningKey::from_pem(pem_of(pkey.get(), false));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().id, kSigningKeyInvalid);
  }
  EXPECT_FALSE(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n"));
}

TEST(KeyStore, CreatesKeyWithMode0600AndLoadsTheSameKeyLater) {
  TempDir dir;
  const auto first = load_or_create_key_set(dir.path());
  ASSERT_TRUE(first) << first.error().message;
  const fs::path file = dir.path() / kSigningKeyFileName;
  EXPECT_EQ(mode_of(file), 0600u);
  const auto second = load_or_create_key_set(dir.path());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->active().kid(), first->active().kid());
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file() ? 1u : 0u;
  EXPECT_EQ(files, 1u);
}

TEST(KeyStore, shouldRefuseKeyFileReadableByOthers) {
  TempDir dir;
  ASSERT_TRUE(load_or_create_key_set(dir.path()));
  const fs::path file = dir.path() / kSigningKeyFileName;
  ::chmod(file.c_str(), 0644);
  const auto r = load_or_create_key_set(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyInsecure);
}

TEST(KeyStore, shouldRefuseSymlinkedKeyFile) {
  TempDir dir;
  const auto key = SigningKey::generate();
  write_file(dir.path() / "elsewhere.pem", key->to_pem(), 0600);
  fs::create_symlink(dir.path() / "elsewhere.pem", dir.path() / kSigningKeyFileName);
  const auto r = load_or_create_key_set(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyIo);
}

TEST(KeyStore, shouldRefuseCorruptKeyFile) {
  TempDir dir;
  write_file(dir.path() / kSigningKeyFileName, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
  const auto r = load_or_create_key_set(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyInvalid);
}

TEST(KeyStore, RotationKeepsTheOldPublicKeyInTheJwks) {
  TempDir dir;
  const auto before = load_or_create_key_set(dir.path());
  ASSERT_TRUE(before);
  const auto after = rotate_signing_key(dir.path());
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_NE(after->active().kid(), before->active().kid());
  ASSERT_EQ(after->verification_keys().size(), 2u);
  EXPECT_EQ(after->verification_keys()[0].kid(), after->active().kid());
  EXPECT_NE(after->find(before->active().kid()), nullptr);
  // A restart sees the same set.
  const auto reloaded = load_or_create_key_set(dir.path());
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->jwks(), after->jwks());
  // A signature by the retired key still verifies through the set.
  const auto msg = bytes("old");
  const auto sig = before->active().sign_es256(msg);
  EXPECT_TRUE(reloaded->find(before->active().kid())->verify_es256(msg, *sig));
}

TEST(KeyStore, shouldRefuseRetiredKeysWritableByOthers) {
  TempDir dir;
  ASSERT_TRUE(rotate_signing_key(dir.path()));
  const fs::path retired = dir.path() / kRetiredKeysDirName;
  for (const auto& e : fs::directory_iterator(retired)) ::chmod(e.path().c_str(), 0666);
  auto r = load_or_create_key_set(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyInsecure);
  for (const auto& e : fs::directory_iterator(retired)) ::chmod(e.path().c_str(), 0644);
  ::chmod(retired.c_str(), 0777);
  r = load_or_create_key_set(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kSigningKeyInsecure);
}

TEST(Jwks, EntriesCarryExactlyTheEs256Members) {
  const auto key = SigningKey::generate();
  const KeySet set(*key);
  const json jwks = json::parse(set.jwks_json());
  ASSERT_EQ(jwks["keys"].size(), 1u);
  const json& e = jwks["keys"][0];
  EXPECT_EQ(e.size(), 7u);
  EXPECT_EQ(e["kty"], "EC");
  EXPECT_EQ(e["crv"], "P-256");
  EXPECT_EQ(e["alg"], "ES256");
  EXPECT_EQ(e["use"], "sig");
  EXPECT_EQ(e["kid"], key->kid());
  EXPECT_EQ(e["x"].get<std::string>().size(), 43u);
  EXPECT_EQ(e["y"].get<std::string>().size(), 43u);
}

TEST(Jwks, ParsesWhatKeySetServes) {
  TempDir dir;
  ASSERT_TRUE(rotate_signing_key(dir.path()));
  const auto set = load_or_create_key_set(dir.path());
  const auto keys = parse_jwks(set->jwks_json());
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid(), set->active().kid());
}

TEST(Jwks, shouldNotParseBecauseKidRepeats) {
  const auto key = SigningKey::generate();
  json entry = key->verification_key().jwks_entry();
  const auto r = parse_jwks(json{{"keys", {entry, entry}}}.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kJwkMalformed);
}

TEST(Jwks, shouldNotParseBecauseAnEntryIsNotAnEs256Key) {
  const auto key = SigningKey::generate();
  json entry = key->verification_key().jwks_entry();
  entry["alg"] = "RS256";
  auto r = parse_jwks(json{{"keys", {entry}}}.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kJwkUnsupported);
  r = parse_jwks(json{{"keys", {json::parse(testing::kRfc7638Jwk)}}}.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kJwkUnsupported);
  r = parse_jwks(R"({"keys":{}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kJwkMalformed);
}

}  // namespace
}  // namespace attestd::result
