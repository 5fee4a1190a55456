// JWE creation, checked by two independent implementations: python3-jwcrypto (Debian's
// /usr/bin/python3, through jwe_interop_check.py) and the `jose` command-line tool (Debian package
// jose, libjose). Our own code never decrypts here: a round trip through ourselves would prove
// nothing about interoperability.
#include <stdio.h>
#include <sys/wait.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/evidence/ossl_ptr.h"
#include "attestd/result/base64url.h"
#include "attestd/result/jwe.h"
#include "test_util.h"

namespace attestd::result {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

struct CmdRun {
  int status = -1;
  std::string output;
};

CmdRun run(const std::string& cmd) {
  CmdRun r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string script(const std::string& args) {
  return std::string("/usr/bin/python3 ") + ATTESTD_RESULT_JWE_SCRIPT + " " + args;
}

std::string hex(std::span<const uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const uint8_t c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  if (n > 0) {
    EXPECT_EQ(RAND_bytes(out.data(), static_cast<int>(n)), 1);
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Recipient {
  ossl::PkeyPtr key;
  fs::path pem;
};

Recipient make_recipient(const std::string& kind, const fs::path& dir) {
  Recipient r;
  if (kind == "rsa2048") r.key.reset(EVP_RSA_gen(2048));
  if (kind == "rsa3072") r.key.reset(EVP_RSA_gen(3072));
  if (kind == "p256") r.key.reset(EVP_EC_gen("P-256"));
  if (kind == "p384") r.key.reset(EVP_EC_gen("P-384"));
  r.pem = dir / (kind + ".pem");
  ossl::BioPtr bio(BIO_new_file(r.pem.c_str(), "w"));
  EXPECT_TRUE(bio && r.key);
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), r.key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (const char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

class JweInteropTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JweInteropTest, JwcryptoAndJoseBothDecryptToThePlaintext) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const Recipient r = make_recipient(GetParam(), dir.path());
  const auto jwk = public_jwk_from_pkey(r.key.get());
  ASSERT_TRUE(jwk) << jwk.error().message;
  const auto secret = random_bytes(48);
  const auto token = encrypt_jwe(*jwk, "model-key:3", secret);
  ASSERT_TRUE(token) << token.error().message;
  const fs::path jwe_file = dir.path() / "token.jwe";
  std::ofstream(jwe_file) << *token;

  // Structure (RFC 7516 §7.1): five parts; the encrypted key is one RSA block or a wrapped CEK.
  const auto parts = split(*token, '.');
  ASSERT_EQ(parts.size(), 5u);
  const auto header_bytes = base64url_decode(parts[0]);
  ASSERT_TRUE(header_bytes);
  const json header = json::parse(header_bytes->begin(), header_bytes->end());
  const bool rsa = GetParam().starts_with("rsa");
  EXPECT_EQ(header["alg"], rsa ? "RSA-OAEP-256" : "ECDH-ES+A256KW");
  EXPECT_EQ(header["enc"], "A256GCM");
  EXPECT_EQ(header["kid"], "model-key:3");
  EXPECT_EQ(header.contains("epk"), !rsa);
  EXPECT_EQ(base64url_decode(parts[1])->size(), rsa ? static_cast<size_t>(EVP_PKEY_get_size(r.key.get())) : 40u);
  EXPECT_EQ(base64url_decode(parts[2])->size(), 12u);
  EXPECT_EQ(base64url_decode(parts[4])->size(), 16u);

  const CmdRun py = run(script("decrypt " + r.pem.string() + " " + jwe_file.string()));
  ASSERT_EQ(py.status, 0) << py.output;
  const auto lines = split(py.output, '\n');
  ASSERT_GE(lines.size(), 2u) << py.output;
  EXPECT_EQ(json::parse(lines[0])["kid"], "model-key:3");
  EXPECT_EQ(lines[1], hex(secret));

  // Debian 12's jose (libjose 11) implements no RSA-OAEP variant at all (`jose alg` lists RSA1_5
  // only), so for RSA recipients jwcrypto is the independent check; once jose lists RSA-OAEP-256
  // this test demands it there too.
  if (rsa && run("jose alg").output.find("RSA-OAEP-256") == std::string::npos) return;
  const fs::path jwk_file = dir.path() / "key.jwk";
  const CmdRun exported = run(script("jwk " + r.pem.string() + " " + jwk_file.string()));
  ASSERT_EQ(exported.status, 0) << exported.output;
  const fs::path out_file = dir.path() / "plain.bin";
  const CmdRun jose = run("jose jwe dec -i " + jwe_file.string() + " -k " + jwk_file.string() + " -O " +
                       out_file.string());
  ASSERT_EQ(jose.status, 0) << jose.output;
  const std::string plain = slurp(out_file);
  EXPECT_EQ(std::vector<uint8_t>(plain.begin(), plain.end()), secret);
}

TEST_P(JweInteropTest, TamperedCiphertextIsRefusedByJwcryptoAndJose) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const Recipient r = make_recipient(GetParam(), dir.path());
  const auto jwk = public_jwk_from_pkey(r.key.get());
  ASSERT_TRUE(jwk);
  const auto token = encrypt_jwe(*jwk, "k:1", random_bytes(32));
  ASSERT_TRUE(token);
  auto parts = split(*token, '.');
  auto ct = *base64url_decode(parts[3]);
  ct[0] ^= 1;
  parts[3] = base64url_encode(ct);
  const fs::path jwe_file = dir.path() / "token.jwe";
  std::ofstream(jwe_file) << fmt::format("{}.{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3], parts[4]);
  const CmdRun py = run(script("decrypt " + r.pem.string() + " " + jwe_file.string()));
  EXPECT_EQ(py.status, 1) << py.output;
  if (GetParam().starts_with("rsa") && run("jose alg").output.find("RSA-OAEP-256") == std::string::npos) return;
  const fs::path jwk_file = dir.path() / "key.jwk";
  ASSERT_EQ(run(script("jwk " + r.pem.string() + " " + jwk_file.string())).status, 0);
  const CmdRun jose = run("jose jwe dec -i " + jwe_file.string() + " -k " + jwk_file.string() + " -O " +
                       (dir.path() / "plain.bin").string());
  EXPECT_NE(jose.status, 0) << jose.output;
}

INSTANTIATE_TEST_SUITE_P(Recipients, JweInteropTest, ::testing::Values("rsa2048", "rsa3072", "p256", "p384"));

TEST(JweTest, EveryTokenHasAFreshCekIvAndEphemeralKey) {
  const auto jwk = parse_public_jwk(testing::kRfc7517EcJwk);
  ASSERT_TRUE(jwk);
  const auto secret = random_bytes(32);
  const auto a = encrypt_jwe(*jwk, "k:1", secret);
  const auto b = encrypt_jwe(*jwk, "k:1", secret);
  ASSERT_TRUE(a && b);
  const auto pa = split(*a, '.');
  const auto pb = split(*b, '.');
  EXPECT_NE(pa[0], pb[0]);  // epk differs
  EXPECT_NE(pa[1], pb[1]);
  EXPECT_NE(pa[2], pb[2]);
  EXPECT_NE(pa[3], pb[3]);
}

TEST(JweTest, AlgorithmFollowsTheRecipientKeyType) {
  EXPECT_EQ(jwe_alg_for(JwkType::kRsa), "RSA-OAEP-256");
  EXPECT_EQ(jwe_alg_for(JwkType::kEcP256), "ECDH-ES+A256KW");
  EXPECT_EQ(jwe_alg_for(JwkType::kEcP384), "ECDH-ES+A256KW");
}

TEST(JweTest, RefusesEmptyOrNonPrintableKid) {
  const auto jwk = parse_public_jwk(testing::kRfc7638Jwk);
  ASSERT_TRUE(jwk);
  const auto secret = random_bytes(16);
  for (const std::string_view kid : {std::string_view(""), std::string_view("a\nb"), std::string_view("k\x7f")}) {
    const auto t = encrypt_jwe(*jwk, kid, secret);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().id, kJweInputInvalid);
  }
}

TEST(JweTest, RefusesOversizedPlaintext) {
  const auto jwk = parse_public_jwk(testing::kRfc7638Jwk);
  ASSERT_TRUE(jwk);
  const std::vector<uint8_t> big(kMaxJwePlaintext + 1);
  const auto t = encrypt_jwe(*jwk, "k:1", big);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().id, kJweInputInvalid);
}

}  // namespace
}  // namespace attestd::result
