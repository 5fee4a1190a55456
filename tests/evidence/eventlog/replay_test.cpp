// replay_pcrs, compare_replay and check_event_digests on crafted logs.
#include <gtest/gtest.h>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "test_support.h"

namespace attestd::evidence::eventlog {
namespace {

using testing::as_bytes;
using testing::Bytes;
using testing::LogBuilder;

const std::vector<uint8_t> kZeroSeparator(4, 0);

EventLog parse_ok(const std::vector<uint8_t>& bytes) {
  auto log = parse_event_log(bytes);
  EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
  return log ? std::move(*log) : EventLog{};
}

Digest expected_pcr(HashAlg alg, Digest start, std::initializer_list<std::span<const uint8_t>> data) {
  for (auto d : data) start = extend(alg, start, hash(alg, d).bytes());
  return start;
}

Digest with_last_byte(size_t size, uint8_t last) {
  Digest d = Digest::zeros(size);
  d.mutable_bytes().back() = last;
  return d;
}

TEST(Replay, ExtendsEveryBankInOrderAndReturnsOnlyTouchedPcrs) {
  LogBuilder b;
  b.event(4, EV_EFI_ACTION, as_bytes("a")).event(4, EV_EFI_ACTION, as_bytes("b")).event(7, EV_SEPARATOR, kZeroSeparator);
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  EXPECT_TRUE(replay.reasons.empty());
  EXPECT_EQ(replay.touched.count(), 2u);
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256}) {
    const auto& bank = replay.pcrs.at(alg);
    EXPECT_EQ(bank.size(), 2u);
    EXPECT_EQ(bank.at(4), expected_pcr(alg, Digest::zeros(digest_size(alg)), {as_bytes("a"), as_bytes("b")}));
    EXPECT_EQ(bank.at(7), expected_pcr(alg, Digest::zeros(digest_size(alg)), {kZeroSeparator}));
  }
}

TEST(Replay, NoActionEventsAreNeverExtended) {
  LogBuilder b;
  b.event(4, EV_NO_ACTION, as_bytes("anything"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  EXPECT_TRUE(replay.touched.none());
  EXPECT_TRUE(replay.pcrs.at(HashAlg::sha256).empty());
}

TEST(Replay, StartupLocalityThreeSetsPcr0sInitialValue) {
  Bytes locality;
  locality.str(std::string_view("StartupLocality\0", 16)).u8(3);
  LogBuilder b;
  b.event(0, EV_NO_ACTION, locality.bytes()).event(0, EV_S_CRTM_VERSION, as_bytes("v1"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  EXPECT_EQ(replay.pcrs.at(HashAlg::sha256).at(0), expected_pcr(HashAlg::sha256, with_last_byte(32, 3), {as_bytes("v1")}));
}

TEST(Replay, StartupLocalityOnAnotherPcrIsIgnored) {
  Bytes locality;
  locality.str(std::string_view("StartupLocality\0", 16)).u8(3);
  LogBuilder b;
  b.event(1, EV_NO_ACTION, locality.bytes()).event(0, EV_S_CRTM_VERSION, as_bytes("v1"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  EXPECT_EQ(replay.pcrs.at(HashAlg::sha1).at(0), expected_pcr(HashAlg::sha1, Digest::zeros(20), {as_bytes("v1")}));
}

TEST(Replay, HcrtmEventStartsPcr0AtFour) {
  LogBuilder b;
  b.event(0, EV_EFI_HCRTM_EVENT, as_bytes("HCRTM"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  EXPECT_EQ(replay.pcrs.at(HashAlg::sha256).at(0), expected_pcr(HashAlg::sha256, with_last_byte(32, 4), {as_bytes("HCRTM")}));
}

TEST(Replay, DrtmPcrsStartAtAllOnes) {
  LogBuilder b;
  b.event(17, EV_EFI_ACTION, as_bytes("x")).event(16, EV_EFI_ACTION, as_bytes("x")).event(23, EV_EFI_ACTION, as_bytes("x"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  const auto& bank = replay.pcrs.at(HashAlg::sha1);
  EXPECT_EQ(bank.at(17), expected_pcr(HashAlg::sha1, Digest::filled(20, 0xFF), {as_bytes("x")}));
  EXPECT_EQ(bank.at(16), expected_pcr(HashAlg::sha1, Digest::zeros(20), {as_bytes("x")}));
  EXPECT_EQ(bank.at(23), bank.at(16));
}

TEST(Replay, EventOnPcr24OrAboveIsAReasonAndNotExtended) {
  LogBuilder b;
  b.event(24, EV_EFI_ACTION, as_bytes("x")).event(0xFFFFFFFF, EV_EFI_ACTION, as_bytes("y"));
  const auto bytes = b.bytes();
  const auto replay = replay_pcrs(parse_ok(bytes));
  ASSERT_EQ(replay.reasons.size(), 2u);
  EXPECT_EQ(replay.reasons[0].id, kPcrOutOfRange);
  EXPECT_NE(replay.reasons[0].message.find("PCR 24"), std::string::npos);
  EXPECT_TRUE(replay.touched.none());
}

TEST(Replay, RecordsWhetherExitBootServicesWasLogged) {
  LogBuilder with;
  with.event(5, EV_EFI_ACTION, as_bytes("Exit Boot Services Invocation"));
  const auto a = with.bytes();
  EXPECT_TRUE(replay_pcrs(parse_ok(a)).exit_boot_services_logged);
  LogBuilder without;
  without.event(5, EV_EFI_ACTION, as_bytes("Exit Boot Services Returned with Success"));
  const auto b = without.bytes();
  EXPECT_FALSE(replay_pcrs(parse_ok(b)).exit_boot_services_logged);
}

// A log touching PCR 4 and 5, replayed, and its values as a quote would report them.
struct Fixture {
  std::vector<uint8_t> bytes;
  Replay replay;
};

Fixture pcr4_and_5(bool exit_boot_services) {
  LogBuilder b;
  b.event(4, EV_EFI_ACTION, as_bytes("Calling EFI Application from Boot Option"));
  b.event(5, EV_EFI_ACTION, as_bytes(exit_boot_services ? "Exit Boot Services Invocation" : "other"));
  Fixture f{b.bytes(), {}};
  f.replay = replay_pcrs(parse_ok(f.bytes));
  return f;
}

TEST(CompareReplay, MatchingQuoteVerifiesTouchedPcrsAndIgnoresOthers) {
  const auto f = pcr4_and_5(true);
  PcrValues quoted;
  quoted[HashAlg::sha256] = f.replay.pcrs.at(HashAlg::sha256);
  quoted[HashAlg::sha256][10] = Digest::filled(32, 0x42);  // IMA: not in this log
  const auto cmp = compare_replay(f.replay, quoted);
  EXPECT_TRUE(cmp.ok());
  EXPECT_EQ(cmp.verified.at(HashAlg::sha256), (std::vector<uint32_t>{4, 5}));
  // The sha1 bank is replayed but not quoted: reported as unverified, not a failure.
  EXPECT_EQ(cmp.unverified.at(HashAlg::sha1), (std::vector<uint32_t>{4, 5}));
  EXPECT_FALSE(cmp.unverified.contains(HashAlg::sha256));
}

TEST(CompareReplay, QuotedPcrThatDiffersIsAMismatchNamingIndexBankAndBothValues) {
  const auto f = pcr4_and_5(true);
  PcrValues quoted;
  quoted[HashAlg::sha1][4] = Digest::filled(20, 0x11);
  const auto cmp = compare_replay(f.replay, quoted);
  ASSERT_EQ(cmp.mismatches.size(), 1u);
  EXPECT_EQ(cmp.mismatches[0].id, kReplayPcrMismatch);
  const auto& m = cmp.mismatches[0].message;
  EXPECT_NE(m.find("PCR 4 (sha1)"), std::string::npos) << m;
  EXPECT_NE(m.find(Digest::filled(20, 0x11).hex()), std::string::npos) << m;
  EXPECT_NE(m.find(f.replay.pcrs.at(HashAlg::sha1).at(4).hex()), std::string::npos) << m;
  EXPECT_EQ(m.find("Exit Boot Services"), std::string::npos) << m;
  EXPECT_EQ(cmp.unverified.at(HashAlg::sha1), std::vector<uint32_t>{5});
}

TEST(CompareReplay, Pcr5MismatchWithoutExitBootServicesEventSaysSo) {
  const auto f = pcr4_and_5(false);
  PcrValues quoted;
  quoted[HashAlg::sha256][5] = Digest::filled(32, 0x55);
  const auto cmp = compare_replay(f.replay, quoted);
  ASSERT_EQ(cmp.mismatches.size(), 1u);
  EXPECT_NE(cmp.mismatches[0].message.find("Exit Boot Services Invocation"), std::string::npos);
}

TEST(CompareReplay, QuotedBankTheLogLacksFailsClosedForTouchedPcrs) {
  const auto f = pcr4_and_5(true);
  PcrValues quoted;
  quoted[HashAlg::sha384][4] = Digest::zeros(48);
  quoted[HashAlg::sha384][9] = Digest::zeros(48);  // not touched: not named
  const auto cmp = compare_replay(f.replay, quoted);
  ASSERT_EQ(cmp.mismatches.size(), 1u);
  EXPECT_EQ(cmp.mismatches[0].id, kReplayBankMissing);
  EXPECT_NE(cmp.mismatches[0].message.find("PCR 4 in bank sha384"), std::string::npos) << cmp.mismatches[0].message;
}

TEST(DigestCheck, MatchingBoundEventsAreBoundAndUnboundTypesAreNotChecked) {
  LogBuilder b;
  b.event(7, EV_SEPARATOR, kZeroSeparator);
  b.event_digesting(0, EV_EFI_PLATFORM_FIRMWARE_BLOB, std::vector<uint8_t>(16, 0), as_bytes("firmware"));
  const auto bytes = b.bytes();
  const auto log = parse_ok(bytes);
  EXPECT_TRUE(check_event_digests(log).empty());
  EXPECT_TRUE(check_event_digest(log.events[1]).bound);
  EXPECT_FALSE(check_event_digest(log.events[2]).bound);
}

TEST(DigestCheck, SeparatorWhoseDigestIsNotOfItsDataIsAMismatchNamingEventTypeAndBanks) {
  LogBuilder b;
  b.event(7, EV_EFI_ACTION, as_bytes("fine"));
  b.event_digesting(7, EV_SEPARATOR, kZeroSeparator, as_bytes("something else"));
  const auto bytes = b.bytes();
  const auto errors = check_event_digests(parse_ok(bytes));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].id, kDigestMismatch);
  EXPECT_TRUE(errors[0].message.starts_with("event 2 (EV_SEPARATOR, PCR 7)")) << errors[0].message;
  EXPECT_NE(errors[0].message.find("sha1 "), std::string::npos);
  EXPECT_NE(errors[0].message.find("sha256 "), std::string::npos);
}

Bytes variable(std::string_view name, std::span<const uint8_t> value) {
  Bytes b;
  b.fill(16, 0x61).u64(name.size()).u64(value.size()).utf16(name).raw(value);
  return b;
}

TEST(DigestCheck, BootVariableMayHashEitherTheWholeStructureOrItsData) {
  const std::vector<uint8_t> value = {1, 0, 2, 0};
  const auto var = variable("BootOrder", value);
  LogBuilder b;
  b.event(1, EV_EFI_VARIABLE_BOOT, var.bytes());                             // whole structure
  b.event_digesting(1, EV_EFI_VARIABLE_BOOT, var.bytes(), value);            // VariableData only
  b.event_digesting(1, EV_EFI_VARIABLE_BOOT, var.bytes(), as_bytes("else"));  // neither
  const auto bytes = b.bytes();
  const auto log = parse_ok(bytes);
  EXPECT_TRUE(check_event_digest(log.events[1]).bound);
  EXPECT_TRUE(check_event_digest(log.events[2]).bound);
  const auto bad = check_event_digest(log.events[3]);
  EXPECT_FALSE(bad.bound);
  ASSERT_TRUE(bad.mismatch.has_value());
  EXPECT_EQ(bad.mismatch->id, kDigestMismatch);
}

TEST(DigestCheck, AuthorityThatDoesNotMatchIsUnboundButNotReported) {
  const std::vector<uint8_t> cert = {0x30, 0x82};
  LogBuilder b;
  b.event_digesting(7, EV_EFI_VARIABLE_AUTHORITY, variable("Shim", cert).bytes(), cert);
  const auto bytes = b.bytes();
  const auto log = parse_ok(bytes);
  const auto r = check_event_digest(log.events[1]);
  EXPECT_FALSE(r.bound);
  EXPECT_FALSE(r.mismatch.has_value());
}

TEST(DigestCheck, GrubCommandLinesHashTheTextAfterThePrefix) {
  LogBuilder b;
  b.event_digesting(8, EV_IPL, as_bytes(std::string_view("grub_cmd: set x=1\0", 18)), as_bytes("set x=1"));
  b.event_digesting(8, EV_IPL, as_bytes(std::string_view("grub_cmd set x=1\0", 17)),
                    as_bytes(std::string_view("set x=1\0", 8)));
  b.event_digesting(8, EV_IPL, as_bytes(std::string_view("kernel_cmdline: ro\0", 19)), as_bytes("ro!"));
  b.event_digesting(9, EV_IPL, as_bytes("/vmlinuz"), as_bytes("kernel bytes"));  // file: not bound
  const auto bytes = b.bytes();
  const auto log = parse_ok(bytes);
  EXPECT_TRUE(check_event_digest(log.events[1]).bound);
  EXPECT_TRUE(check_event_digest(log.events[2]).bound);
  EXPECT_TRUE(check_event_digest(log.events[3]).mismatch.has_value());
  const auto file = check_event_digest(log.events[4]);
  EXPECT_FALSE(file.bound);
  EXPECT_FALSE(file.mismatch.has_value());
}

}  // namespace
}  // namespace attestd::evidence::eventlog
