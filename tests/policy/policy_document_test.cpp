// Policy documents: what parses, and the exact id and JSON Pointer of each way one fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attestd/policy/policy_document.h"
#include "attestd/policy/reasons.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using evidence::HashAlg;
using nlohmann::json;
using test::ids;

// A valid TPM-only policy; tests change one part of it.
json base() {
  return json::parse(R"({
    "name": "base",
    "require": {"tpm": true, "event_log": true, "gpus": 0},
    "reference_sets": ["golden"],
    "pcrs": {"sha256": [7, 0, 4]},
    "max_age_seconds": 300
  })");
}

DocumentErrors expect_errors(const json& doc, std::vector<std::string_view> expected_ids) {
  auto result = parse_policy(doc.dump());
  EXPECT_FALSE(result.has_value());
  if (result) return {};
  EXPECT_EQ(ids(result.error()), expected_ids) << test::messages(result.error());
  return result.error();
}

void expect_message_names(const DocumentErrors& errors, std::string_view text) {
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find(text), std::string::npos) << errors[0].message;
}

TEST(PolicyDocument, ParsesTheBasePolicyWithSortedPcrsAndDefaults) {
  const auto p = test::must_parse_policy(base().dump());
  EXPECT_EQ(p.name, "base");
  EXPECT_TRUE(p.require_tpm);
  EXPECT_TRUE(p.require_event_log);
  EXPECT_EQ(p.require_gpus.min, 0u);
  EXPECT_EQ(p.require_gpus.max, std::optional<uint32_t>(0));
  EXPECT_EQ(p.reference_sets, std::vector<std::string>{"golden"});
  EXPECT_EQ(p.pcrs.at(HashAlg::sha256), (std::vector<uint32_t>{0, 4, 7}));
  EXPECT_FALSE(p.gpu.has_value());
  EXPECT_EQ(p.max_age, std::chrono::seconds(300));
  EXPECT_FALSE(p.host_labels.has_value());
  EXPECT_TRUE(p.keys.empty());
}

TEST(PolicyDocument, ParsesEveryKey) {
  auto doc = base();
  doc["version"] = 1;
  doc["description"] = "d";
  doc["require"]["gpus"] = json::parse(R"({"min": 1, "max": 8})");
  doc["gpu"] = json::parse(R"({"models": ["GH100", "GB100"], "measurements": "rim"})");
  doc["hosts"] = json::parse(R"({"labels": {"role": "gpu", "zone": ""}})");
  doc["keys"] = json::parse(R"(["k1", "k2"])");
  const auto p = test::must_parse_policy(doc.dump());
  EXPECT_EQ(p.description, "d");
  EXPECT_EQ(p.require_gpus.min, 1u);
  EXPECT_EQ(p.require_gpus.max, std::optional<uint32_t>(8));
  ASSERT_TRUE(p.gpu.has_value());
  EXPECT_EQ(p.gpu->models, (std::vector<std::string>{"GH100", "GB100"}));
  EXPECT_EQ(p.gpu->measurements, GpuMeasurements::rim);
  EXPECT_EQ(p.host_labels, (Labels{{"role", "gpu"}, {"zone", ""}}));
  EXPECT_EQ(p.keys, (std::vector<std::string>{"k1", "k2"}));
}

TEST(PolicyDocument, GpuCountIntegerMeansExactlyThatMany) {
  auto doc = base();
  doc["require"]["gpus"] = 4;
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "none"})");
  const auto p = test::must_parse_policy(doc.dump());
  EXPECT_EQ(p.require_gpus.min, 4u);
  EXPECT_EQ(p.require_gpus.max, std::optional<uint32_t>(4));
}

TEST(PolicyDocument, GpuCountWithOnlyMinIsUnbounded) {
  auto doc = base();
  doc["require"]["gpus"] = json::parse(R"({"min": 2})");
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "none"})");
  const auto p = test::must_parse_policy(doc.dump());
  EXPECT_EQ(p.require_gpus.min, 2u);
  EXPECT_FALSE(p.require_gpus.max.has_value());
}

TEST(PolicyDocument, RejectsUnknownKeyNamingItsPath) {
  auto doc = base();
  doc["require"]["tmp"] = true;
  expect_message_names(expect_errors(doc, {kDocumentUnknownKey}), "/require/tmp");
  doc = base();
  doc["secure_boots"] = "required";  // a misspelt rule is refused, never ignored
  expect_message_names(expect_errors(doc, {kDocumentUnknownKey}), "/secure_boots");
  doc = base();
  doc["events"] = {{"pcrs", {0}}, {"only_from", "golden"}, {"strict", true}};
  expect_message_names(expect_errors(doc, {kDocumentUnknownKey}), "/events/strict");
}

TEST(PolicyDocument, RejectsEachMissingRequiredKey) {
  for (const char* key : {"name", "require", "pcrs", "max_age_seconds"}) {
    auto doc = base();
    doc.erase(key);
    expect_message_names(expect_errors(doc, {kDocumentMissingKey}), std::string("/") + key);
  }
  for (const char* key : {"tpm", "event_log", "gpus"}) {
    auto doc = base();
    doc["require"].erase(key);
    expect_message_names(expect_errors(doc, {kDocumentMissingKey}), std::string("/require/") + key);
  }
}

TEST(PolicyDocument, RejectsUnsupportedFormatVersion) {
  auto doc = base();
  doc["version"] = 2;
  expect_errors(doc, {kDocumentUnsupportedVersion});
}

TEST(PolicyDocument, RejectsMalformedTextAndDuplicateKeys) {
  for (const std::string& text : {std::string("{"), std::string("\"policy\""),
                                 std::string(R"({"name": "a", "name": "b"})")}) {
    const auto result = parse_policy(text);
    ASSERT_FALSE(result.has_value()) << text;
    EXPECT_EQ(ids(result.error()), std::vector<std::string_view>{kDocumentMalformed}) << text;
  }
}

TEST(PolicyDocument, RejectsWrongTypes) {
  auto doc = base();
  doc["require"]["tpm"] = "yes";
  expect_errors(doc, {kDocumentInvalidValue});
  doc = base();
  doc["max_age_seconds"] = 300.0;
  expect_errors(doc, {kDocumentInvalidValue});
  doc = base();
  doc["max_age_seconds"] = "300";
  expect_errors(doc, {kDocumentInvalidValue});
  doc = base();
  doc["reference_sets"] = "golden";
  expect_errors(doc, {kDocumentInvalidValue});
}

TEST(PolicyDocument, RejectsMaxAgeOutsideItsRange) {
  for (const json& age : {json(0), json(-5), json(kMaxAgeLimitSeconds + 1), json(UINT64_MAX)}) {
    auto doc = base();
    doc["max_age_seconds"] = age;
    expect_errors(doc, {kDocumentInvalidValue});
  }
}

TEST(PolicyDocument, RejectsPcrIndexOutOfRangeDuplicateOrUnknownBank) {
  auto doc = base();
  doc["pcrs"] = json::parse(R"({"sha256": [24]})");
  expect_message_names(expect_errors(doc, {kDocumentInvalidValue}), "/pcrs/sha256/0");
  doc["pcrs"] = json::parse(R"({"sha256": [1, 1]})");
  expect_message_names(expect_errors(doc, {kDocumentInvalidValue}), "/pcrs/sha256/1");
  doc["pcrs"] = json::parse(R"({"md5": [1]})");
  expect_errors(doc, {kDocumentInvalidValue});
}

TEST(PolicyDocument, RejectsBadGpuCounts) {
  for (const char* gpus : {R"({"min": 3, "max": 2})", R"({})", R"(-1)", R"(1025)", R"(1.5)", R"({"min": 1, "count": 2})"}) {
    auto doc = base();
    doc["require"]["gpus"] = json::parse(gpus);
    doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "none"})");
    const auto result = parse_policy(doc.dump());
    ASSERT_FALSE(result.has_value()) << gpus;
    EXPECT_TRUE(result.error()[0].id == kDocumentInvalidValue || result.error()[0].id == kDocumentUnknownKey) << gpus;
  }
}

TEST(PolicyDocument, RejectsBadGpuRules) {
  auto doc = base();
  doc["require"]["gpus"] = 1;
  doc["gpu"] = json::parse(R"({"models": [], "measurements": "rim"})");
  expect_errors(doc, {kDocumentInvalidValue});
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "strict"})");
  expect_errors(doc, {kDocumentInvalidValue});
  doc["gpu"] = json::parse(R"({"models": ["GH100", "GH100"], "measurements": "rim"})");
  expect_errors(doc, {kDocumentInvalidValue});
  doc["gpu"] = json::parse(R"({"models": ["GH100"]})");
  expect_errors(doc, {kDocumentMissingKey});
}

TEST(PolicyDocument, RejectsBadHostsAndKeys) {
  auto doc = base();
  doc["hosts"] = json::parse(R"({"labels": {"role": 1}})");
  expect_message_names(expect_errors(doc, {kDocumentInvalidValue}), "/hosts/labels/role");
  doc["hosts"] = json::parse(R"({"labels": {"": "x"}})");
  expect_errors(doc, {kDocumentInvalidValue});
  doc["hosts"] = json::parse(R"({})");
  expect_errors(doc, {kDocumentMissingKey});
  doc = base();
  doc["keys"] = json::parse(R"(["k", "k"])");
  expect_errors(doc, {kDocumentInvalidValue});
  doc["keys"] = json::parse(R"(["bad key"])");
  expect_errors(doc, {kDocumentInvalidValue});
}

TEST(PolicyDocument, RejectsPolicyThatRequiresNoEvidence) {
  auto doc = base();
  doc["require"] = json::parse(R"({"tpm": false, "event_log": false, "gpus": {"max": 2}})");
  doc["pcrs"] = json::object();
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "rim"})");
  expect_message_names(expect_errors(doc, {kDocumentInconsistent}), "/require");
}

TEST(PolicyDocument, RejectsPcrsOrEventLogWithoutTpm) {
  auto doc = base();
  doc["require"] = json::parse(R"({"tpm": false, "event_log": true, "gpus": 1})");
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "rim"})");
  const auto errors = expect_errors(doc, {kDocumentInconsistent, kDocumentInconsistent});
  EXPECT_NE(errors[0].message.find("/pcrs"), std::string::npos);
  EXPECT_NE(errors[1].message.find("/require/event_log"), std::string::npos);
}

TEST(PolicyDocument, RejectsGpusAdmittedWithoutGpuRules) {
  auto doc = base();
  doc["require"]["gpus"] = json::parse(R"({"min": 0})");
  expect_message_names(expect_errors(doc, {kDocumentInconsistent}), "/gpu");
}

TEST(PolicyDocument, RejectsGoldenValuesWithoutReferenceSets) {
  auto doc = base();
  doc.erase("reference_sets");
  expect_message_names(expect_errors(doc, {kDocumentInconsistent}), "/reference_sets");
  doc = base();
  doc["reference_sets"] = json::array();
  doc["pcrs"] = json::object();
  doc["require"]["gpus"] = 1;
  doc["gpu"] = json::parse(R"({"models": ["GH100"], "measurements": "reference"})");
  expect_errors(doc, {kDocumentInconsistent});
}

TEST(PolicyDocument, AcceptsEmptyPcrsAsAnExplicitDecisionWithoutReferenceSets) {
  auto doc = base();
  doc.erase("reference_sets");
  doc["pcrs"] = json::object();
  test::must_parse_policy(doc.dump());
}

TEST(PolicyDocument, ChecksConsistencyOnlyOnceEveryKeyIsValid) {
  // A wrong type is reported alone, not with the contradictions its default value would cause.
  auto doc = base();
  doc["require"]["tpm"] = "no";
  expect_errors(doc, {kDocumentInvalidValue});
}

TEST(PolicyDocument, ParsesAnAlreadyParsedJsonValueTheSameWay) {
  const auto p = parse_policy_json(base());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "base");
  auto doc = base();
  doc["max_age"] = 1;
  const auto bad = parse_policy_json(doc);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(ids(bad.error()), std::vector<std::string_view>{kDocumentUnknownKey});
}

}  // namespace
}  // namespace attestd::policy
