// Transcript structure checks that the captures cannot show: message-log ordering, the signed
// exchange in the wrong place, a missing VCA, tampered bindings.
#include <gtest/gtest.h>

#include "attestd/evidence/spdm/cert_chain.h"
#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurements_verification.h"
#include "attestd/evidence/spdm/reasons.h"
#include "attestd/evidence/spdm/transcript.h"
#include "test_files.h"

namespace attestd::evidence::spdm {
namespace {

std::vector<std::string_view> ids(const MeasurementsVerification& v) {
  std::vector<std::string_view> out;
  for (const auto& r : v.reasons) out.push_back(r.id);
  return out;
}

class V13All : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = test::kSpdmEmu / "v13_p384_all";
    vca_ = test::read_bytes(dir / "vca.bin");
    req_ = test::read_bytes(dir / "signed0_get_measurements.bin");
    rsp_ = test::read_bytes(dir / "signed0_measurements.bin");
    const auto chain_bytes = test::read_bytes(dir / "cert_chain_slot0.bin");
    auto chain = parse_cert_chain(chain_bytes, HashAlg::sha384);
    ASSERT_TRUE(chain.has_value());
    auto key = leaf_public_key(*chain);
    ASSERT_TRUE(key.has_value());
    key_ = std::move(*key);
    nonce_ = std::vector<uint8_t>(req_.begin() + 4, req_.begin() + 36);
  }
  MeasurementsVerification verify(std::span<const uint8_t> req, std::span<const uint8_t> rsp,
                                  SigningRecipe recipe = SigningRecipe::by_version) {
    Transcript t;
    t.vca.emplace_back(vca_);
    t.exchanges.push_back({req, rsp});
    MeasurementsVerifyOptions o;
    o.expected_nonce = nonce_;
    o.recipe = recipe;
    return verify_measurements(t, key_.get(), o);
  }
  std::vector<uint8_t> vca_, req_, rsp_, nonce_;
  PkeyPtr key_;
};

TEST_F(V13All, CaptureVerifiesAndEchoesItsRequesterContext) {
  const auto v = verify(req_, rsp_);
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(to_hex(v.claims.requester_context), "aabbccddeeff00ff");
  EXPECT_EQ(v.claims.content_changed, 2);  // libspdm: "no change detected"
}

TEST_F(V13All, AlteredRequesterContextInTheRequestIsAMismatchAndBreaksTheSignature) {
  auto req = req_;
  req.back() ^= 0x01;
  EXPECT_EQ(ids(verify(req, rsp_)),
            (std::vector<std::string_view>{kRequesterContextMismatch, kMeasurementsSignatureInvalid}));
}

TEST_F(V13All, MessagesReadAsAnotherVersionLeaveTheirRequesterContextOver) {
  auto rsp = rsp_;
  rsp[0] = 0x12;  // 1.2 has no RequesterContext: the signature ends 8 bytes early
  EXPECT_EQ(ids(verify(req_, rsp)), std::vector<std::string_view>{kParseTrailingBytes});
  auto req = req_;
  req[0] = 0x12;  // a 1.2 request in a 1.3 connection: 8 bytes left over
  EXPECT_EQ(ids(verify(req, rsp_)), std::vector<std::string_view>{kParseTrailingBytes});
}

TEST_F(V13All, SlotOtherThanRequestedIsASlotMismatch) {
  auto rsp = rsp_;
  rsp[3] = static_cast<uint8_t>((rsp[3] & 0xF0) | 0x01);
  EXPECT_EQ(ids(verify(req_, rsp)), (std::vector<std::string_view>{kMeasurementsSlotMismatch, kMeasurementsSignatureInvalid}));
}

TEST_F(V13All, MissingVcaIsReportedFor13) {
  Transcript t;
  t.exchanges.push_back({req_, rsp_});
  MeasurementsVerifyOptions o;
  o.algorithms = NegotiatedAlgorithms{0x13, 0x01, 0x02, 0x04, 0x80, 0x02};
  const auto v = verify_measurements(t, key_.get(), o);
  EXPECT_EQ(ids(v), (std::vector<std::string_view>{kTranscriptMissingVca, kMeasurementsSignatureInvalid}));
}

TEST_F(V13All, NoVcaAndNoAlgorithmsCannotBeRead) {
  Transcript t;
  t.exchanges.push_back({req_, rsp_});
  EXPECT_EQ(ids(verify_measurements(t, key_.get(), {})), std::vector<std::string_view>{kTranscriptMissingVca});
}

TEST_F(V13All, UnsignedLastExchangeIsNotSigned) {
  Transcript t;
  t.vca.emplace_back(vca_);
  // The count-only query of the 1-by-1 run, whose VCA is byte-identical to this run's.
  const auto count_req = test::read_bytes(test::kSpdmEmu / "v13_p384_1by1/messages/18_req_GET_MEASUREMENTS.bin");
  const auto count_rsp = test::read_bytes(test::kSpdmEmu / "v13_p384_1by1/messages/19_rsp_MEASUREMENTS.bin");
  t.exchanges.push_back({count_req, count_rsp});
  const auto v = verify_measurements(t, key_.get(), {});
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kMeasurementsNotSigned});
}

TEST_F(V13All, SignedExchangeBeforeTheLastIsUnexpected) {
  Transcript t;
  t.vca.emplace_back(vca_);
  t.exchanges.push_back({req_, rsp_});
  t.exchanges.push_back({req_, rsp_});
  const auto v = verify_measurements(t, key_.get(), {});
  EXPECT_EQ(ids(v), (std::vector<std::string_view>{kTranscriptUnexpectedMessage, kMeasurementsSignatureInvalid}));
}

TEST_F(V13All, KeyOfAnotherCurveIsAKeyMismatch) {
  const auto chain_bytes = test::read_bytes(test::kSpdmEmu / "v12_p256_all/cert_chain_slot0.bin");
  auto chain = parse_cert_chain(chain_bytes, HashAlg::sha256);
  ASSERT_TRUE(chain.has_value());
  const auto p256 = leaf_public_key(*chain);
  ASSERT_TRUE(p256.has_value());
  Transcript t;
  t.vca.emplace_back(vca_);
  t.exchanges.push_back({req_, rsp_});
  EXPECT_EQ(ids(verify_measurements(t, p256->get(), {})), std::vector<std::string_view>{kKeyMismatch});
}

// 1.1 and 1.2 MEASUREMENTS have the same layout, so a 1.2 response to a 1.1 request parses and
// only the version check (and the signature over the altered byte) catch it.
TEST(V11All, ResponseWithAnotherVersionIsAVersionMismatch) {
  const auto dir = test::kSpdmEmu / "v11_p384_all";
  const auto vca = test::read_bytes(dir / "vca.bin");
  const auto req = test::read_bytes(dir / "signed0_get_measurements.bin");
  auto rsp = test::read_bytes(dir / "signed0_measurements.bin");
  const auto chain_bytes = test::read_bytes(dir / "cert_chain_slot0.bin");
  const auto chain = parse_cert_chain(chain_bytes, HashAlg::sha384);
  ASSERT_TRUE(chain.has_value());
  const auto key = leaf_public_key(*chain);
  ASSERT_TRUE(key.has_value());
  Transcript t;
  t.vca.emplace_back(vca);
  t.exchanges.push_back({req, rsp});
  EXPECT_TRUE(verify_measurements(t, key->get(), {}).valid);
  rsp[0] = 0x12;
  t.exchanges[0].response = rsp;
  const auto v = verify_measurements(t, key->get(), {});
  EXPECT_EQ(ids(v), (std::vector<std::string_view>{kVersionMismatch, kMeasurementsSignatureInvalid}));
  EXPECT_FALSE(v.claims.nonce_checked);
}

TEST(MessageLog, RequestWithoutResponseIsUnexpected) {
  const std::vector<uint8_t> get_version = {0x10, 0x84, 0x00, 0x00};
  const std::span<const uint8_t> log[] = {get_version};
  EXPECT_EQ(transcripts_from_log(log).error().id, kTranscriptUnexpectedMessage);
  const std::span<const uint8_t> two_requests[] = {get_version, get_version};
  EXPECT_EQ(transcripts_from_log(two_requests).error().id, kTranscriptUnexpectedMessage);
}

TEST(MessageLog, LogWithoutSignedMeasurementsHasNoTranscript) {
  const std::vector<uint8_t> get_version = {0x10, 0x84, 0x00, 0x00};
  const std::vector<uint8_t> version = {0x10, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11};
  const std::span<const uint8_t> log[] = {get_version, version};
  EXPECT_EQ(transcripts_from_log(log).error().id, kTranscriptNoSignedMeasurements);
}

TEST(GetMeasurements, SizesFollowVersionAndSignature) {
  struct Case {
    std::vector<uint8_t> prefix;
    size_t size;
  };
  const Case cases[] = {{{0x10, 0xE0, 0x01, 0xFF}, 36}, {{0x11, 0xE0, 0x01, 0xFF}, 37}, {{0x12, 0xE0, 0x01, 0x01}, 37},
                        {{0x13, 0xE0, 0x01, 0xFF}, 45}, {{0x11, 0xE0, 0x00, 0xFF}, 4},  {{0x13, 0xE0, 0x00, 0x00}, 12}};
  for (const auto& c : cases) {
    std::vector<uint8_t> msg = c.prefix;
    msg.resize(c.size, 0x00);
    EXPECT_TRUE(parse_get_measurements(msg).has_value()) << c.size;
    msg.push_back(0);
    EXPECT_EQ(parse_get_measurements(msg).error().id, kParseTrailingBytes) << c.size;
    msg.resize(c.size - 1);
    EXPECT_EQ(parse_get_measurements(msg).error().id, kParseTruncated) << c.size;
  }
}

TEST(GetMeasurements, SlotIdParamAboveSevenOtherThanFifteenIsInvalid) {
  std::vector<uint8_t> msg = {0x11, 0xE0, 0x01, 0xFF};
  msg.resize(37, 0x00);
  msg[36] = 0x08;
  EXPECT_EQ(parse_get_measurements(msg).error().id, kParseInvalidField);
  msg[36] = 0x0F;
  EXPECT_TRUE(parse_get_measurements(msg).has_value());
  msg[36] = 0x10;
  EXPECT_EQ(parse_get_measurements(msg).error().id, kParseInvalidField);
}

}  // namespace
}  // namespace attestd::evidence::spdm
