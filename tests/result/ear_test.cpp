#include "attestd/result/ear.h"

#include <gtest/gtest.h>

#include "attestd/result/base64url.h"
#include "attestd/result/reasons.h"
#include "test_util.h"

namespace attestd::result {
namespace {

using nlohmann::json;
using testing::at;
using testing::counting_nonce;
using testing::sign_raw;

constexpr int64_t kNow = 1'750'000'000;

class EarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = SigningKey::generate();
    ASSERT_TRUE(k);
    key_.emplace(std::move(*k));
    set_.emplace(*key_);
    auto tee = parse_public_jwk(testing::kRfc7517EcJwk);
    ASSERT_TRUE(tee);
    tee_.emplace(std::move(*tee));
  }

  EarRequest request() const {
    EarRequest req;
    req.nonce = nonce_;
    req.issued_at = at(kNow);
    req.lifetime = std::chrono::seconds(600);
    Submod tpm{"tpm0", Status::kAffirming, {}, "policy/web-v3", {}};
    tpm.trust_vector = derive_trust_vector(EvidenceKind::kTpm, Status::kAffirming, {});
    Submod gpu{"gpu0", Status::kAffirming, {}, "policy/web-v3", {}};
    gpu.trust_vector = derive_trust_vector(EvidenceKind::kGpu, Status::kAffirming, {});
    req.submods = {tpm, gpu};
    return req;
  }

  std::string issue(const EarRequest& req) const {
    auto t = issue_ear(*key_, req);
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? *t : std::string();
  }

  std::expected<VerifiedEar, Error> verify(std::string_view token, int64_t now = kNow,
                                           const EarExpectations& e = {}) const {
    return verify_ear(token, set_->verification_keys(), at(now), e);
  }

  json claims_of(std::string_view token) const {
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    const auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    return json::parse(payload->begin(), payload->end());
  }

  // A token with this payload, validly signed, and the usual header.
  std::string signed_claims(const json& claims) const {
    return sign_raw(*key_, json{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key_->kid()}}.dump(), claims.dump());
  }

  std::vector<uint8_t> nonce_ = counting_nonce();
  std::optional<SigningKey> key_;
  std::optional<KeySet> set_;
  std::optional<PublicJwk> tee_;
};

std::string_view id_of(const std::expected<VerifiedEar, Error>& r) {
  return r ? std::string_view("(verified)") : r.error().id;
}

TEST_F(EarTest, ClaimsFollowTheEarLayout) {
  auto req = request();
  req.tee_key = &*tee_;
  const std::string token = issue(req);
  const json c = claims_of(token);
  EXPECT_EQ(c["eat_profile"], "tag:github.com,2023:veraison/ear");
  EXPECT_EQ(c["iat"], kNow);
  EXPECT_EQ(c["exp"], kNow + 600);
  EXPECT_EQ(c["eat_nonce"], base64url_encode(nonce_));
  EXPECT_EQ(c["ear.verifier-id"]["developer"], "attestd");
  EXPECT_TRUE(c["ear.verifier-id"]["build"].get<std::string>().starts_with("attestd "));
  EXPECT_EQ(c["ear.status"], "affirming");
  const json& tpm = c["submods"]["tpm0"];
  EXPECT_EQ(tpm["ear.status"], "affirming");
  EXPECT_EQ(tpm["ear.trustworthiness-vector"],
            json({{"instance-identity", 2}, {"configuration", 2}, {"executables", 3}, {"hardware", 2}}));
  EXPECT_EQ(tpm["ear.appraisal-policy-id"], "policy/web-v3");
  EXPECT_EQ(tpm["ear.attestd.reasons"], json::array());
  EXPECT_EQ(tpm["ear.veraison.key-attestation"]["akpub"], base64url_encode(tee_->spki_der()));
  EXPECT_EQ(c["submods"]["gpu0"]["ear.veraison.key-attestation"]["akpub"], base64url_encode(tee_->spki_der()));
  // The header is exactly what draft-ietf-rats-ear / RFC 7519 consumers expect.
  const auto header = base64url_decode(token.substr(0, token.find('.')));
  EXPECT_EQ(json::parse(header->begin(), header->end()), json({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key_->kid()}}));
  // And the signature part is r ‖ s.
  EXPECT_EQ(base64url_decode(token.substr(token.rfind('.') + 1))->size(), 64u);
}

TEST_F(EarTest, RoundTripsThroughVerify) {
  auto req = request();
  req.tee_key = &*tee_;
  const auto v = verify(issue(req));
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->status, Status::kAffirming);
  EXPECT_EQ(v->kid, key_->kid());
  EXPECT_EQ(v->nonce, nonce_);
  EXPECT_EQ(v->issued_at, at(kNow));
  EXPECT_EQ(v->expires_at, at(kNow + 600));
  ASSERT_EQ(v->submods.size(), 2u);
  EXPECT_EQ(v->submods[0].name, "gpu0");
  EXPECT_EQ(v->submods[1].name, "tpm0");
  EXPECT_EQ(v->submods[1].trust_vector, req.submods[0].trust_vector);
  EXPECT_EQ(v->submods[1].policy_id, "policy/web-v3");
  ASSERT_TRUE(v->tee_key_spki);
  EXPECT_EQ(*v->tee_key_spki, tee_->spki_der());
  const auto back = public_jwk_from_spki_der(*v->tee_key_spki);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->thumbprint(), tee_->thumbprint());
}

TEST_F(EarTest, WithoutTeeKeyCarriesNoKeyAttestation) {
  const std::string token = issue(request());
  EXPECT_FALSE(claims_of(token)["submods"]["tpm0"].contains("ear.veraison.key-attestation"));
  const auto v = verify(token);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->tee_key_spki);
}

TEST_F(EarTest, OverallStatusIsTheWorstSubmod) {
  auto req = request();
  req.submods[1].status = Status::kWarning;
  EXPECT_EQ(claims_of(issue(req))["ear.status"], "warning");
  req.submods[0].status = Status::kContraindicated;
  EXPECT_EQ(claims_of(issue(req))["ear.status"], "contraindicated");
  // An unappraised part is never hidden by an affirming one.
  req = request();
  req.submods[1].status = Status::kNone;
  req.submods[1].trust_vector = {};
  EXPECT_EQ(claims_of(issue(req))["ear.status"], "none");
}

TEST_F(EarTest, SubmodStatusIsNeverBetterThanItsVector) {
  auto req = request();
  req.submods[0].trust_vector.executables = ar4si::kContraindicatedRuntime;
  const json c = claims_of(issue(req));
  EXPECT_EQ(c["submods"]["tpm0"]["ear.status"], "contraindicated");
  EXPECT_EQ(c["ear.status"], "contraindicated");
}

TEST_F(EarTest, ReasonsTravelPerSubmod) {
  auto req = request();
  req.submods[0].status = Status::kContraindicated;
  req.submods[0].reasons = {"tpm.quote.nonce_mismatch", "policy.golden.pcr_mismatch"};
  req.submods[0].trust_vector = derive_trust_vector(EvidenceKind::kTpm, Status::kContraindicated, req.submods[0].reasons);
  const auto v = verify(issue(req));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, Status::kContraindicated);
  EXPECT_EQ(v->submods[1].reasons, req.submods[0].reasons);
  EXPECT_EQ(v->submods[1].trust_vector.instance_identity, ar4si::kCryptoValidationFailed);
  EXPECT_EQ(v->submods[1].trust_vector.executables, ar4si::kContraindicatedRuntime);
}

TEST_F(EarTest, SignsExactlyTheClaimsBuiltForTheAuditRecord) {
  auto req = request();
  req.tee_key = &*tee_;
  const auto built = build_ear_claims(req);
  ASSERT_TRUE(built);
  EXPECT_EQ(claims_of(issue(req)), *built);
}

TEST_F(EarTest, EscapesPolicyIdsAndReasonsAsJson) {
  auto req = request();
  req.submods[0].policy_id = "pol\"icy\\ \n\x01 caf\xc3\xa9 \xf0\x9f\x94\x92";
  req.submods[0].reasons = {"a\"b", "tab\there"};
  req.submods[0].status = Status::kWarning;
  const auto v = verify(issue(req));
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->submods[1].policy_id, req.submods[0].policy_id);
  EXPECT_EQ(v->submods[1].reasons, req.submods[0].reasons);
}

TEST_F(EarTest, shouldNotIssueBecauseInputIsInvalid) {
  {
    auto bad = request();
    bad.submods[0].policy_id = "\xc0\xaf";  // overlong '/'
    EXPECT_EQ(issue_ear(*key_, bad).error().id, kEarInputInvalid);
    bad = request();
    bad.submods[0].reasons = {"\xed\xa0\x80"};  // a surrogate
    EXPECT_EQ(issue_ear(*key_, bad).error().id, kEarInputInvalid);
  }
  auto req = request();
  req.submods[1].name = "tpm0";
  EXPECT_EQ(issue_ear(*key_, req).error().id, kEarInputInvalid);
  req = request();
  req.submods[0].name = "TPM 0";
  EXPECT_EQ(issue_ear(*key_, req).error().id, kEarInputInvalid);
  req = request();
  req.submods.clear();
  EXPECT_EQ(issue_ear(*key_, req).error().id, kEarInputInvalid);
  req = request();
  const std::vector<uint8_t> short_nonce(7);
  req.nonce = short_nonce;
  EXPECT_EQ(issue_ear(*key_, req).error().id, kEarInputInvalid);
  req = request();
  req.lifetime = std::chrono::seconds(0);
  EXPECT_EQ(issue_ear(*key_, req).error().id, kEarInputInvalid);
}

TEST_F(EarTest, shouldNotVerifyBecauseExpired) {
  const std::string token = issue(request());
  // exp = now + 600; leeway 60: valid until exp + 59, expired from exp + 60 (RFC 7519 §4.1.4).
  EXPECT_TRUE(verify(token, kNow + 659));
  EXPECT_EQ(id_of(verify(token, kNow + 660)), kEarExpired);
  EXPECT_EQ(id_of(verify(token, kNow + 600, EarExpectations{.leeway = std::chrono::seconds(0)})), kEarExpired);
}

TEST_F(EarTest, shouldNotVerifyBecauseIssuedInTheFuture) {
  const std::string token = issue(request());
  EXPECT_TRUE(verify(token, kNow - 60));
  EXPECT_EQ(id_of(verify(token, kNow - 61)), kEarNotYetValid);
}

TEST_F(EarTest, shouldNotVerifyBecauseKidIsUnknownOrMissing) {
  const std::string token = issue(request());
  const auto other = SigningKey::generate();
  const KeySet other_set(*other);
  const auto r = verify_ear(token, other_set.verification_keys(), at(kNow));
  EXPECT_EQ(id_of(r), kEarUnknownKid);
  const std::string no_kid = sign_raw(*key_, R"({"alg":"ES256"})", claims_of(token).dump());
  EXPECT_EQ(id_of(verify(no_kid)), kEarUnknownKid);
}

TEST_F(EarTest, shouldNotVerifyBecauseAlgIsNotEs256) {
  const json claims = claims_of(issue(request()));
  const std::string payload = base64url_encode(claims.dump());
  // RFC 7519 §6: unsecured JWT.
  const std::string none = base64url_encode(json{{"alg", "none"}, {"kid", key_->kid()}}.dump()) + "." + payload + ".";
  EXPECT_EQ(id_of(verify(none)), kEarAlgUnsupported);
  for (const char* alg : {"HS256", "RS256", "ES384", "PS256", "es256", "ES256 "}) {
    const std::string t = sign_raw(*key_, json{{"alg", alg}, {"kid", key_->kid()}}.dump(), claims.dump());
    EXPECT_EQ(id_of(verify(t)), kEarAlgUnsupported) << alg;
  }
}

TEST_F(EarTest, shouldNotVerifyBecauseSignatureIsInvalid) {
  const std::string token = issue(request());
  const auto dot2 = token.rfind('.');
  // Tampered claims.
  json claims = claims_of(token);
  claims["ear.status"] = "affirming";
  claims["exp"] = kNow + 100000;
  const std::string tampered = token.substr(0, token.find('.') + 1) + base64url_encode(claims.dump()) + token.substr(dot2);
  EXPECT_EQ(id_of(verify(tampered)), kEarSignatureInvalid);
  // Flipped signature bit.
  auto sig = *base64url_decode(token.substr(dot2 + 1));
  sig[10] ^= 1;
  EXPECT_EQ(id_of(verify(token.substr(0, dot2 + 1) + base64url_encode(sig))), kEarSignatureInvalid);
  // Empty signature, and a signature of the wrong length.
  EXPECT_EQ(id_of(verify(token.substr(0, dot2 + 1))), kEarSignatureInvalid);
  sig.push_back(0);
  EXPECT_EQ(id_of(verify(token.substr(0, dot2 + 1) + base64url_encode(sig))), kEarSignatureInvalid);
}

TEST_F(EarTest, shouldNotVerifyBecauseStructureIsMalformed) {
  const std::string token = issue(request());
  EXPECT_EQ(id_of(verify("")), kEarMalformed);
  EXPECT_EQ(id_of(verify("a.b")), kEarMalformed);
  EXPECT_EQ(id_of(verify(token + ".x.y")), kEarMalformed);  // JWE-shaped
  EXPECT_EQ(id_of(verify("=" + token)), kEarMalformed);
  EXPECT_EQ(id_of(verify(std::string(kMaxEarSize + 1, 'a'))), kEarMalformed);
  EXPECT_EQ(id_of(verify(base64url_encode(std::string_view("[1]")) + token.substr(token.find('.')))), kEarMalformed);
}

TEST_F(EarTest, shouldNotVerifyBecauseHeaderHasCritOrWrongTyp) {
  const std::string claims = claims_of(issue(request())).dump();
  const auto crit = sign_raw(*key_, json{{"alg", "ES256"}, {"kid", key_->kid()}, {"crit", {"exp"}}}.dump(), claims);
  EXPECT_EQ(id_of(verify(crit)), kEarMalformed);
  const auto typ = sign_raw(*key_, json{{"alg", "ES256"}, {"kid", key_->kid()}, {"typ", "JOSE+JSON"}}.dump(), claims);
  EXPECT_EQ(id_of(verify(typ)), kEarMalformed);
  const auto lower = sign_raw(*key_, json{{"alg", "ES256"}, {"kid", key_->kid()}, {"typ", "jwt"}}.dump(), claims);
  EXPECT_TRUE(verify(lower));
}

TEST_F(EarTest, shouldNotVerifyBecauseAMemberRepeats) {
  const std::string claims = claims_of(issue(request())).dump();
  const std::string dup_header = R"({"alg":"ES256","alg":"none","kid":")" + key_->kid() + R"("})";
  EXPECT_EQ(id_of(verify(sign_raw(*key_, dup_header, claims))), kEarMalformed);
  // A second ear.status in the claims: which one would a relying party read?
  std::string dup_claims = claims;
  dup_claims.insert(1, R"("ear.status":"affirming",)");
  const std::string header = json{{"alg", "ES256"}, {"kid", key_->kid()}}.dump();
  EXPECT_EQ(id_of(verify(sign_raw(*key_, header, dup_claims))), kEarMalformed);
}

TEST_F(EarTest, shouldNotVerifyBecauseClaimsAreMissingOrWrong) {
  const json good = claims_of(issue(request()));
  const auto with = [&](auto mutate) {
    json c = good;
    mutate(c);
    return id_of(verify(signed_claims(c)));
  };
  EXPECT_EQ(with([](json& c) { c["eat_profile"] = "tag:example.com,2024:other"; }), kEarProfileUnsupported);
  EXPECT_EQ(with([](json& c) { c.erase("eat_profile"); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c.erase("exp"); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["iat"] = 1.5; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["exp"] = std::numeric_limits<uint64_t>::max(); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["nbf"] = kNow + 1000; }), kEarNotYetValid);
  EXPECT_EQ(with([](json& c) { c.erase("eat_nonce"); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["eat_nonce"] = "AAAA"; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c.erase("ear.verifier-id"); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["ear.status"] = "Affirming"; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"] = json::object(); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"].erase("ear.status"); }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"]["ear.trustworthiness-vector"]["hardware"] = 300; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"]["ear.trustworthiness-vector"]["hardware"] = std::numeric_limits<uint64_t>::max(); }),
            kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"]["ear.trustworthiness-vector"]["vibes"] = 2; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"]["ear.attestd.reasons"] = {1}; }), kEarMalformed);
  EXPECT_EQ(with([](json& c) { c["submods"]["tpm0"]["ear.veraison.key-attestation"] = {{"akpub", "A"}}; }), kEarMalformed);
}

TEST_F(EarTest, VerifiedStatusIsNeverBetterThanAnyPart) {
  json c = claims_of(issue(request()));
  c["submods"]["gpu0"]["ear.status"] = "warning";  // overall still says affirming
  auto v = verify(signed_claims(c));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, Status::kWarning);
  c = claims_of(issue(request()));
  c["submods"]["gpu0"]["ear.trustworthiness-vector"]["hardware"] = 96;
  v = verify(signed_claims(c));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, Status::kContraindicated);
}

TEST_F(EarTest, TeeKeyIsReportedOnlyWhenEverySubmodAttestsTheSameKey) {
  auto req = request();
  req.tee_key = &*tee_;
  json c = claims_of(issue(req));
  c["submods"]["gpu0"].erase("ear.veraison.key-attestation");
  auto v = verify(signed_claims(c));
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->tee_key_spki);
  const auto other = parse_public_jwk(testing::kRfc7638Jwk);
  c["submods"]["gpu0"]["ear.veraison.key-attestation"] = {{"akpub", base64url_encode(other->spki_der())}};
  EXPECT_EQ(id_of(verify(signed_claims(c))), kEarMalformed);
}

TEST_F(EarTest, ExpectedNonceIsChecked) {
  const std::string token = issue(request());
  EXPECT_TRUE(verify(token, kNow, EarExpectations{.nonce = std::span<const uint8_t>(nonce_)}));
  const auto other = counting_nonce(31);
  EXPECT_EQ(id_of(verify(token, kNow, EarExpectations{.nonce = std::span<const uint8_t>(other)})), kEarNonceMismatch);
}

TEST_F(EarTest, VerifiesWithARetiredKeyAfterRotation) {
  const std::string token = issue(request());
  const auto next = SigningKey::generate();
  const KeySet rotated(*next, {key_->verification_key()});
  const auto v = verify_ear(token, rotated.verification_keys(), at(kNow));
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->kid, key_->kid());
}

TEST(Ar4si, TiersFollowTheDraftRanges) {
  EXPECT_EQ(tier_of(0), Status::kNone);
  EXPECT_EQ(tier_of(-1), Status::kNone);
  EXPECT_EQ(tier_of(1), Status::kNone);
  EXPECT_EQ(tier_of(2), Status::kAffirming);
  EXPECT_EQ(tier_of(31), Status::kAffirming);
  EXPECT_EQ(tier_of(-2), Status::kAffirming);
  EXPECT_EQ(tier_of(32), Status::kWarning);
  EXPECT_EQ(tier_of(95), Status::kWarning);
  EXPECT_EQ(tier_of(-33), Status::kWarning);
  EXPECT_EQ(tier_of(96), Status::kContraindicated);
  EXPECT_EQ(tier_of(127), Status::kContraindicated);
  EXPECT_EQ(tier_of(-128), Status::kContraindicated);
}

TEST(Ar4si, StatusNamesRoundTrip) {
  for (const Status s : {Status::kAffirming, Status::kNone, Status::kWarning, Status::kContraindicated}) {
    EXPECT_EQ(parse_status(to_string(s)), s);
  }
  EXPECT_FALSE(parse_status("AFFIRMING"));
}

TEST(Ar4si, CleanAppraisalMakesPositiveClaims) {
  const auto tpm = derive_trust_vector(EvidenceKind::kTpm, Status::kAffirming, {});
  EXPECT_EQ(tpm.instance_identity, 2);
  EXPECT_EQ(tpm.executables, 3);
  EXPECT_EQ(tpm.worst_tier(), Status::kAffirming);
  const auto gpu = derive_trust_vector(EvidenceKind::kGpu, Status::kAffirming, {});
  EXPECT_FALSE(gpu.executables);
  EXPECT_EQ(gpu.hardware, 2);
}

TEST(Ar4si, ReasonsLowerClaimsAndMakeNoPositiveOnes) {
  const std::vector<std::string> reasons{"gpu.cert.untrusted_root", "gpu.report.signature_invalid", "gpu.measurement.mismatch",
                                         "something.unmapped"};
  const auto v = derive_trust_vector(EvidenceKind::kGpu, Status::kContraindicated, reasons);
  EXPECT_EQ(v.instance_identity, ar4si::kCryptoValidationFailed);  // 99 outranks 97
  EXPECT_EQ(v.hardware, ar4si::kContraindicatedHardware);
  EXPECT_FALSE(v.configuration);
  const std::vector<std::string> parse{"eventlog.parse.truncated"};
  EXPECT_EQ(derive_trust_vector(EvidenceKind::kTpm, Status::kContraindicated, parse).instance_identity,
            ar4si::kUnexpectedEvidence);
  const std::vector<std::string> warn{"tpm.quote.not_safe"};
  const auto w = derive_trust_vector(EvidenceKind::kTpm, Status::kWarning, warn);
  EXPECT_EQ(w.configuration, ar4si::kUnsafeConfig);
  EXPECT_EQ(w.worst_tier(), Status::kWarning);
}

}  // namespace
}  // namespace attestd::result
