// Issue 5 acceptance on real boots: policies learned from one vmboot boot, and policies written by
// hand for the GCE logs of go-eventlog / go-attestation. The Secure Boot states and dbx hashes the
// policies name were read from the logs by an independent Python reading (UEFI_VARIABLE_DATA and
// EFI_SIGNATURE_LIST decoded by hand), not by our decoder.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/learn.h"
#include "attestd/policy/reasons.h"
#include "boot_log_util.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using std::chrono::seconds;
using test::ids;
using Ids = std::vector<std::string_view>;
namespace el = evidence::eventlog;

const std::chrono::sys_seconds kNow{seconds(1'800'000'000)};

Claims claims_of(TpmClaims tpm) {
  Claims c;
  c.tpm = std::move(tpm);
  c.evidence_time = kNow - seconds(5);
  return c;
}

ReferenceSet learned(const std::string& boot, const std::string& name) {
  const auto tpm = test::vmboot_claims(boot);
  EXPECT_TRUE(tpm.event_log_verified) << boot;
  // Through the document, as attestctl uploads it: the JSON form must carry everything.
  return test::must_parse_reference_set(to_json(learn_reference_set(*tpm.boot_events, {name, "", {}, nullptr, {}})).dump());
}

// A policy over `set`: every event of PCR 0-9 known, boot applications and the command line from it.
Policy learned_policy(const std::string& set, bool secure_boot) {
  return test::must_parse_policy(fmt::format(R"({{
    "name": "learned", "require": {{"tpm": true, "event_log": true, "gpus": 0}},
    "reference_sets": ["{0}"], "pcrs": {{}}, "max_age_seconds": 60,
    {1}
    "boot_applications": {{"only_from": "{0}"}},
    "kernel_cmdline": {{"only_from": "{0}"}},
    "events": {{"pcrs": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "only_from": "{0}"}}}})",
                                            set, secure_boot ? R"("secure_boot": "required",)" : ""));
}

TEST(LearnedPolicy, NosbDirectPassesItselfAndFailsCmdline2WithExactlyTheCommandLine) {
  const std::vector<ReferenceSet> sets = {learned("nosb-direct", "nosb-direct")};
  const Policy policy = learned_policy("nosb-direct", false);

  const auto own = appraise(policy, sets, claims_of(test::vmboot_claims("nosb-direct")), kNow);
  EXPECT_EQ(own.verdict, Verdict::affirming) << test::describe(own);

  const auto other = appraise(policy, sets, claims_of(test::vmboot_claims("nosb-direct-cmdline2")), kNow);
  EXPECT_EQ(other.verdict, Verdict::contraindicated);
  ASSERT_EQ(ids(other.reasons), Ids{kKernelCmdlineMismatch}) << test::describe(other);
  const Reason& r = other.reasons[0];
  ASSERT_TRUE(r.event.has_value());
  // The EFI stub's LoadOptions tag: event 21 of the log, PCR 9 (eventlog.json of the boot).
  EXPECT_EQ(r.event->index, 21u);
  EXPECT_EQ(r.event->pcr, 9u);
  EXPECT_EQ(r.event->type, el::EV_EVENT_TAG);
  EXPECT_TRUE(r.event->digest.starts_with("sha512:")) << r.event->digest;
  EXPECT_EQ(r.submod, "tpm0");
  EXPECT_EQ(r.dimension, Ar4siDimension::configuration);
}

TEST(LearnedPolicy, CommandLineEqualsIsCheckedAgainstTheEfiStubDigest) {
  // cmdline.txt of each boot; the stub measures it as UTF-16LE with its NUL.
  auto policy = test::must_parse_policy(R"({
    "name": "cmdline", "require": {"tpm": true, "event_log": true, "gpus": 0}, "pcrs": {},
    "max_age_seconds": 60, "kernel_cmdline": {"equals": "console=ttyS0 initrd=initrd"}})");
  const auto pass = appraise(policy, {}, claims_of(test::vmboot_claims("nosb-direct")), kNow);
  EXPECT_EQ(pass.verdict, Verdict::affirming) << test::describe(pass);
  const auto fail = appraise(policy, {}, claims_of(test::vmboot_claims("nosb-direct-cmdline2")), kNow);
  EXPECT_EQ(ids(fail.reasons), Ids{kKernelCmdlineMismatch}) << test::describe(fail);

  // "matches" needs the text, which the stub does not log: refused, never guessed.
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::matches, "console=ttyS0 .*"};
  const auto unreadable = appraise(policy, {}, claims_of(test::vmboot_claims("nosb-direct")), kNow);
  EXPECT_EQ(ids(unreadable.reasons), Ids{kKernelCmdlineUnreadable}) << test::describe(unreadable);
}

TEST(LearnedPolicy, SbShimGrubPassesItselfAndFailsNosbDirectNamingSecureBootAndBootApplications) {
  const std::vector<ReferenceSet> sets = {learned("sb-shim-grub", "sb-shim-grub")};
  const Policy policy = learned_policy("sb-shim-grub", true);

  const auto own = appraise(policy, sets, claims_of(test::vmboot_claims("sb-shim-grub")), kNow);
  EXPECT_EQ(own.verdict, Verdict::affirming) << test::describe(own);
  EXPECT_TRUE(own.reasons.empty());

  const auto other = appraise(policy, sets, claims_of(test::vmboot_claims("nosb-direct")), kNow);
  EXPECT_EQ(other.verdict, Verdict::contraindicated);
  const Reason* sb = test::find_reason(other, kSecureBootDisabled);
  ASSERT_NE(sb, nullptr) << test::describe(other);
  ASSERT_TRUE(sb->event.has_value());
  EXPECT_EQ(sb->event->index, 4u);  // SecureBoot, PCR 7
  EXPECT_EQ(sb->event->pcr, 7u);
  EXPECT_EQ(sb->event->type, el::EV_EFI_VARIABLE_DRIVER_CONFIG);
  const Reason* app = test::find_reason(other, kBootApplicationUnknown);
  ASSERT_NE(app, nullptr) << test::describe(other);
  EXPECT_EQ(app->event->index, 10u);  // the kernel's EFI stub, PCR 4
  EXPECT_EQ(app->event->pcr, 4u);
  EXPECT_EQ(app->event->digest.substr(0, 7), "sha512:");
  EXPECT_EQ(std::count(other.reasons.begin(), other.reasons.end(), *app), 1);
  // nosb-direct's PCR 9 command line is not a grub one: the stub's tag is unknown to the set.
  EXPECT_NE(test::find_reason(other, kKernelCmdlineMismatch), nullptr);
  EXPECT_NE(test::find_reason(other, kEventUnknown), nullptr);
  EXPECT_TRUE(other.releasable_keys.empty());
}

TEST(LearnedPolicy, GrubCommandLineTextIsReadForEqualsAndMatches) {
  // sb-shim-grub event 44: "kernel_cmdline: /vmlinuz console=ttyS0 attest.boot=sb-shim-grub".
  auto policy = test::must_parse_policy(R"({
    "name": "cmdline", "require": {"tpm": true, "event_log": true, "gpus": 0}, "pcrs": {},
    "max_age_seconds": 60, "kernel_cmdline": {"matches": "/vmlinuz console=ttyS0( [a-z.]+=[a-z-]+)*"}})");
  const auto claims = claims_of(test::vmboot_claims("sb-shim-grub"));
  EXPECT_EQ(appraise(policy, {}, claims, kNow).verdict, Verdict::affirming);
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::matches, "/vmlinuz console=ttyS0"};
  const auto a = appraise(policy, {}, claims, kNow);
  ASSERT_EQ(ids(a.reasons), Ids{kKernelCmdlineMismatch});
  EXPECT_EQ(a.reasons[0].event->index, 44u);
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::equals, "/vmlinuz console=ttyS0 attest.boot=sb-shim-grub"};
  EXPECT_EQ(appraise(policy, {}, claims, kNow).verdict, Verdict::affirming);
}

TEST(LearnedPolicy, EveryLearnedEventHasAHumanDescription) {
  const auto set = learned("sb-shim-grub", "sb");
  ASSERT_FALSE(set.events.empty());
  const auto has = [&](std::string_view text) {
    return std::any_of(set.events.begin(), set.events.end(),
                       [&](const ReferenceEvent& e) { return e.description.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("SecureBoot = 1 (enabled)"));
  EXPECT_TRUE(has("dbx (1 entries)"));
  EXPECT_TRUE(has("kernel_cmdline: /vmlinuz console=ttyS0 attest.boot=sb-shim-grub"));
  EXPECT_TRUE(has("\\EFI\\BOOT\\BOOTX64.EFI")) << to_json(set).dump(1);
  EXPECT_TRUE(has("BootOrder"));
}

// ---- GCE logs, hand-written policies ----

struct GceLog {
  std::string log;       // path under testdata
  std::string expected;  // the TPM-reported PCRs
};

TpmClaims gce_claims(const GceLog& g) {
  auto tpm = test::tpm_claims(test::kShared + "/" + g.log, test::quoted_pcrs(test::kShared + "/" + g.expected));
  EXPECT_TRUE(tpm.event_log_verified) << g.log << "\n" << test::messages(tpm.event_log_reasons);
  return tpm;
}

const std::string kGe = "go-eventlog/testdata/eventlogs/tpm/";

Policy gce_policy(bool with_dbx) {
  // The first two EFI_CERT_SHA256 entries of the GCE dbx (the 2020 BootHole revocations).
  return test::must_parse_policy(fmt::format(R"({{
    "name": "gce-secure-boot", "require": {{"tpm": true, "event_log": true, "gpus": 0}}, "pcrs": {{}},
    "max_age_seconds": 60, "secure_boot": "required"{}}})",
                                             with_dbx ? R"(, "dbx": {"must_contain": [
      "80b4d96931bf0d02fd91a61e19d14f1da452e66db2408ca8604d411f92659f0a",
      "f52f83a3fa9cfbd6920f722824dbe4034534d25b8507246b3b957dac6e1bce7a"]})"
                                                      : ""));
}

TEST(GcePolicy, SecureBootOnWithDbxPasses) {
  for (const GceLog& g : {GceLog{kGe + "rhel8-uefi.bin", kGe + "rhel8-uefi.expected.json"},
                          GceLog{kGe + "debian-10.bin", kGe + "debian-10.expected.json"}}) {
    const auto a = appraise(gce_policy(true), {}, claims_of(gce_claims(g)), kNow);
    EXPECT_EQ(a.verdict, Verdict::affirming) << g.log << "\n" << test::describe(a);
  }
  // COS logs: Secure Boot on, dbx without SHA-256 entries: the Secure Boot rule alone passes.
  for (const GceLog& g : {GceLog{kGe + "cos-85-amd-sev.bin", kGe + "cos-85-amd-sev.expected.json"},
                          GceLog{kGe + "cos-93-amd-sev.bin", kGe + "cos-93-amd-sev.expected.json"}}) {
    const auto claims = claims_of(gce_claims(g));
    EXPECT_EQ(appraise(gce_policy(false), {}, claims, kNow).verdict, Verdict::affirming) << g.log;
    const auto with_dbx = appraise(gce_policy(true), {}, claims, kNow);
    EXPECT_EQ(ids(with_dbx.reasons), (Ids{kDbxMissing, kDbxMissing})) << test::describe(with_dbx);
  }
}

TEST(GcePolicy, SecureBootOffLogsFailWithSecureBootDisabled) {
  for (const GceLog& g :
       {GceLog{kGe + "ubuntu-2104-no-dbx.bin", kGe + "ubuntu-2104-no-dbx.expected.json"},
        GceLog{"go-attestation/attest/testdata/ubuntu_2104_shielded_vm_no_secure_boot_eventlog",
               kGe + "ubuntu-2104-no-secure-boot.expected.json"},
        GceLog{kGe + "glinux-alex.bin", kGe + "glinux-alex.expected.json"}}) {
    const auto a = appraise(gce_policy(false), {}, claims_of(gce_claims(g)), kNow);
    EXPECT_EQ(ids(a.reasons), Ids{kSecureBootDisabled}) << g.log << "\n" << test::describe(a);
    ASSERT_TRUE(!a.reasons.empty() && a.reasons[0].event.has_value());
    EXPECT_EQ(a.reasons[0].event->pcr, 7u);
    EXPECT_EQ(a.reasons[0].event->type, el::EV_EFI_VARIABLE_DRIVER_CONFIG);
  }
  // ubuntu-2104-no-dbx: Secure Boot off and dbx empty: both reasons, each with its own id.
  const auto both = appraise(gce_policy(true), {},
                             claims_of(gce_claims({kGe + "ubuntu-2104-no-dbx.bin", kGe + "ubuntu-2104-no-dbx.expected.json"})),
                             kNow);
  EXPECT_EQ(ids(both.reasons), (Ids{kSecureBootDisabled, kDbxMissing, kDbxMissing})) << test::describe(both);
}

TEST(GcePolicy, AQuoteThatDoesNotCoverPcr7LeavesSecureBootUnjudged) {
  // rhel8 with a quote over PCR 0-6 only: the PCR 7 events are not vouched for.
  const GceLog g{kGe + "rhel8-uefi.bin", kGe + "rhel8-uefi.expected.json"};
  auto tpm = test::tpm_claims(test::kShared + "/" + g.log,
                              test::quoted_pcrs(test::kShared + "/" + g.expected, {"sha256"}, {0, 1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(tpm.event_log_verified);
  const auto a = appraise(gce_policy(true), {}, claims_of(tpm), kNow);
  EXPECT_EQ(ids(a.reasons), Ids{kEventLogNotCovered}) << test::describe(a);
}

}  // namespace
}  // namespace attestd::policy
