// Reference-set documents: what parses, and the exact id and JSON Pointer of each way one fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attestd/policy/reasons.h"
#include "attestd/policy/reference_set.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using evidence::HashAlg;
using test::ids;

const std::string kSha256A(64, 'a');
const std::string kSha256B(64, 'b');
const std::string kSha1A(40, 'a');
const std::string kSha384A(96, 'c');

// Parses `text` and expects it to fail with exactly `expected_ids`; returns the errors.
DocumentErrors expect_errors(std::string_view text, std::vector<std::string_view> expected_ids) {
  auto result = parse_reference_set(text);
  EXPECT_FALSE(result.has_value());
  if (result) return {};
  EXPECT_EQ(ids(result.error()), expected_ids) << test::messages(result.error());
  return result.error();
}

TEST(ReferenceSet, ParsesPcrAlternativesPerBankAndGpuValuesPerModelAndIndex) {
  const auto set = test::must_parse_reference_set(R"({
    "version": 1, "name": "fleet-a", "description": "learned",
    "pcrs": {"sha256": {"0": [")" + kSha256A + R"(", ")" + kSha256B + R"("], "23": [")" + kSha256A + R"("]},
             "sha1": {"7": [")" + kSha1A + R"("]}},
    "gpu": {"GH100": {"1": [")" + kSha384A + R"("], "254": ["00"]}}})");
  EXPECT_EQ(set.name, "fleet-a");
  EXPECT_EQ(set.description, "learned");
  ASSERT_EQ(set.pcrs.at(HashAlg::sha256).at(0).size(), 2u);
  EXPECT_EQ(set.pcrs.at(HashAlg::sha256).at(0)[1], test::digest(kSha256B));
  EXPECT_EQ(set.pcrs.at(HashAlg::sha256).at(23)[0], test::digest(kSha256A));
  EXPECT_EQ(set.pcrs.at(HashAlg::sha1).at(7)[0], test::digest(kSha1A));
  EXPECT_EQ(set.gpu.at("GH100").at(1)[0], test::bytes(kSha384A));
  EXPECT_EQ(set.gpu.at("GH100").at(254)[0], std::vector<uint8_t>{0x00});
}

TEST(ReferenceSet, ParsesASetWithOnlyAName) {
  const auto set = test::must_parse_reference_set(R"({"name": "empty"})");
  EXPECT_TRUE(set.pcrs.empty());
  EXPECT_TRUE(set.gpu.empty());
}

TEST(ReferenceSet, AcceptsUpperCaseHexAndComparesItAsBytes) {
  const auto set = test::must_parse_reference_set(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + std::string(64, 'A') + R"("]}}})");
  EXPECT_EQ(set.pcrs.at(HashAlg::sha256).at(0)[0], test::digest(kSha256A));
}

TEST(ReferenceSet, RejectsUnknownTopLevelKeyNamingIt) {
  const auto errors = expect_errors(R"({"name": "x", "pcr": {}})", {kReferenceSetUnknownKey});
  EXPECT_NE(errors[0].message.find("/pcr"), std::string::npos) << errors[0].message;
}

TEST(ReferenceSet, RejectsMissingName) { expect_errors(R"({"pcrs": {}})", {kReferenceSetMissingKey}); }

TEST(ReferenceSet, RejectsNameWithCharactersOutsideTheNameAlphabet) {
  expect_errors(R"({"name": "a b"})", {kReferenceSetInvalidValue});
  expect_errors(R"({"name": ""})", {kReferenceSetInvalidValue});
  expect_errors(R"({"name": ")" + std::string(65, 'a') + R"("})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsHexOfAnotherBanksLength) {
  // A SHA-1 value under sha256: the classic copy from the wrong column of tpm2_pcrread.
  const auto errors = expect_errors(R"({"name": "x", "pcrs": {"sha256": {"4": [")" + kSha1A + R"("]}}})",
                                    {kReferenceSetInvalidValue});
  EXPECT_NE(errors[0].message.find("/pcrs/sha256/4/0"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("64 hex digits"), std::string::npos) << errors[0].message;
}

TEST(ReferenceSet, RejectsPcrIndexOutsideZeroToTwentyThree) {
  const auto errors = expect_errors(R"({"name": "x", "pcrs": {"sha256": {"24": [")" + kSha256A + R"("]}}})",
                                    {kReferenceSetInvalidValue});
  EXPECT_NE(errors[0].message.find("/pcrs/sha256/24"), std::string::npos) << errors[0].message;
}

TEST(ReferenceSet, RejectsPcrIndexWithLeadingZeroSignOrLetters) {
  for (const char* key : {"07", "-1", "+1", "x", "", "1.0"}) {
    expect_errors(R"({"name": "x", "pcrs": {"sha256": {")" + std::string(key) + R"(": [")" + kSha256A + R"("]}}})",
                  {kReferenceSetInvalidValue});
  }
}

TEST(ReferenceSet, RejectsUnknownBank) {
  expect_errors(R"({"name": "x", "pcrs": {"sha3_256": {}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsEmptyAlternativeList) {
  expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": []}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsSingleStringInsteadOfAlternativeList) {
  expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": ")" + kSha256A + R"("}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsDuplicateAlternativeEvenInAnotherCase) {
  expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + kSha256A + R"(", ")" + std::string(64, 'A') + R"("]}}})",
                {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsHexWithPrefixOrBadDigits) {
  expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": ["0x)" + std::string(62, 'a') + R"("]}}})",
                {kReferenceSetInvalidValue});
  expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + std::string(63, 'a') + R"(g"]}}})",
                {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsGpuIndexZeroAnd255) {
  expect_errors(R"({"name": "x", "gpu": {"GH100": {"0": ["00"]}}})", {kReferenceSetInvalidValue});
  expect_errors(R"({"name": "x", "gpu": {"GH100": {"255": ["00"]}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsGpuValueLongerThanTheLimitAndOddHex) {
  expect_errors(R"({"name": "x", "gpu": {"GH100": {"1": [")" + std::string(2 * (kMaxGpuMeasurementSize + 1), 'a') + R"("]}}})",
                {kReferenceSetInvalidValue});
  expect_errors(R"({"name": "x", "gpu": {"GH100": {"1": ["abc"]}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsGpuModelThatIsNotAName) {
  expect_errors(R"({"name": "x", "gpu": {"GH100 A01": {}}})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsUnsupportedFormatVersion) {
  expect_errors(R"({"version": 2, "name": "x"})", {kReferenceSetUnsupportedVersion});
  expect_errors(R"({"version": -1, "name": "x"})", {kReferenceSetUnsupportedVersion});
}

TEST(ReferenceSet, RejectsVersionThatIsNotAnInteger) {
  expect_errors(R"({"version": "1", "name": "x"})", {kReferenceSetInvalidValue});
  expect_errors(R"({"version": 1.0, "name": "x"})", {kReferenceSetInvalidValue});
}

TEST(ReferenceSet, RejectsTextThatIsNotJson) { expect_errors("{\"name\": ", {kReferenceSetMalformed}); }

TEST(ReferenceSet, RejectsTopLevelArray) { expect_errors("[]", {kReferenceSetMalformed}); }

TEST(ReferenceSet, RejectsDuplicateKeyInsteadOfKeepingTheLastOne) {
  const auto errors = expect_errors(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + kSha256A + R"("], "0": [")" +
                                        kSha256B + R"("]}}})",
                                    {kReferenceSetMalformed});
  EXPECT_NE(errors[0].message.find("\"0\" appears twice"), std::string::npos) << errors[0].message;
}

TEST(ReferenceSet, AcceptsTheSameKeyInSiblingObjects) {
  test::must_parse_reference_set(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + kSha256A + R"("]},
                                                           "sha1": {"0": [")" + kSha1A + R"("]}}})");
}

TEST(ReferenceSet, RejectsNestingDeeperThanTheLimitBeforeParsing) {
  const std::string deep = R"({"name": "x", "gpu": )" + std::string(kMaxDocumentDepth, '[') +
                           std::string(kMaxDocumentDepth, ']') + "}";
  expect_errors(deep, {kReferenceSetMalformed});
}

TEST(ReferenceSet, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string description(4 * kMaxDocumentDepth, '[');
  test::must_parse_reference_set(R"({"name": "x", "description": ")" + description + R"("})");
}

TEST(ReferenceSet, ReportsEveryProblemOfTheDocumentInOrder) {
  expect_errors(R"({"name": "a b", "extra": 1, "pcrs": {"sha256": {"24": [")" + kSha256A + R"("], "1": ["00"]}}})",
                {kReferenceSetUnknownKey, kReferenceSetInvalidValue, kReferenceSetInvalidValue, kReferenceSetInvalidValue});
}

TEST(ReferenceSet, EscapesSlashAndTildeInTheKeyPath) {
  const auto errors = expect_errors(R"({"name": "x", "a/b~c": 1})", {kReferenceSetUnknownKey});
  EXPECT_NE(errors[0].message.find("/a~1b~0c"), std::string::npos) << errors[0].message;
}

TEST(ReferenceSet, ParsesAnAlreadyParsedJsonValueTheSameWay) {
  const auto doc = nlohmann::json::parse(R"({"name": "x", "pcrs": {"sha256": {"0": [")" + kSha256A + R"("]}}})");
  const auto set = parse_reference_set_json(doc);
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->pcrs.at(HashAlg::sha256).at(0)[0], test::digest(kSha256A));
  const auto bad = parse_reference_set_json(nlohmann::json::parse(R"({"name": "x", "gpus": {}})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(ids(bad.error()), std::vector<std::string_view>{kReferenceSetUnknownKey});
}

}  // namespace
}  // namespace attestd::policy
