#include "attestd/evidence/tpm/pcr_file.h"

#include <gtest/gtest.h>

#include "attestd/evidence/tpm/reasons.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

const char* const kBoots[] = {"nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub"};

// The values in the file are the ones the kernel reported in pcrs.json.
void expect_matches_pcrs_json(const std::string& boot, const std::string& file,
                              const std::map<HashAlg, std::vector<uint32_t>>& expected) {
  const auto dir = shared("vmboot/" + boot);
  const auto pcrs = parse_tpm2_tools_pcr_file(read_bytes(dir / file));
  ASSERT_TRUE(pcrs.has_value()) << boot << "/" << file << ": " << pcrs.error().message;
  const auto json = pcrs_from_json(read_json(dir / "pcrs.json"));
  ASSERT_EQ(pcrs->size(), expected.size());
  for (const auto& [alg, indices] : expected) {
    const auto& bank = pcrs->at(alg);
    ASSERT_EQ(bank.size(), indices.size()) << hash_alg_name(alg);
    for (uint32_t i : indices) EXPECT_EQ(bank.at(i), json.at(alg).at(i)) << boot << " " << hash_alg_name(alg) << ":" << i;
  }
}

TEST(PcrFile, SingleBankFileHoldsSha256Pcrs0To9) {
  const std::vector<uint32_t> ten = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (const char* boot : kBoots) {
    expect_matches_pcrs_json(boot, "quote.pcrs", {{HashAlg::sha256, ten}});
    expect_matches_pcrs_json(boot, "quote_ecc.pcrs", {{HashAlg::sha256, ten}});
  }
}

TEST(PcrFile, MultibankFileHoldsSha1AndSha256Pcrs0To9) {
  const std::vector<uint32_t> ten = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (const char* boot : kBoots) {
    expect_matches_pcrs_json(boot, "quote_multibank.pcrs", {{HashAlg::sha1, ten}, {HashAlg::sha256, ten}});
  }
}

TEST(PcrFile, SizesFollowTheCStructLayout) {
  EXPECT_EQ(read_bytes(shared("vmboot/nosb-direct/quote.pcrs")).size(), 136 + 2 * kPcrFileDigestListSize);
  EXPECT_EQ(read_bytes(shared("vmboot/nosb-direct/quote_multibank.pcrs")).size(), 136 + 3 * kPcrFileDigestListSize);
}

TEST(PcrFile, HeaderWithNoSelectionIsEmpty) {
  Bytes b(136, 0);
  const auto pcrs = parse_tpm2_tools_pcr_file(b);
  ASSERT_TRUE(pcrs.has_value());
  EXPECT_TRUE(pcrs->empty());
}

TEST(PcrFile, UnusedSlotsAreIgnored) {
  // tpm2-tools writes whole C arrays; slots past the counts are not data.
  Bytes b = read_bytes(shared("vmboot/nosb-direct/quote.pcrs"));
  const auto before = parse_tpm2_tools_pcr_file(b);
  b[4 + 8 * 5] = 0x99;      // selection slot 5
  b[668 + 4 + 66 * 5] = 0x7f;  // digest slot 5 of the second list (count 2)
  const auto after = parse_tpm2_tools_pcr_file(b);
  ASSERT_TRUE(before && after);
  EXPECT_EQ(*before, *after);
}

TEST(PcrFile, SamePcrSelectedTwiceIsMalformed) {
  Bytes b = read_bytes(shared("vmboot/nosb-direct/quote.pcrs"));
  // A second sha256 selection of PCR 0 and a value for it in the second list.
  b[0] = 2;
  b[12] = 0x0b;
  b[13] = 0x00;
  b[14] = 3;
  b[15] = 0x01;
  b[668] = 3;
  b[672 + 2 * 66] = 32;
  EXPECT_EQ(parse_tpm2_tools_pcr_file(b).error().id, kPcrFileMalformed);
}

}  // namespace
}  // namespace attestd::evidence::tpm
