// parse_event_log on small crafted logs: each reason it can reject with, and the edge cases it
// must accept.
#include <gtest/gtest.h>

#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "test_support.h"

namespace attestd::evidence::eventlog {
namespace {

using testing::as_bytes;
using testing::Bytes;
using testing::LogBuilder;

std::string_view reject_reason(const std::vector<uint8_t>& bytes) {
  const auto log = parse_event_log(bytes);
  EXPECT_FALSE(log.has_value());
  if (log) return "parsed";
  EXPECT_FALSE(log.error().message.empty());
  return log.error().id;
}

// A whole log made of one Spec ID header event with the given data.
std::vector<uint8_t> header_only(const Bytes& spec_data, std::optional<uint32_t> size = std::nullopt) {
  return LogBuilder::legacy_event(0, EV_NO_ACTION, spec_data.bytes(), size).bytes();
}

TEST(Parse, CryptoAgileLogKeepsHeaderAsEventZeroAndEveryBankDigest) {
  LogBuilder b;
  b.event(4, EV_EFI_ACTION, as_bytes("Calling EFI Application from Boot Option"));
  const auto log = parse_event_log(b.bytes());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  EXPECT_EQ(log->format, LogFormat::crypto_agile);
  ASSERT_EQ(log->events.size(), 2u);
  EXPECT_EQ(log->events[0].type, EV_NO_ACTION);
  EXPECT_EQ(log->events[1].index, 1u);
  EXPECT_EQ(log->events[1].pcr, 4u);
  ASSERT_EQ(log->events[1].digests.size(), 2u);
  EXPECT_EQ(log->events[1].digests[1].alg, HashAlg::sha256);
  EXPECT_EQ(log->events[1].digests[1].digest, hash(HashAlg::sha256, as_bytes("Calling EFI Application from Boot Option")));
  EXPECT_EQ(log->banks, (std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256}));
  ASSERT_TRUE(log->spec_id.has_value());
  EXPECT_EQ(log->spec_id->uintn_size, 2);
}

TEST(Parse, EmptyInputIsRejectedAsEmpty) { EXPECT_EQ(reject_reason({}), kParseEmpty); }

TEST(Parse, InputShorterThanOneHeaderIsTruncated) {
  EXPECT_EQ(reject_reason(std::vector<uint8_t>(31, 0)), kParseTruncated);
}

TEST(Parse, EventDataPastTheEndIsTruncated) {
  auto bytes = LogBuilder::legacy_event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0), 40).bytes();
  EXPECT_EQ(reject_reason(bytes), kParseTruncated);
}

TEST(Parse, EventSizeAboveTheLimitIsTooLarge) {
  auto bytes = LogBuilder::legacy_event(0, EV_SEPARATOR, {}, static_cast<uint32_t>(kMaxEventDataSize + 1)).bytes();
  EXPECT_EQ(reject_reason(bytes), kParseEventTooLarge);
}

TEST(Parse, LegacyLogWithAPartialHeaderAfterTheLastEventHasTrailingBytes) {
  Bytes b;
  b.raw(LogBuilder::legacy_event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0)).bytes()).fill(31, 0xFF);
  EXPECT_EQ(reject_reason(b.bytes()), kParseTrailingBytes);
}

TEST(Parse, CryptoAgileLogWithAPartialHeaderAfterTheLastEventHasTrailingBytes) {
  LogBuilder b;
  b.raw(std::vector<uint8_t>(15, 0));
  EXPECT_EQ(reject_reason(b.bytes()), kParseTrailingBytes);
}

TEST(Parse, ZeroPaddingAfterTheLastAgileEventIsNotTakenAsTheEndOfTheLog) {
  // No real log in testdata is padded; zeros read as an event with DigestCount 0.
  LogBuilder b;
  b.raw(std::vector<uint8_t>(64, 0));
  EXPECT_EQ(reject_reason(b.bytes()), kParseDigestCountMismatch);
}

TEST(Parse, DigestCountBelowTheSpecIdAlgorithmsParsesWithTheDigestsGiven) {
  LogBuilder b;
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(1).u16(0x0004).fill(20, 0).u32(4).u32(0);
  b.raw(ev.bytes());
  const auto log = parse_event_log(b.bytes());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  ASSERT_EQ(log->events.size(), 2u);
  ASSERT_EQ(log->events[1].digests.size(), 1u);
  EXPECT_EQ(log->events[1].digests[0].alg, HashAlg::sha1);
}

TEST(Parse, DigestCountAboveTheSpecIdAlgorithmsIsRejected) {
  LogBuilder b;
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(3).u16(0x0004).fill(20, 0).u16(0x000B).fill(32, 0).u16(0x0004).fill(20, 0);
  ev.u32(4).u32(0);
  b.raw(ev.bytes());
  EXPECT_EQ(reject_reason(b.bytes()), kParseDigestCountMismatch);
}

TEST(Parse, TwoDigestsOfOneBankAreRejectedAsDigestCountMismatch) {
  LogBuilder b;
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(2).u16(0x0004).fill(20, 0).u16(0x0004).fill(20, 0).u32(4).u32(0);
  b.raw(ev.bytes());
  EXPECT_EQ(reject_reason(b.bytes()), kParseDigestCountMismatch);
}

TEST(Parse, DigestOfAnAlgorithmTheSpecIdDoesNotListIsUnknownAlgorithm) {
  LogBuilder b;
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(2).u16(0x0004).fill(20, 0).u16(0x000C).fill(48, 0).u32(4).u32(0);
  b.raw(ev.bytes());
  EXPECT_EQ(reject_reason(b.bytes()), kParseUnknownAlgorithm);
}

TEST(Parse, DigestCutByTheEndOfTheLogIsTruncated) {
  LogBuilder b;
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(2).u16(0x0004).fill(20, 0).u16(0x000B).fill(10, 0);
  b.raw(ev.bytes());
  EXPECT_EQ(reject_reason(b.bytes()), kParseTruncated);
}

TEST(Parse, SpecIdEventSizeThatCutsVendorInfoIsInvalid) {
  // tpm2-tools specid-vendordata.bin: EventSize stops 4 bytes short, the vendorInfo bytes follow it.
  const auto spec = LogBuilder::spec_id_data(LogBuilder::default_algorithms(), {0xde, 0xad, 0xbe, 0xef});
  EXPECT_EQ(reject_reason(header_only(spec, static_cast<uint32_t>(spec.size() - 4))), kParseSpecIdInvalid);
}

TEST(Parse, SpecIdEventSizeBeyondTheStructureIsInvalid) {
  auto spec = LogBuilder::spec_id_data(LogBuilder::default_algorithms(), {});
  spec.u8(0);
  EXPECT_EQ(reject_reason(header_only(spec)), kParseSpecIdInvalid);
}

TEST(Parse, SpecIdWithoutAlgorithmsIsInvalid) {
  EXPECT_EQ(reject_reason(header_only(LogBuilder::spec_id_data({}, {}))), kParseSpecIdInvalid);
}

TEST(Parse, SpecIdWithMoreAlgorithmsThanTheLimitIsInvalid) {
  LogBuilder::Algorithms algs;
  for (uint16_t i = 0; i <= kMaxSpecIdAlgorithms; ++i) algs.emplace_back(static_cast<uint16_t>(0x100 + i), 32);
  EXPECT_EQ(reject_reason(header_only(LogBuilder::spec_id_data(algs, {}))), kParseSpecIdInvalid);
}

TEST(Parse, SpecIdListingAnAlgorithmTwiceIsInvalid) {
  EXPECT_EQ(reject_reason(header_only(LogBuilder::spec_id_data({{0x000B, 32}, {0x000B, 32}}, {}))),
            kParseSpecIdInvalid);
}

TEST(Parse, SpecIdGivingAKnownAlgorithmTheWrongSizeIsInvalid) {
  EXPECT_EQ(reject_reason(header_only(LogBuilder::spec_id_data({{0x000B, 20}}, {}))), kParseSpecIdInvalid);
}

TEST(Parse, SpecIdGivingAnUnknownAlgorithmMoreThan64BytesIsInvalid) {
  EXPECT_EQ(reject_reason(header_only(LogBuilder::spec_id_data({{0x000B, 32}, {0x0027, 65}}, {}))),
            kParseSpecIdInvalid);
}

TEST(Parse, SpecIdHeaderOnAnotherPcrOrWithANonZeroDigestIsInvalid) {
  const auto spec = LogBuilder::spec_id_data(LogBuilder::default_algorithms(), {});
  EXPECT_EQ(reject_reason(LogBuilder::legacy_event(1, EV_NO_ACTION, spec.bytes()).bytes()), kParseSpecIdInvalid);
  EXPECT_EQ(reject_reason(LogBuilder::legacy_event(0, EV_NO_ACTION, spec.bytes(), std::nullopt, 1).bytes()),
            kParseSpecIdInvalid);
}

TEST(Parse, UnknownAlgorithmWithAStatedSizeIsKeptButIsNotABank) {
  LogBuilder b({{0x000B, 32}, {0x0027, 32}});  // sha3_256: not a bank we replay
  b.event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0));
  const auto log = parse_event_log(b.bytes());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  EXPECT_EQ(log->banks, std::vector<HashAlg>{HashAlg::sha256});
  ASSERT_EQ(log->spec_id->algorithms.size(), 2u);
  EXPECT_EQ(static_cast<uint16_t>(log->spec_id->algorithms[1].first), 0x0027);
  ASSERT_EQ(log->events[1].digests.size(), 2u);
}

TEST(Parse, FiveBanksSpillTheInlineDigestStorage) {
  LogBuilder b({{0x0004, 20}, {0x000B, 32}, {0x000C, 48}, {0x000D, 64}, {0x0012, 32}});
  b.event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0));
  const auto log = parse_event_log(b.bytes());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  const auto& d = log->events[1].digests;
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[4].alg, HashAlg::sm3_256);
  ASSERT_NE(d.find(HashAlg::sha1), nullptr);
  EXPECT_EQ(d.find(HashAlg::sha1)->digest, hash(HashAlg::sha1, std::vector<uint8_t>(4, 0)));
  EXPECT_EQ(std::distance(d.begin(), d.end()), 5);
}

TEST(Parse, LogAboveTheSizeLimitIsRejected) {
  std::vector<uint8_t> big(kMaxLogSize + 1, 0);
  EXPECT_EQ(reject_reason(big), kParseLogTooLarge);
}

TEST(Parse, MoreEventsThanTheLimitAreRejected) {
  Bytes b;
  const auto one = LogBuilder::legacy_event(0, EV_SEPARATOR, {}).bytes();
  for (size_t i = 0; i <= kMaxEvents; ++i) b.raw(one);
  EXPECT_EQ(reject_reason(b.bytes()), kParseTooManyEvents);
}

TEST(Parse, ShortNonSpecIdNoActionFirstEventMakesALegacyLog) {
  Bytes data;
  data.str(std::string_view("StartupLocality\0", 16)).u8(3);
  const auto bytes = LogBuilder::legacy_event(0, EV_NO_ACTION, data.bytes()).bytes();
  ASSERT_EQ(bytes.size(), 49u);  // go-attestation short_no_action_eventlog
  const auto log = parse_event_log(bytes);
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->format, LogFormat::sha1_legacy);
  EXPECT_FALSE(log->spec_id.has_value());
  EXPECT_EQ(log->events.size(), 1u);
}

TEST(Parse, Tpm12SpecIdEvent00IsReadIntoSpecIdOfALegacyLog) {
  Bytes spec;
  spec.str(std::string_view("Spec ID Event00\0", 16)).u32(0).u8(2).u8(1).u8(3).u8(0).u8(2).u8(0x12).u8(0x34);
  Bytes b;
  b.raw(LogBuilder::legacy_event(0, EV_NO_ACTION, spec.bytes()).bytes());
  b.raw(LogBuilder::legacy_event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0)).bytes());
  const auto log = parse_event_log(b.bytes());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  EXPECT_EQ(log->format, LogFormat::sha1_legacy);
  ASSERT_TRUE(log->spec_id.has_value());
  EXPECT_EQ(log->spec_id->spec_version_major, 1);
  EXPECT_EQ(log->spec_id->vendor_info.size(), 2u);
  EXPECT_EQ(log->events.size(), 2u);
  spec.u8(0);  // one byte beyond vendorInfo
  EXPECT_EQ(reject_reason(LogBuilder::legacy_event(0, EV_NO_ACTION, spec.bytes()).bytes()), kParseSpecIdInvalid);
}

TEST(Parse, Tpm2TssSpecIdWithVendorInfoParses) {
  const auto bytes = testing::read_file(testing::shared_testdata() / "tpm2-tss/test/data/fapi/eventlog/specid-vendordata.bin");
  const auto log = parse_event_log(bytes);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  ASSERT_TRUE(log->spec_id.has_value());
  EXPECT_EQ(std::vector<uint8_t>(log->spec_id->vendor_info.begin(), log->spec_id->vendor_info.end()),
            (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
}

TEST(Parse, EveryErrorNamesTheEventOrOffset) {
  LogBuilder b;
  b.event(0, EV_SEPARATOR, std::vector<uint8_t>(4, 0));
  Bytes ev;
  ev.u32(0).u32(EV_SEPARATOR).u32(3);
  b.raw(ev.bytes()).raw(std::vector<uint8_t>(8, 0));
  const auto log = parse_event_log(b.bytes());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, kParseDigestCountMismatch);
  EXPECT_NE(log.error().message.find("event 2 "), std::string::npos) << log.error().message;
  EXPECT_NE(log.error().message.find("DigestCount 3"), std::string::npos) << log.error().message;
}

TEST(EventTypes, NamesKnownTypesAndLabelsUnknownOnes) {
  EXPECT_EQ(event_type_name(EV_SEPARATOR), "EV_SEPARATOR");
  EXPECT_EQ(event_type_name(EV_EFI_VARIABLE_AUTHORITY), "EV_EFI_VARIABLE_AUTHORITY");
  EXPECT_EQ(event_type_name(0x40E), "EV_UNKNOWN");
  EXPECT_EQ(event_type_label(0x40E), "EV_UNKNOWN_0x0000040E");
  EXPECT_EQ(event_type_label(EV_IPL), "EV_IPL");
  EXPECT_FALSE(is_known_event_type(0x8401));
}

}  // namespace
}  // namespace attestd::evidence::eventlog
