// The published examples in golden-values/examples parse, and the vmboot example appraises the real
// sb-shim-grub boot as affirming and any changed PCR as contraindicated, naming the PCR.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "attestd/policy/appraisal.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/selection.h"
#include "boot_log_util.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using evidence::HashAlg;
namespace fs = std::filesystem;

const fs::path kExamples = fs::path(ATTESTD_GOLDEN_VALUES) / "examples";
const std::chrono::sys_seconds kNow{std::chrono::seconds(1'700'000'000)};

TEST(Examples, EveryExampleDocumentParses) {
  size_t policies = 0;
  size_t sets = 0;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    const std::string name = entry.path().filename().string();
    const std::string text = test::read_text(entry.path().string());
    if (name.starts_with("policy-")) {
      test::must_parse_policy(text);
      ++policies;
    } else if (name.starts_with("reference-set-")) {
      test::must_parse_reference_set(text);
      ++sets;
    } else {
      ADD_FAILURE() << "example of unknown kind: " << name;
    }
  }
  EXPECT_GE(policies, 2u);
  EXPECT_GE(sets, 2u);
}

TEST(Examples, EveryReferenceSetThatAnExamplePolicyNamesIsAnExample) {
  std::vector<std::string> set_names;
  std::vector<Policy> policies;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    const std::string text = test::read_text(entry.path().string());
    if (entry.path().filename().string().starts_with("policy-")) policies.push_back(test::must_parse_policy(text));
    else set_names.push_back(test::must_parse_reference_set(text).name);
  }
  for (const auto& p : policies) {
    for (const auto& name : p.reference_sets) {
      EXPECT_NE(std::find(set_names.begin(), set_names.end(), name), set_names.end()) << p.name << " names " << name;
    }
  }
}

class VmbootExample : public ::testing::Test {
 protected:
  void SetUp() override {
    policy = test::must_parse_policy(test::read_text((kExamples / "policy-vmboot-sb-shim-grub.json").string()));
    sets.push_back(test::must_parse_reference_set(
        test::read_text((kExamples / "reference-set-vmboot-sb-shim-grub.json").string())));
    // Claims as the service fills them from the real boot's quote: every sha256 PCR it read.
    const auto pcrs = nlohmann::json::parse(
        test::read_text(std::string(ATTESTD_SHARED_TESTDATA) + "/vmboot/sb-shim-grub/pcrs.json"));
    TpmClaims tpm;
    tpm.quote_verified = true;
    for (const auto& [index, hex] : pcrs.at("sha256").items()) {
      tpm.pcrs[HashAlg::sha256][static_cast<uint32_t>(std::stoul(index))] = test::digest(hex.get<std::string>());
    }
    tpm.event_log_present = true;
    tpm.event_log_verified = true;
    claims.tpm = tpm;
    claims.evidence_time = kNow - std::chrono::seconds(3);
    claims.tee_key_bound = true;
  }

  Policy policy;
  std::vector<ReferenceSet> sets;
  Claims claims;
};

TEST_F(VmbootExample, RealSbShimGrubPcrsAreAffirming) {
  ASSERT_EQ(claims.tpm->pcrs.at(HashAlg::sha256).size(), 24u);
  const auto a = appraise(policy, sets, claims, kNow);
  EXPECT_EQ(a.verdict, Verdict::affirming) << test::describe(a);
  EXPECT_TRUE(a.reasons.empty());
  EXPECT_EQ(a.releasable_keys, std::vector<std::string>{"vmboot-disk-key"});
}

TEST_F(VmbootExample, OneChangedPcrIsContraindicatedNamingThePcr) {
  // PCR 9 covers what grub loads (kernel, initrd): a different kernel changes it.
  const auto changed = std::string(63, '0') + "1";
  claims.tpm->pcrs[HashAlg::sha256][9] = test::digest(changed);
  const auto a = appraise(policy, sets, claims, kNow);
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  ASSERT_EQ(a.reasons.size(), 1u) << test::describe(a);
  EXPECT_EQ(a.reasons[0].id, kPcrMismatch);
  EXPECT_EQ(a.reasons[0].message,
            "sha256 PCR 9 is " + changed + "; allowed: 6b935723e70e53e0cddfad52ba567fe1dda7088af4df24258ef60913f86de2e5");
  EXPECT_EQ(a.reasons[0].dimension, Ar4siDimension::executables);
  EXPECT_TRUE(a.releasable_keys.empty());
}

TEST_F(VmbootExample, PcrsOutsideThePolicyMayChangeFreely) {
  claims.tpm->pcrs[HashAlg::sha256][14] = test::digest(std::string(64, 'f'));
  EXPECT_EQ(appraise(policy, sets, claims, kNow).verdict, Verdict::affirming);
}

TEST_F(VmbootExample, HostWithTheExampleLabelsIsBoundToTheExamplePolicy) {
  const std::vector<Policy> available = {policy};
  const auto selected = select_policy({{"image", "vmboot"}, {"boot", "sb-shim-grub"}}, std::nullopt, available);
  ASSERT_TRUE(selected.has_value());
  EXPECT_EQ((*selected)->name, "vmboot-secure-boot");
}

// The event-level example on the real boots' verified logs (quotes over sha256:0-9).
TEST(VmbootEventsExample, PassesSbShimGrubAndFailsNosbDirectNamingSecureBootAndTheBootApplications) {
  const Policy policy = test::must_parse_policy(test::read_text((kExamples / "policy-vmboot-sb-events.json").string()));
  const std::vector<ReferenceSet> sets = {test::must_parse_reference_set(
      test::read_text((kExamples / "reference-set-vmboot-sb-shim-grub-events.json").string()))};
  const auto run = [&](const std::string& boot) {
    Claims c;
    c.tpm = test::vmboot_claims(boot);
    c.evidence_time = kNow;
    c.tee_key_bound = true;
    return appraise(policy, sets, c, kNow);
  };
  const auto good = run("sb-shim-grub");
  EXPECT_EQ(good.verdict, Verdict::affirming) << test::describe(good);
  EXPECT_EQ(good.releasable_keys, std::vector<std::string>{"vmboot-disk-key"});
  const auto bad = run("nosb-direct");
  EXPECT_EQ(bad.verdict, Verdict::contraindicated);
  for (const auto id : {kSecureBootDisabled, kDbxMissing, kBootApplicationUnknown, kEventUnknown}) {
    EXPECT_NE(test::find_reason(bad, id), nullptr) << id << "\n" << test::describe(bad);
  }
  // The stub's command line is logged as a digest only: "matches" cannot read it.
  EXPECT_NE(test::find_reason(bad, kKernelCmdlineUnreadable), nullptr) << test::describe(bad);
  EXPECT_TRUE(bad.releasable_keys.empty());
}

}  // namespace
}  // namespace attestd::policy
