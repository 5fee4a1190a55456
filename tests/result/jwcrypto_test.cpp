// Interoperability with an independent JOSE implementation: python3-jwcrypto, run by Debian's
// /usr/bin/python3 (the python3 on PATH may be a pyenv without it) through ear_jwcrypto_check.py.
#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/result/ear.h"
#include "attestd/result/reasons.h"
#include "test_util.h"

namespace attestd::result {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

constexpr const char* kPython = "/usr/bin/python3";

struct ScriptRun {
  int status = -1;
  std::string output;
};

ScriptRun run_script(const std::string& args) {
  const std::string cmd = std::string(kPython) + " " + ATTESTD_RESULT_JWCRYPTO_SCRIPT + " " + args + " 2>&1";
  ScriptRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void write_file(const fs::path& p, std::string_view content) { std::ofstream(p) << content; }

int64_t wall_clock_now() {
  // The test reads the clock (the library never does) because jwcrypto checks exp against its own.
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Issues an EAR with attestd and lets jwcrypto verify it against attestd's JWKS.
void check_ours_in_jwcrypto(bool with_tee_key) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // A rotated key set: the JWKS has two keys, the token is signed by the active one.
  ASSERT_TRUE(rotate_signing_key(dir.path() / ""));
  const auto set = load_or_create_key_set(dir.path());
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->verification_keys().size(), 2u);
  const auto tee = parse_public_jwk(testing::kRfc7638Jwk);
  ASSERT_TRUE(tee);

  const auto nonce = testing::counting_nonce();
  EarRequest req;
  req.nonce = nonce;
  req.issued_at = testing::at(wall_clock_now());
  req.lifetime = std::chrono::seconds(300);
  req.tee_key = with_tee_key ? &*tee : nullptr;
  Submod tpm{"tpm0", Status::kAffirming, derive_trust_vector(EvidenceKind::kTpm, Status::kAffirming, {}), "policy/a", {}};
  const std::vector<std::string> gpu_reasons{"gpu.measurement.mismatch"};
  Submod gpu{"gpu0", Status::kContraindicated, derive_trust_vector(EvidenceKind::kGpu, Status::kContraindicated, gpu_reasons),
             "policy/a", gpu_reasons};
  req.submods = {tpm, gpu};
  const auto token = issue_ear(set->active(), req);
  ASSERT_TRUE(token) << token.error().message;

  json expect = {
      {"kid", set->active().kid()},
      {"eat_nonce", base64url_encode(nonce)},
      {"status", "contraindicated"},
      {"submods",
       {{"tpm0",
         {{"status", "affirming"},
          {"vector", {{"instance-identity", 2}, {"configuration", 2}, {"executables", 3}, {"hardware", 2}}},
          {"policy", "policy/a"},
          {"reasons", json::array()}}},
        {"gpu0",
         {{"status", "contraindicated"}, {"vector", {{"hardware", 96}}}, {"policy", "policy/a"}, {"reasons", gpu_reasons}}}}},
  };
  if (with_tee_key) expect["akpub"] = base64url_encode(tee->spki_der());
  write_file(dir.path() / "jwks.json", set->jwks_json());
  write_file(dir.path() / "token.jwt", *token);
  write_file(dir.path() / "expect.json", expect.dump());
  const ScriptRun r = run_script("check " + dir.path().string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
}

TEST(Jwcrypto, VerifiesOurEarWithTeeKeyAgainstOurJwks) { check_ours_in_jwcrypto(true); }
TEST(Jwcrypto, VerifiesOurEarWithoutTeeKeyAgainstOurJwks) { check_ours_in_jwcrypto(false); }

// jwcrypto signs tokens (and forgeries) once for the tests below.
class JwcryptoMade : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    now_ = wall_clock_now();
    const ScriptRun r = run_script("make " + dir_->path().string() + " " + std::to_string(now_));
    made_ok_ = r.status == 0;
    made_output_ = r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(made_ok_) << made_output_; }

  static std::expected<VerifiedEar, Error> verify(const std::string& name) {
    const auto keys = parse_jwks(read_file(dir_->path() / "ext_jwks.json"));
    EXPECT_TRUE(keys) << (keys ? "" : keys.error().message);
    if (!keys) return std::unexpected(keys.error());
    return verify_ear(read_file(dir_->path() / (name + ".jwt")), *keys, testing::at(now_));
  }

  static inline TempDir* dir_ = nullptr;
  static inline int64_t now_ = 0;
  static inline bool made_ok_ = false;
  static inline std::string made_output_;
};

TEST_F(JwcryptoMade, OurVerifierAcceptsAnEarSignedByJwcrypto) {
  const auto v = verify("ext_ok");
  ASSERT_TRUE(v) << v.error().id << ": " << v.error().message;
  EXPECT_EQ(v->kid, "jwcrypto-key-1");
  EXPECT_EQ(v->status, Status::kAffirming);
  EXPECT_EQ(v->nonce, testing::counting_nonce());
  ASSERT_EQ(v->submods.size(), 1u);
  EXPECT_EQ(v->submods[0].trust_vector.executables, 3);
  EXPECT_EQ(v->submods[0].policy_id, "policy/x");
}

TEST_F(JwcryptoMade, OurVerifierRefusesForgeries) {
  const std::pair<const char*, std::string_view> cases[] = {
      {"ext_wrong_key", kEarSignatureInvalid},    {"ext_tampered", kEarSignatureInvalid},
      {"ext_der_signature", kEarSignatureInvalid}, {"ext_alg_none", kEarAlgUnsupported},
      {"ext_hs256", kEarAlgUnsupported},           {"ext_es384", kEarAlgUnsupported},
      {"ext_expired", kEarExpired},
  };
  for (const auto& [name, id] : cases) {
    const auto v = verify(name);
    ASSERT_FALSE(v) << name;
    EXPECT_EQ(v.error().id, id) << name << ": " << v.error().message;
  }
}

TEST_F(JwcryptoMade, ThumbprintsMatchJwcryptoAndRfc7638) {
  const json thumbs = json::parse(read_file(dir_->path() / "thumbprints.json"));
  ASSERT_EQ(thumbs["rfc7638"]["thumbprint"], testing::kRfc7638Thumbprint);
  for (const char* name : {"rfc7638", "ec_p256", "ec_p384", "rsa_2048"}) {
    const auto jwk = parse_public_jwk(thumbs[name]["jwk"].dump());
    ASSERT_TRUE(jwk) << name << ": " << jwk.error().message;
    EXPECT_EQ(jwk->thumbprint_b64(), thumbs[name]["thumbprint"].get<std::string>()) << name;
  }
}

}  // namespace
}  // namespace attestd::result
