#include "attestd/evidence/tpm/attest.h"

#include <gtest/gtest.h>

#include "attestd/evidence/tpm/reasons.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

TEST(Attest, VmbootQuoteDecodesEveryField) {
  const auto dir = shared("vmboot/sb-shim-grub");
  const auto a = parse_attest(read_bytes(dir / "quote.msg"));
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->magic, kTpmGeneratedValue);
  EXPECT_EQ(a->type, kStAttestQuote);
  EXPECT_EQ(a->qualified_signer.size(), 34u);
  EXPECT_EQ(a->extra_data, hex(read_text(dir / "nonce.hex")));
  EXPECT_EQ(a->clock, (ClockInfo{0x36f7, 2, 0, true}));
  EXPECT_EQ(a->firmware_version, 0x2019102300163636u);  // swtpm / libtpms
  const auto& q = std::get<QuoteInfo>(a->attested);
  EXPECT_EQ(q.selections, (std::vector<PcrSelection>{{HashAlg::sha256, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}}));
  EXPECT_EQ(to_hex(q.pcr_digest), "3594a20140f78872fa33c511c599e41365382c318278eee58fe361a2f727ca9c");
}

TEST(Attest, AzureQuoteCarriesChallengeAsExtraData) {
  const auto doc = read_json(shared("trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote-v1.json"));
  const auto a = parse_attest(hex(doc["message"].get<std::string>()));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(std::string(a->extra_data.begin(), a->extra_data.end()), "challenge");
  EXPECT_EQ(std::get<QuoteInfo>(a->attested).selections.at(0).pcrs.size(), 24u);
}

TEST(Attest, EveryTruncationIsMalformed) {
  const Bytes b = read_bytes(shared("vmboot/nosb-direct/quote_multibank.msg"));
  for (size_t n = 0; n < b.size(); ++n) {
    const auto a = parse_attest(std::span<const uint8_t>(b).first(n));
    ASSERT_FALSE(a.has_value()) << n;
    EXPECT_EQ(a.error().id, kAttestMalformed) << n;
  }
}

TEST(Attest, ParseDoesNotJudgeMagicOrType) {
  Bytes b = read_bytes(shared("vmboot/nosb-direct/quote.msg"));
  b[0] = 0x00;
  const auto a = parse_attest(b);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->magic, 0x00544347u);
}

TEST(Attest, CertifyDecodesNameAndQualifiedName) {
  TPMS_ATTEST a{};
  a.magic = kTpmGeneratedValue;
  a.type = kStAttestCertify;
  a.attested.certify.name.size = 3;
  a.attested.certify.name.name[0] = 0x00;
  a.attested.certify.name.name[1] = 0x0b;
  a.attested.certify.name.name[2] = 0x42;
  a.attested.certify.qualifiedName.size = 1;
  a.attested.certify.qualifiedName.name[0] = 0x99;
  a.clockInfo.safe = 1;
  const auto parsed = parse_attest(marshal_attest(a));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto& c = std::get<CertifyInfo>(parsed->attested);
  EXPECT_EQ(c.name, (Bytes{0x00, 0x0b, 0x42}));
  EXPECT_EQ(c.qualified_name, (Bytes{0x99}));
}

TEST(Attest, OtherAttestationTypesDecodeWithoutDetails) {
  TPMS_ATTEST a{};
  a.magic = kTpmGeneratedValue;
  a.type = kStAttestTime;
  const auto parsed = parse_attest(marshal_attest(a));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_TRUE(std::holds_alternative<std::monostate>(parsed->attested));
}

TEST(Attest, PcrBitmapListsPcrsAscendingAcrossBytes) {
  TPMS_ATTEST a{};
  a.magic = kTpmGeneratedValue;
  a.type = kStAttestQuote;
  a.clockInfo.safe = 1;
  a.attested.quote.pcrSelect.count = 2;
  a.attested.quote.pcrSelect.pcrSelections[0] = {0x000c, 4, {0x01, 0x80, 0x00, 0x81}};
  a.attested.quote.pcrSelect.pcrSelections[1] = {0x0004, 0, {0, 0, 0, 0}};
  const auto parsed = parse_attest(marshal_attest(a));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto& q = std::get<QuoteInfo>(parsed->attested);
  EXPECT_EQ(q.selections, (std::vector<PcrSelection>{{HashAlg::sha384, {0, 15, 24, 31}}, {HashAlg::sha1, {}}}));
}

}  // namespace
}  // namespace attestd::evidence::tpm
