// Every event-level rule kind: it passes, and each way it fails gives its own reason id naming the
// event. Claims are built by hand here so that each failure is isolated; measured_boot_acceptance_test
// runs the same rules on real logs.
#include <gtest/gtest.h>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/guid.h"
#include "attestd/evidence/hash.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/reasons.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using evidence::HashAlg;
using std::chrono::seconds;
using test::ids;
using Ids = std::vector<std::string_view>;
namespace el = evidence::eventlog;

const std::chrono::sys_seconds kNow{seconds(1'800'000'000)};
const std::string kRevoked(64, 'd');

evidence::Digest sha256_of(std::string_view text) {
  return evidence::hash(HashAlg::sha256, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

BootEvent event(size_t index, uint32_t pcr, uint32_t type, std::string_view digest_seed, bool bound = true) {
  BootEvent e;
  e.index = index;
  e.pcr = pcr;
  e.type = type;
  e.digests[HashAlg::sha256] = sha256_of(digest_seed);
  e.data_bound = bound;
  return e;
}

BootEvent variable(size_t index, std::string name, const el::Guid& guid, std::vector<uint8_t> data) {
  BootEvent e = event(index, 7, el::EV_EFI_VARIABLE_DRIVER_CONFIG, name + std::string(data.begin(), data.end()));
  e.variable_name = name;
  e.variable_guid = guid.to_string();
  e.variable_data = std::move(data);
  e.description = e.variable_name.value();
  return e;
}

// A small, well-formed boot: firmware, Secure Boot on with a dbx holding kRevoked, separators in
// 0-7, shim, grub with its command line, Exit Boot Services.
std::vector<BootEvent> good_boot() {
  std::vector<BootEvent> v;
  v.push_back(event(1, 0, el::EV_S_CRTM_VERSION, "crtm"));
  v.push_back(variable(2, "SecureBoot", el::guids::efi_global_variable(), {1}));
  auto dbx = variable(3, "dbx", el::guids::image_security_database(), {});
  dbx.signature_count = 1;
  dbx.signature_sha256.push_back(test::bytes(kRevoked));
  v.push_back(dbx);
  for (uint32_t pcr = 0; pcr <= 7; ++pcr) {
    auto s = event(4 + pcr, pcr, el::EV_SEPARATOR, "sep");
    s.separator = 0;
    v.push_back(s);
  }
  auto shim = event(12, 4, el::EV_EFI_BOOT_SERVICES_APPLICATION, "shim", false);
  shim.image_path = "\\EFI\\BOOT\\BOOTX64.EFI";
  shim.description = *shim.image_path;  // as boot_events() describes an image load
  v.push_back(shim);
  auto grub_cmd = event(13, 8, el::EV_IPL, "linux /vmlinuz root=/dev/sda1 ro");
  grub_cmd.text = "grub_cmd: linux /vmlinuz root=/dev/sda1 ro";
  v.push_back(grub_cmd);
  auto cmdline = event(14, 8, el::EV_IPL, "/vmlinuz root=/dev/sda1 ro");
  cmdline.text = "kernel_cmdline: /vmlinuz root=/dev/sda1 ro";
  v.push_back(cmdline);
  auto ebs = event(15, 5, el::EV_EFI_ACTION, "Exit Boot Services Invocation");
  ebs.text = "Exit Boot Services Invocation";
  v.push_back(ebs);
  return v;
}

ReferenceSet set_of(const std::vector<BootEvent>& events, std::string name = "golden") {
  ReferenceSet s;
  s.name = std::move(name);
  for (const auto& e : events) s.events.push_back({e.pcr, e.type, e.digests, e.description});
  return s;
}

class Rules : public ::testing::Test {
 protected:
  Policy policy = test::must_parse_policy(R"({
    "name": "rules", "require": {"tpm": true, "event_log": true, "gpus": 0},
    "reference_sets": ["golden"], "pcrs": {}, "max_age_seconds": 60,
    "secure_boot": "required",
    "dbx": {"must_contain": [")" + kRevoked + R"("]},
    "boot_applications": {"only_from": "golden"},
    "kernel_cmdline": {"equals": "/vmlinuz root=/dev/sda1 ro"},
    "events": {"pcrs": [0, 1, 2, 3, 4, 5, 6, 7, 8], "only_from": "golden"}})");
  std::vector<BootEvent> events = good_boot();
  std::vector<ReferenceSet> sets = {set_of(good_boot())};
  std::vector<uint32_t> verified = {0, 1, 2, 3, 4, 5, 6, 7, 8};

  Appraisal run() const {
    Claims c;
    TpmClaims tpm;
    tpm.quote_verified = true;
    tpm.event_log_present = true;
    tpm.event_log_verified = true;
    tpm.event_log_verified_pcrs[HashAlg::sha256] = verified;
    tpm.boot_events = std::make_shared<const std::vector<BootEvent>>(events);
    c.tpm = tpm;
    c.evidence_time = kNow;
    c.tee_key_bound = true;
    return appraise(policy, sets, c, kNow);
  }
  BootEvent& find(size_t index) {
    return *std::find_if(events.begin(), events.end(), [&](const BootEvent& e) { return e.index == index; });
  }
  void erase(size_t index) {
    std::erase_if(events, [&](const BootEvent& e) { return e.index == index; });
  }
};

void expect_one(const Appraisal& a, std::string_view id, std::optional<size_t> event_index) {
  ASSERT_EQ(ids(a.reasons), Ids{id}) << test::describe(a);
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_EQ(a.reasons[0].submod, "tpm0");
  if (event_index) {
    ASSERT_TRUE(a.reasons[0].event.has_value());
    EXPECT_EQ(a.reasons[0].event->index, *event_index);
    EXPECT_NE(a.reasons[0].message.find("event #" + std::to_string(*event_index)), std::string::npos) << a.reasons[0].message;
  } else {
    EXPECT_FALSE(a.reasons[0].event.has_value());
  }
}

TEST_F(Rules, AGoodBootPassesEveryRuleAndVouchesForExecutablesAndConfiguration) {
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::affirming) << test::describe(a);
  const auto& dims = a.submods.at("tpm0").dimensions;
  EXPECT_EQ(dims.at(Ar4siDimension::executables), Verdict::affirming);
  EXPECT_EQ(dims.at(Ar4siDimension::configuration), Verdict::affirming);
  EXPECT_EQ(a.releasable_keys, policy.releasable_keys());
}

TEST_F(Rules, SecureBootOffIsSecurebootDisabled) {
  find(2).variable_data = {0};
  sets = {set_of(events)};  // the golden set knows the event: only the Secure Boot rule objects
  expect_one(run(), kSecureBootDisabled, 2);
  EXPECT_EQ(run().reasons[0].dimension, Ar4siDimension::configuration);
}

TEST_F(Rules, SecureBootVariableOfAnotherGuidOrUnboundDoesNotCount) {
  find(2).variable_guid = el::guids::shim_lock().to_string();
  sets = {set_of(events)};
  expect_one(run(), kSecureBootNotMeasured, std::nullopt);
  events = good_boot();
  find(2).data_bound = false;
  sets = {set_of(events)};
  expect_one(run(), kSecureBootNotMeasured, std::nullopt);
}

TEST_F(Rules, SecureBootNotMeasured) {
  erase(2);
  expect_one(run(), kSecureBootNotMeasured, std::nullopt);
}

TEST_F(Rules, DbxWithoutTheHashIsDbxMissing) {
  find(3).signature_sha256 = {test::bytes(std::string(64, 'e'))};
  sets = {set_of(events)};
  expect_one(run(), kDbxMissing, 3);
  EXPECT_NE(run().reasons[0].message.find(kRevoked), std::string::npos);
}

TEST_F(Rules, DbxNotMeasuredIsDbxMissing) {
  erase(3);
  expect_one(run(), kDbxMissing, std::nullopt);
}

TEST_F(Rules, UnknownBootApplicationIsNamedWithItsEvent) {
  find(12).digests[HashAlg::sha256] = sha256_of("evil-shim");
  expect_one(run(), kBootApplicationUnknown, 12);
  EXPECT_EQ(run().reasons[0].dimension, Ar4siDimension::executables);
  EXPECT_NE(run().reasons[0].message.find("BOOTX64.EFI"), std::string::npos) << run().reasons[0].message;
}

TEST_F(Rules, UnknownDriverIsABootApplicationReasonToo) {
  auto driver = event(16, 2, el::EV_EFI_BOOT_SERVICES_DRIVER, "option-rom");
  events.push_back(driver);
  expect_one(run(), kBootApplicationUnknown, 16);
}

TEST_F(Rules, KernelCmdlineEqualsMismatch) {
  policy.kernel_cmdline->value = "/vmlinuz root=/dev/sda1 ro quiet";
  expect_one(run(), kKernelCmdlineMismatch, 14);
}

TEST_F(Rules, KernelCmdlineTextThatIsNotBoundIsNotTrusted) {
  find(14).data_bound = false;
  sets = {set_of(events)};
  expect_one(run(), kKernelCmdlineMismatch, 14);
}

TEST_F(Rules, KernelCmdlineMatchesPassAndFail) {
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::matches, "/vmlinuz root=/dev/sd[a-z][0-9]+ ro"};
  EXPECT_EQ(run().verdict, Verdict::affirming) << test::describe(run());
  // Whole-string match: a pattern matching a part is not enough.
  policy.kernel_cmdline->value = "root=/dev/sda1";
  expect_one(run(), kKernelCmdlineMismatch, 14);
}

TEST_F(Rules, KernelCmdlineOnlyFromPassAndFail) {
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::only_from, "golden"};
  EXPECT_EQ(run().verdict, Verdict::affirming) << test::describe(run());
  find(14).digests[HashAlg::sha256] = sha256_of("/vmlinuz init=/bin/sh");
  find(14).text = "kernel_cmdline: /vmlinuz init=/bin/sh";
  const auto a = run();
  expect_one(a, kKernelCmdlineMismatch, 14);
}

TEST_F(Rules, KernelCmdlineMissing) {
  erase(14);
  expect_one(run(), kKernelCmdlineMissing, std::nullopt);
}

TEST_F(Rules, EfiStubCommandLineIsUnreadableForMatches) {
  erase(14);
  auto tag = event(14, 9, el::EV_EVENT_TAG, "stub");
  tag.tag_id = kLoadOptionsTagId;
  events.push_back(tag);
  verified.push_back(9);
  policy.kernel_cmdline = KernelCmdlineRule{KernelCmdlineRule::Mode::matches, ".*"};
  expect_one(run(), kKernelCmdlineUnreadable, 14);
}

TEST_F(Rules, UnknownEventInAGovernedPcrIsEventUnknown) {
  auto extra = event(16, 1, el::EV_EFI_VARIABLE_BOOT, "Boot0099");
  extra.description = "Boot0099";
  events.push_back(extra);
  expect_one(run(), kEventUnknown, 16);
  EXPECT_EQ(run().reasons[0].dimension, Ar4siDimension::configuration);  // PCR 1
}

TEST_F(Rules, EventsOutsideTheGovernedPcrsAreNotJudged) {
  events.push_back(event(16, 14, el::EV_IPL, "MokList"));
  EXPECT_EQ(run().verdict, Verdict::affirming) << test::describe(run());
}

TEST_F(Rules, EveryEventHasExactlyOneRule) {
  // A changed grub command is one event_unknown; the changed command line beside it is one
  // kernel_cmdline reason, not also an event_unknown.
  find(13).digests[HashAlg::sha256] = sha256_of("linux /vmlinuz init=/bin/sh");
  find(14).digests[HashAlg::sha256] = sha256_of("other");
  find(14).text = "kernel_cmdline: /vmlinuz init=/bin/sh";
  EXPECT_EQ(ids(run().reasons), (Ids{kEventUnknown, kKernelCmdlineMismatch})) << test::describe(run());
}

TEST_F(Rules, MissingSeparatorAndErrorSeparator) {
  erase(7);  // PCR 3's separator
  expect_one(run(), kSeparatorMissing, std::nullopt);
  EXPECT_NE(run().reasons[0].message.find("PCR 3"), std::string::npos);
  events = good_boot();
  find(8).separator = 0xffffffff;  // PCR 4
  sets = {set_of(events)};
  expect_one(run(), kSeparatorMissing, 8);
}

TEST_F(Rules, ExitBootServicesMissing) {
  erase(15);
  expect_one(run(), kExitBootServicesMissing, std::nullopt);
}

TEST_F(Rules, GovernedPcrWithEventsTheQuoteDoesNotCoverIsNotCovered) {
  verified = {0, 1, 2, 3, 5, 6, 7, 8};  // PCR 4 not quoted: shim and the separator are unvouched
  find(12).digests[HashAlg::sha256] = sha256_of("anything");
  const auto a = run();
  EXPECT_EQ(ids(a.reasons), Ids{kEventLogNotCovered}) << test::describe(a);
  EXPECT_NE(a.reasons[0].message.find("PCR 4"), std::string::npos);
}

TEST_F(Rules, ReferenceSetOfAnotherNameKnowsNothing) {
  sets = {set_of(good_boot(), "other")};
  const auto a = run();
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  EXPECT_NE(test::find_reason(a, kReferenceSetMissing), nullptr);
  EXPECT_NE(test::find_reason(a, kBootApplicationUnknown), nullptr);
  EXPECT_NE(test::find_reason(a, kEventUnknown), nullptr);
}

TEST_F(Rules, ALogThatDidNotVerifyIsNeverAppraisedAtEventLevel) {
  Claims c;
  TpmClaims tpm;
  tpm.quote_verified = true;
  tpm.event_log_present = true;
  tpm.event_log_verified = false;
  tpm.event_log_reasons.push_back({"eventlog.replay.pcr_mismatch", "PCR 4"});
  tpm.boot_events = std::make_shared<const std::vector<BootEvent>>(events);
  c.tpm = tpm;
  c.evidence_time = kNow;
  const auto a = appraise(policy, sets, c, kNow);
  EXPECT_EQ(ids(a.reasons), Ids{"eventlog.replay.pcr_mismatch"}) << test::describe(a);
}

TEST_F(Rules, MatchingUsesTheStrongestCommonBank) {
  // The set knows shim by sha256 and sha1: only sha256, the strongest bank both have, is compared,
  // so a weak bank can never be what makes an event known.
  for (auto& ref : sets[0].events) {
    if (ref.pcr == 4 && ref.type == el::EV_EFI_BOOT_SERVICES_APPLICATION) {
      ref.digests[HashAlg::sha1] = evidence::hash(HashAlg::sha1, test::bytes("00"));
    }
  }
  find(12).digests[HashAlg::sha1] = evidence::hash(HashAlg::sha1, test::bytes("01"));
  EXPECT_EQ(run().verdict, Verdict::affirming) << "sha256 is the strongest common bank";
  find(12).digests[HashAlg::sha256] = sha256_of("x");
  expect_one(run(), kBootApplicationUnknown, 12);
}

}  // namespace
}  // namespace attestd::policy
