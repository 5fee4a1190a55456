// Appraisal: every reason id, asserted exactly, with the submodule and AR4SI dimension it affects.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/tpm/reasons.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/reasons.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using evidence::HashAlg;
using std::chrono::seconds;
using test::ids;
using Ids = std::vector<std::string_view>;

const std::string kA(64, 'a');
const std::string kA2(64, 'e');
const std::string kB(64, 'b');
const std::string kC(64, 'c');
const std::string kGpuX(96, '1');
const std::string kGpuX2(96, '2');
const std::string kGpuY(96, '3');
const std::chrono::sys_seconds kNow{seconds(1'700'000'000)};

class TpmAppraisal : public ::testing::Test {
 protected:
  Policy policy = test::must_parse_policy(R"({
    "name": "boot", "require": {"tpm": true, "event_log": true, "gpus": 0},
    "reference_sets": ["golden"], "pcrs": {"sha256": [0, 7]}, "max_age_seconds": 300, "keys": ["k"]})");
  std::vector<ReferenceSet> sets = {test::must_parse_reference_set(
      R"({"name": "golden", "pcrs": {"sha256": {"0": [")" + kA + R"(", ")" + kA2 + R"("], "7": [")" + kB + R"("]}}})")};
  Claims claims = good_claims();

  static Claims good_claims() {
    Claims c;
    TpmClaims tpm;
    tpm.quote_verified = true;
    tpm.pcrs[HashAlg::sha256] = {{0, test::digest(kA)}, {7, test::digest(kB)}, {8, test::digest(kC)}};
    tpm.event_log_present = true;
    tpm.event_log_verified = true;
    tpm.event_log_verified_pcrs[HashAlg::sha256] = {0, 7};
    c.tpm = tpm;
    c.evidence_time = kNow - seconds(10);
    c.tee_key_bound = true;
    return c;
  }

  Appraisal run() const { return appraise(policy, sets, claims, kNow); }
};

TEST_F(TpmAppraisal, GoodEvidenceIsAffirmingWithNoReasonAndReleasesKeys) {
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::affirming) << test::describe(a);
  EXPECT_TRUE(a.reasons.empty());
  EXPECT_EQ(a.policy_name, "boot");
  ASSERT_EQ(a.submods.size(), 1u);
  const auto& tpm = a.submods.at("tpm0");
  EXPECT_EQ(tpm.verdict, Verdict::affirming);
  EXPECT_EQ(tpm.dimensions, (std::map<Ar4siDimension, Verdict>{{Ar4siDimension::instance_identity, Verdict::affirming},
                                                                {Ar4siDimension::executables, Verdict::affirming},
                                                                {Ar4siDimension::configuration, Verdict::affirming}}));
  EXPECT_EQ(a.releasable_keys, std::vector<std::string>{"k"});
}

TEST_F(TpmAppraisal, AnyAlternativeGoldenValuePasses) {
  claims.tpm->pcrs[HashAlg::sha256][0] = test::digest(kA2);
  EXPECT_EQ(run().verdict, Verdict::affirming);
}

TEST_F(TpmAppraisal, NoKeysAreReleasableWithoutABoundTeeKey) {
  claims.tee_key_bound = false;
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::affirming);
  EXPECT_TRUE(a.releasable_keys.empty());
}

TEST_F(TpmAppraisal, PcrMismatchIsContraindicatedNamingBankIndexValueAndAlternatives) {
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kPcrMismatch});
  const Reason& r = a.reasons[0];
  EXPECT_EQ(r.message, "sha256 PCR 7 is " + kC + "; allowed: " + kB);
  EXPECT_EQ(r.submod, "tpm0");
  EXPECT_EQ(r.dimension, Ar4siDimension::configuration);
  EXPECT_TRUE(a.releasable_keys.empty());
  const auto& tpm = a.submods.at("tpm0");
  EXPECT_EQ(tpm.verdict, Verdict::contraindicated);
  EXPECT_EQ(tpm.dimensions.at(Ar4siDimension::configuration), Verdict::contraindicated);
  EXPECT_EQ(tpm.dimensions.at(Ar4siDimension::executables), Verdict::affirming);
}

// A fleet-sized golden set: the value that matches may be the last of thousands, alternatives
// repeated across sets count once, and a mismatch names only the first few of them.
std::string nth_digest(size_t n) { return fmt::format("{:064x}", n + 1); }

ReferenceSet set_with_pcr7(const std::string& name, size_t from, size_t count) {
  std::string values;
  for (size_t i = from; i < from + count; ++i) values += (values.empty() ? "\"" : ", \"") + nth_digest(i) + "\"";
  return test::must_parse_reference_set(R"({"name": ")" + name + R"(", "pcrs": {"sha256": {"0": [")" + kA +
                                        R"("], "7": [)" + values + "]}}}");
}

TEST_F(TpmAppraisal, TheLastOfThousandsOfAlternativesMatches) {
  sets = {set_with_pcr7("golden", 0, 5000)};
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(nth_digest(4999));
  EXPECT_EQ(run().verdict, Verdict::affirming) << test::describe(run());
}

TEST_F(TpmAppraisal, AMismatchAgainstThousandsOfAlternativesNamesEightAndCountsTheRestOnce) {
  policy.reference_sets = {"golden", "more"};
  // 0..4999 and 4990..9999: ten values are listed by both sets, so 10,000 distinct alternatives.
  sets = {set_with_pcr7("golden", 0, 5000), set_with_pcr7("more", 4990, 5010)};
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);
  const auto a = run();
  ASSERT_EQ(ids(a.reasons), Ids{kPcrMismatch});
  std::string first_eight;
  for (size_t i = 0; i < 8; ++i) first_eight += (i == 0 ? "" : ", ") + nth_digest(i);
  EXPECT_EQ(a.reasons[0].message, "sha256 PCR 7 is " + kC + "; allowed: " + first_eight + " and 9992 more");
}

TEST_F(TpmAppraisal, PcrMismatchOfCodeMeasurementAffectsExecutables) {
  claims.tpm->pcrs[HashAlg::sha256][0] = test::digest(kC);
  const auto a = run();
  ASSERT_EQ(ids(a.reasons), Ids{kPcrMismatch});
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::executables);
  EXPECT_NE(a.reasons[0].message.find(kA + ", " + kA2), std::string::npos) << a.reasons[0].message;
}

TEST_F(TpmAppraisal, GovernedPcrWithoutGoldenValueFailsClosed) {
  policy.pcrs[HashAlg::sha256] = {0, 7, 8};
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kPcrUnknown});
  EXPECT_NE(a.reasons[0].message.find("sha256 PCR 8"), std::string::npos) << a.reasons[0].message;
}

TEST_F(TpmAppraisal, GovernedPcrMissingFromTheQuoteIsReported) {
  claims.tpm->pcrs[HashAlg::sha256].erase(7);
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kPcrNotQuoted});
  EXPECT_EQ(a.reasons[0].submod, "tpm0");
}

TEST_F(TpmAppraisal, GovernedBankMissingFromTheQuoteReportsEachPcr) {
  policy.pcrs = {{HashAlg::sha384, {0}}};
  const auto a = run();
  EXPECT_EQ(ids(a.reasons), (Ids{kPcrUnknown, kPcrNotQuoted}));
}

TEST_F(TpmAppraisal, AlternativesAreTheUnionOverTheNamedReferenceSets) {
  policy.reference_sets = {"golden", "update"};
  sets.push_back(test::must_parse_reference_set(R"({"name": "update", "pcrs": {"sha256": {"7": [")" + kC + R"("]}}})"));
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);
  EXPECT_EQ(run().verdict, Verdict::affirming);
}

TEST_F(TpmAppraisal, ReferenceSetsThePolicyDoesNotNameAreIgnored) {
  sets.push_back(test::must_parse_reference_set(R"({"name": "other", "pcrs": {"sha256": {"7": [")" + kC + R"("]}}})"));
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);
  EXPECT_EQ(ids(run().reasons), Ids{kPcrMismatch});
}

TEST_F(TpmAppraisal, NamedReferenceSetThatIsNotSuppliedFailsClosed) {
  sets.clear();
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_EQ(ids(a.reasons), (Ids{kReferenceSetMissing, kPcrUnknown, kPcrUnknown}));
  EXPECT_EQ(a.reasons[0].submod, "");
  EXPECT_NE(a.reasons[0].message.find("golden"), std::string::npos);
}

TEST_F(TpmAppraisal, MissingTpmEvidenceIsReportedOnTheTpmSubmodule) {
  claims.tpm.reset();
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_EQ(ids(a.reasons), (Ids{kTpmMissing, kEventLogMissing}));
  EXPECT_EQ(a.reasons[0].submod, "tpm0");
  EXPECT_EQ(a.submods.at("tpm0").verdict, Verdict::contraindicated);
}

TEST_F(TpmAppraisal, MissingEventLogIsReportedWhenRequired) {
  claims.tpm->event_log_present = false;
  claims.tpm->event_log_verified = false;
  const auto a = run();
  ASSERT_EQ(ids(a.reasons), Ids{kEventLogMissing});
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::executables);
}

TEST_F(TpmAppraisal, MissingEventLogPassesWhenNotRequired) {
  policy.require_event_log = false;
  claims.tpm->event_log_present = false;
  claims.tpm->event_log_verified = false;
  EXPECT_EQ(run().verdict, Verdict::affirming);
}

TEST_F(TpmAppraisal, EventLogFailureIsPassedThroughEvenWhenTheLogIsNotRequired) {
  policy.require_event_log = false;
  claims.tpm->event_log_verified = false;
  claims.tpm->event_log_reasons = {{evidence::eventlog::kReplayPcrMismatch, "PCR 4 differs"}};
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{evidence::eventlog::kReplayPcrMismatch});
  EXPECT_EQ(a.reasons[0].message, "PCR 4 differs");
  EXPECT_EQ(a.reasons[0].submod, "tpm0");
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::executables);
}

TEST_F(TpmAppraisal, QuoteFailureIsPassedThroughAndItsPcrsAreNotCompared) {
  claims.tpm->quote_verified = false;
  claims.tpm->quote_reasons = {{evidence::tpm::kQuoteSignatureInvalid, "bad signature"}};
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);  // untrusted: not appraised
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{evidence::tpm::kQuoteSignatureInvalid});
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::instance_identity);
  EXPECT_EQ(a.submods.at("tpm0").dimensions,
            (std::map<Ar4siDimension, Verdict>{{Ar4siDimension::instance_identity, Verdict::contraindicated}}));
}

TEST_F(TpmAppraisal, UnverifiedQuoteWithoutReasonIsStillRefused) {
  claims.tpm->quote_verified = false;
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_EQ(ids(a.reasons), Ids{kUnverified});
}

TEST_F(TpmAppraisal, UnverifiedEventLogWithoutReasonIsStillRefused) {
  claims.tpm->event_log_verified = false;
  EXPECT_EQ(ids(run().reasons), Ids{kUnverified});
}

TEST_F(TpmAppraisal, AttestationWideEvidenceReasonCountsAgainstEverySubmodule) {
  claims.reasons = {{evidence::tpm::kQuoteNonceMismatch, "the binding does not cover the TEE key"}};
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{evidence::tpm::kQuoteNonceMismatch});
  EXPECT_EQ(a.reasons[0].submod, "");
  EXPECT_EQ(a.submods.at("tpm0").verdict, Verdict::contraindicated);
}

TEST_F(TpmAppraisal, EvidenceOlderThanMaxAgeIsStale) {
  claims.evidence_time = kNow - seconds(301);
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kStale});
  EXPECT_NE(a.reasons[0].message.find("301 s old"), std::string::npos) << a.reasons[0].message;
  EXPECT_EQ(a.submods.at("tpm0").verdict, Verdict::contraindicated);
}

TEST_F(TpmAppraisal, EvidenceExactlyMaxAgeOldIsFresh) {
  claims.evidence_time = kNow - seconds(300);
  EXPECT_EQ(run().verdict, Verdict::affirming);
}

TEST_F(TpmAppraisal, EvidenceWithoutTimeIsStale) {
  claims.evidence_time.reset();
  EXPECT_EQ(ids(run().reasons), Ids{kStale});
}

TEST_F(TpmAppraisal, EvidenceFromTheFutureIsStale) {
  claims.evidence_time = kNow + seconds(5);
  EXPECT_EQ(ids(run().reasons), Ids{kStale});
}

TEST_F(TpmAppraisal, UnexpectedGpuBreaksAZeroGpuRequirement) {
  GpuClaim gpu;
  gpu.model = "GH100";
  gpu.verified = true;
  claims.gpus.push_back(gpu);
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kGpuCount});
  EXPECT_EQ(a.reasons[0].message, "1 GPU(s) presented; policy boot requires exactly 0");
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::hardware);
}

TEST_F(TpmAppraisal, EveryFailureIsCollectedNotJustTheFirst) {
  claims.evidence_time = kNow - seconds(1000);
  claims.tpm->event_log_present = false;
  claims.tpm->event_log_verified = false;
  claims.tpm->pcrs[HashAlg::sha256][0] = test::digest(kC);
  claims.tpm->pcrs[HashAlg::sha256][7] = test::digest(kC);
  EXPECT_EQ(ids(run().reasons), (Ids{kStale, kEventLogMissing, kPcrMismatch, kPcrMismatch}));
}

class GpuAppraisal : public ::testing::Test {
 protected:
  Policy policy = test::must_parse_policy(R"({
    "name": "gpus", "require": {"tpm": false, "event_log": false, "gpus": {"min": 1, "max": 2}},
    "reference_sets": ["h100"], "pcrs": {}, "gpu": {"models": ["GH100"], "measurements": "reference"},
    "max_age_seconds": 60})");
  std::vector<ReferenceSet> sets = {test::must_parse_reference_set(R"({"name": "h100", "gpu": {"GH100": {
      "2": [")" + kGpuX + R"(", ")" + kGpuX2 + R"("], "3": [")" + kGpuY + R"("]}}})")};
  Claims claims = with_gpus(1);

  static GpuClaim good_gpu() {
    GpuClaim g;
    g.model = "GH100";
    g.verified = true;
    g.measurements = {{2, test::bytes(kGpuX)}, {3, test::bytes(kGpuY)}, {9, test::bytes("00")}};
    g.driver_version = "550.144.03";
    g.rim = RimComparison{true, {}};
    return g;
  }
  static Claims with_gpus(size_t n) {
    Claims c;
    c.gpus.assign(n, good_gpu());
    c.evidence_time = kNow;
    return c;
  }
  Appraisal run() const { return appraise(policy, sets, claims, kNow); }
};

TEST_F(GpuAppraisal, MatchingGpuIsAffirmingAndIgnoresIndicesWithoutGoldenValues) {
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::affirming) << test::describe(a);
  ASSERT_EQ(a.submods.size(), 1u);  // no TPM given or required: no tpm0
  EXPECT_EQ(a.submods.at("gpu0").dimensions,
            (std::map<Ar4siDimension, Verdict>{{Ar4siDimension::instance_identity, Verdict::affirming},
                                                {Ar4siDimension::executables, Verdict::affirming},
                                                {Ar4siDimension::hardware, Verdict::affirming}}));
}

TEST_F(GpuAppraisal, GpuCountOutsideTheRangeIsReported) {
  claims = with_gpus(3);
  auto a = run();
  ASSERT_EQ(ids(a.reasons), Ids{kGpuCount});
  EXPECT_NE(a.reasons[0].message.find("between 1 and 2"), std::string::npos) << a.reasons[0].message;
  EXPECT_EQ(a.reasons[0].submod, "");
  for (const auto& [name, submod] : a.submods) {
    EXPECT_EQ(submod.verdict, Verdict::contraindicated) << name;
    EXPECT_EQ(submod.reason_ids, std::vector<std::string>{std::string(kGpuCount)}) << name;
  }
  claims = with_gpus(0);
  a = run();
  EXPECT_EQ(ids(a.reasons), Ids{kGpuCount});
  EXPECT_TRUE(a.submods.empty());
}

TEST_F(GpuAppraisal, MeasurementMismatchNamesModelAndIndexOnItsOwnSubmodule) {
  claims = with_gpus(2);
  claims.gpus[1].measurements[3] = test::bytes(kGpuX);
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{kGpuMeasurementMismatch});
  EXPECT_EQ(a.reasons[0].submod, "gpu1");
  EXPECT_EQ(a.reasons[0].message, "GPU model GH100 measurement index 3 is " + kGpuX + "; allowed: " + kGpuY);
  EXPECT_EQ(a.submods.at("gpu0").verdict, Verdict::affirming);
  EXPECT_TRUE(a.submods.at("gpu0").reason_ids.empty());
  EXPECT_EQ(a.submods.at("gpu1").verdict, Verdict::contraindicated);
  EXPECT_EQ(a.submods.at("gpu1").reason_ids, std::vector<std::string>{std::string(kGpuMeasurementMismatch)});
  EXPECT_EQ(a.submods.at("gpu1").dimensions.at(Ar4siDimension::executables), Verdict::contraindicated);
}

TEST_F(GpuAppraisal, GovernedIndexMissingFromTheReportIsAMismatch) {
  claims.gpus[0].measurements.erase(2);
  const auto a = run();
  ASSERT_EQ(ids(a.reasons), Ids{kGpuMeasurementMismatch});
  EXPECT_NE(a.reasons[0].message.find("index 2 is missing"), std::string::npos) << a.reasons[0].message;
}

TEST_F(GpuAppraisal, ModelOutsideThePolicyIsNotAllowedAndHasNoGoldenValues) {
  claims.gpus[0].model = "GB100";
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), (Ids{kGpuModelNotAllowed, kGpuUnknown}));
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::hardware);
  EXPECT_NE(a.reasons[0].message.find("GB100"), std::string::npos);
}

TEST_F(GpuAppraisal, AllowedModelWithoutGoldenValuesFailsClosed) {
  policy.gpu->models.push_back("GB100");
  claims.gpus[0].model = "GB100";
  EXPECT_EQ(ids(run().reasons), Ids{kGpuUnknown});
}

TEST_F(GpuAppraisal, UnverifiedGpuReportsOnlyItsEvidenceReasons) {
  claims.gpus[0].verified = false;
  claims.gpus[0].model = "GB100";
  claims.gpus[0].measurements.clear();
  claims.gpus[0].reasons = {{"gpu.cert.chain_invalid", "chain does not verify"}};
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(a.reasons), Ids{"gpu.cert.chain_invalid"});
  EXPECT_EQ(a.reasons[0].submod, "gpu0");
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::instance_identity);
}

TEST_F(GpuAppraisal, UnverifiedGpuWithoutReasonIsStillRefused) {
  claims.gpus[0].verified = false;
  EXPECT_EQ(ids(run().reasons), Ids{kUnverified});
}

TEST_F(GpuAppraisal, RimModeUsesTheEvidenceLayersComparison) {
  policy.gpu->measurements = GpuMeasurements::rim;
  claims.gpus[0].measurements[3] = test::bytes(kGpuX);  // the reference sets do not count in this mode
  EXPECT_EQ(run().verdict, Verdict::affirming);
  claims.gpus[0].rim = RimComparison{false, {5, 10}};
  const auto a = run();
  ASSERT_EQ(ids(a.reasons), (Ids{kGpuMeasurementMismatch, kGpuMeasurementMismatch}));
  EXPECT_EQ(a.reasons[1].message, "GPU model GH100 measurement index 10 does not match its RIM (RIM index 9)");
}

TEST_F(GpuAppraisal, RimModeWithoutComparisonFailsClosed) {
  policy.gpu->measurements = GpuMeasurements::rim;
  claims.gpus[0].rim.reset();
  EXPECT_EQ(ids(run().reasons), Ids{kGpuRimNotCompared});
}

TEST_F(GpuAppraisal, NoneModeJudgesOnlyIdentityAndModel) {
  policy.gpu->measurements = GpuMeasurements::none;
  claims.gpus[0].measurements.clear();
  claims.gpus[0].rim.reset();
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::affirming);
  EXPECT_FALSE(a.submods.at("gpu0").dimensions.contains(Ar4siDimension::executables));
}

TEST(AppraisalWithoutPolicy, NoPolicyIsNoneAndNeverAPass) {
  Claims claims;
  claims.tpm = TpmClaims{};
  claims.tpm->quote_verified = true;
  claims.tee_key_bound = true;
  const auto a = appraise_without_policy(claims, {kPolicyNone, "no policy applies"});
  EXPECT_EQ(a.verdict, Verdict::none);
  ASSERT_EQ(ids(a.reasons), Ids{kPolicyNone});
  EXPECT_EQ(a.reasons[0].verdict, Verdict::none);
  EXPECT_EQ(a.submods.at("tpm0").verdict, Verdict::none);
  EXPECT_TRUE(a.policy_name.empty());
  EXPECT_TRUE(a.releasable_keys.empty());
}

TEST(AppraisalWithoutPolicy, KeepsTheSelectionReasonId) {
  const auto a = appraise_without_policy(Claims{}, {kPolicyAmbiguous, "2 policies apply"});
  EXPECT_EQ(a.verdict, Verdict::none);
  EXPECT_EQ(ids(a.reasons), Ids{kPolicyAmbiguous});
}

TEST(AppraisalWithoutPolicy, BadEvidenceIsStillContraindicated) {
  Claims claims;
  claims.tpm = TpmClaims{};
  claims.tpm->quote_reasons = {{evidence::tpm::kQuoteBadMagic, "magic"}};
  const auto a = appraise_without_policy(claims, {kPolicyNotFound, "bound to a deleted policy"});
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_EQ(ids(a.reasons), (Ids{kPolicyNotFound, evidence::tpm::kQuoteBadMagic}));
}

TEST(Verdicts, CombineWithContraindicatedOverWarningOverNoneOverAffirming) {
  EXPECT_EQ(worse(Verdict::affirming, Verdict::none), Verdict::none);
  EXPECT_EQ(worse(Verdict::none, Verdict::warning), Verdict::warning);
  EXPECT_EQ(worse(Verdict::warning, Verdict::contraindicated), Verdict::contraindicated);
  EXPECT_EQ(worse(Verdict::contraindicated, Verdict::affirming), Verdict::contraindicated);
  EXPECT_EQ(worse(Verdict::affirming, Verdict::affirming), Verdict::affirming);
}

TEST(Verdicts, SpellTheEarStatusAndAr4siClaimNames) {
  for (const auto v : {Verdict::affirming, Verdict::warning, Verdict::contraindicated, Verdict::none}) {
    EXPECT_EQ(parse_verdict(to_string(v)), v);
  }
  EXPECT_EQ(parse_verdict("pass"), std::nullopt);
  EXPECT_EQ(to_string(Ar4siDimension::instance_identity), "instance-identity");
  EXPECT_EQ(to_string(Ar4siDimension::file_system), "file-system");
  EXPECT_EQ(to_string(Ar4siDimension::sourced_data), "sourced-data");
}

TEST(Dimensions, EvidenceReasonsMapByPrefix) {
  EXPECT_EQ(dimension_of_evidence_reason("tpm.quote.signature_invalid"), Ar4siDimension::instance_identity);
  EXPECT_EQ(dimension_of_evidence_reason("gpu.cert.expired"), Ar4siDimension::instance_identity);
  EXPECT_EQ(dimension_of_evidence_reason("eventlog.replay.pcr_mismatch"), Ar4siDimension::executables);
  EXPECT_EQ(dimension_of_evidence_reason("gpu.measurement.mismatch"), Ar4siDimension::executables);
  EXPECT_EQ(dimension_of_evidence_reason("rim.signature_invalid"), Ar4siDimension::executables);
}

TEST(Dimensions, CodePcrsAreExecutablesAndTheRestConfiguration) {
  for (uint32_t pcr : {0u, 2u, 4u, 9u, 10u, 11u}) EXPECT_EQ(dimension_of_pcr(pcr), Ar4siDimension::executables) << pcr;
  for (uint32_t pcr : {1u, 3u, 5u, 6u, 7u, 8u, 12u, 14u}) EXPECT_EQ(dimension_of_pcr(pcr), Ar4siDimension::configuration) << pcr;
}

}  // namespace
}  // namespace attestd::policy
