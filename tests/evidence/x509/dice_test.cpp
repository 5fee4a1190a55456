// FWID extraction from real Hopper, NVSwitch and Blackwell leaves, checked against the FWID each
// report carries in its opaque data (index/nvidia_reports.json, opaque_values.FWID), and the DICE
// structures on crafted DER.
#include "attestd/evidence/x509/dice.h"

#include <gtest/gtest.h>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/x509/reasons.h"
#include "testdata.h"

namespace attestd::evidence::x509 {
namespace {

using testing::read_text;

std::vector<uint8_t> hex(std::string_view text) {
  const auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? std::vector<uint8_t>(bytes->begin(), bytes->end()) : std::vector<uint8_t>{};
}

TEST(DiceTest, hopperLeafFwidIsTheLast48BytesOfTheExtension) {
  const auto chain = parse_pem_chain(read_text(testing::kNvtrustVerifier + "samples/hopperCertChain.txt"));
  ASSERT_TRUE(chain.has_value());
  const auto fwid = extract_fwid(chain->front());
  ASSERT_TRUE(fwid.has_value()) << fwid.error().message;
  EXPECT_EQ(fwid->source, FwidSource::nvidia_hopper);
  EXPECT_EQ(fwid->fwid.alg, HashAlg::sha384);
  // MANIFEST (trustee hopper_signing_cert.pem) and the report's opaque FWID.
  EXPECT_EQ(fwid->fwid.digest,
            hex("f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d"));
  // NVIDIA's own rule: the last 48 bytes of the extension value.
  const auto ext = chain->front().extension(kOidDiceTcbInfo);
  ASSERT_TRUE(ext && *ext);
  EXPECT_TRUE(std::equal(fwid->fwid.digest.begin(), fwid->fwid.digest.end(), (*ext)->end() - 48));
}

TEST(DiceTest, blackwellLeafFwidIsFwids0OfTheTcbInfoVariant) {
  const auto chain = parse_pem_chain(read_text(testing::kSdk + "sample_attestation_data/gpu/blackwellCertChain.txt"));
  ASSERT_TRUE(chain.has_value());
  const auto fwid = extract_fwid(chain->front());
  ASSERT_TRUE(fwid.has_value()) << fwid.error().message;
  EXPECT_EQ(fwid->source, FwidSource::nvidia_tcb_info);
  EXPECT_EQ(fwid->fwid.digest,
            hex("d090cab1b6e6ffddca83d1781e25b3f040fa1f3c7608230cb5f41b1c1b99f5f748349e59d0ef8eb830c9bc79ccf77502"));

  const auto ext = chain->front().extension(kOidNvidiaTcbInfo);
  ASSERT_TRUE(ext && *ext);
  const auto info = parse_tcb_info(**ext);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->vendor, "NVIDIA");
  EXPECT_EQ(info->model, "GB100 A01 GSP");
  EXPECT_EQ(info->version, "01");
  EXPECT_EQ(info->svn, 1u);
  EXPECT_EQ(info->layer, 0u);
  EXPECT_EQ(info->index, 0u);
  ASSERT_EQ(info->fwids.size(), 2u);
  EXPECT_EQ(info->fwids[1].digest, std::vector<uint8_t>(48, 0));
  EXPECT_TRUE(info->flags.has_value());
  EXPECT_TRUE(info->vendor_info.has_value());
  EXPECT_TRUE(info->type.has_value());
}

TEST(DiceTest, leafFwidEqualsTheReportFwidForEveryIndexedReportThatCarriesOne) {
  const auto index = nlohmann::json::parse(read_text(testing::kShared + "/index/nvidia_reports.json"));
  size_t compared = 0;
  for (const auto& entry : index) {
    const auto& opaque = entry.at("parsed").at("opaque_values");
    // Rejected entries: broken chains, and the invalid-signature report, whose FWID is not its
    // chain's (it comes from another capture).
    if (!opaque.contains("FWID") || entry.at("expected_outcome").get<std::string>().starts_with("reject")) continue;
    const auto name = entry.at("cert_chain").get<std::string>();
    const auto chain = parse_pem_chain(testing::chain_pem(name));
    ASSERT_TRUE(chain.has_value()) << name;
    const auto fwid = extract_fwid(chain->front());
    ASSERT_TRUE(fwid.has_value()) << name << ": " << fwid.error().message;
    EXPECT_EQ(to_hex(fwid->fwid.digest), opaque.at("FWID").get<std::string>()) << name;
    ++compared;
  }
  EXPECT_GE(compared, 10u);
}

TEST(DiceTest, nvidiaLeavesCarryNoDiceUeid) {
  const auto chain = parse_pem_chain(read_text(testing::kSdk + "hopperCertChain.txt"));
  ASSERT_TRUE(chain.has_value());
  const auto ueid = extract_ueid(chain->front());
  ASSERT_TRUE(ueid.has_value());
  EXPECT_FALSE(ueid->has_value());
}

TEST(DiceTest, tcbInfoRejectsMalformedDer) {
  // SEQUENCE { [6] { SEQUENCE { OID sha384, OCTET STRING(48) } } }
  std::vector<uint8_t> good = {0x30, 0x41, 0xA6, 0x3F, 0x30, 0x3D, 0x06, 0x09, 0x60, 0x86, 0x48,
                               0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x04, 0x30};
  good.resize(good.size() + 48, 0xAB);
  const auto ok = parse_tcb_info(good);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  ASSERT_EQ(ok->fwids.size(), 1u);
  EXPECT_EQ(ok->fwids[0].digest, std::vector<uint8_t>(48, 0xAB));

  auto trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(parse_tcb_info(trailing).error().id, kCertFwidMalformed);
  auto short_digest = good;
  short_digest[1] = 0x40;
  short_digest[3] = 0x3E;
  short_digest[5] = 0x3C;
  short_digest[18] = 0x2F;
  short_digest.pop_back();
  EXPECT_EQ(parse_tcb_info(short_digest).error().id, kCertFwidMalformed);
  auto unknown_hash = good;
  unknown_hash[16] = 0x09;
  EXPECT_EQ(parse_tcb_info(unknown_hash).error().id, kCertFwidMalformed);
  // Out of order: [1] after [2].
  const std::vector<uint8_t> order = {0x30, 0x06, 0x82, 0x01, 0x41, 0x81, 0x01, 0x42};
  EXPECT_EQ(parse_tcb_info(order).error().id, kCertFwidMalformed);
  const std::vector<uint8_t> empty_fwids = {0x30, 0x02, 0xA6, 0x00};
  EXPECT_EQ(parse_tcb_info(empty_fwids).error().id, kCertFwidMalformed);
  const std::vector<uint8_t> in_order = {0x30, 0x06, 0x81, 0x01, 0x41, 0x82, 0x01, 0x42};
  const auto fields = parse_tcb_info(in_order);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->model, "A");
  EXPECT_EQ(fields->version, "B");
  EXPECT_TRUE(fields->fwids.empty());
}

TEST(DiceTest, hopperLayoutRejectsTrailingElements) {
  const auto chain = parse_pem_chain(read_text(testing::kNvtrustVerifier + "samples/hopperCertChain.txt"));
  ASSERT_TRUE(chain.has_value());
  const auto ext = chain->front().extension(kOidDiceTcbInfo);
  ASSERT_TRUE(ext && *ext);
  std::vector<uint8_t> value((*ext)->begin(), (*ext)->end());
  ASSERT_TRUE(parse_nvidia_hopper_fwid(value).has_value());
  value.push_back(0);
  EXPECT_EQ(parse_nvidia_hopper_fwid(value).error().id, kCertFwidMalformed);
}

}  // namespace
}  // namespace attestd::evidence::x509
