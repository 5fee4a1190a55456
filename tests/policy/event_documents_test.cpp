// The issue-5 keys of both documents: each parses, and each malformed form is refused with its id
// and the JSON Pointer of the offending value.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/reference_set.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using json = nlohmann::json;
using evidence::HashAlg;
using test::ids;
using Ids = std::vector<std::string_view>;

const std::string kHash(64, 'a');

json base_policy() {
  return json::parse(R"({
    "name": "events", "require": {"tpm": true, "event_log": true, "gpus": 0},
    "reference_sets": ["golden"], "pcrs": {}, "max_age_seconds": 60})");
}

void expect_policy_error(const json& doc, std::string_view id, std::string_view pointer) {
  const auto r = parse_policy(doc.dump());
  ASSERT_FALSE(r.has_value()) << doc.dump();
  ASSERT_EQ(ids(r.error()), Ids{id}) << test::messages(r.error());
  EXPECT_TRUE(r.error()[0].message.starts_with(std::string(pointer) + ":")) << r.error()[0].message;
}

TEST(EventPolicyDocument, ParsesEveryEventRule) {
  auto doc = base_policy();
  doc["secure_boot"] = "required";
  doc["dbx"] = {{"must_contain", {kHash}}};
  doc["boot_applications"] = {{"only_from", "golden"}};
  doc["kernel_cmdline"] = {{"matches", "console=ttyS0( quiet)?"}};
  doc["events"] = {{"pcrs", {7, 0, 4}}, {"only_from", "golden"}};
  doc["keys"] = {"disk"};
  const auto p = test::must_parse_policy(doc.dump());
  EXPECT_TRUE(p.secure_boot_required);
  ASSERT_EQ(p.dbx_must_contain.size(), 1u);
  EXPECT_EQ(p.boot_applications_only_from, "golden");
  ASSERT_TRUE(p.kernel_cmdline.has_value());
  EXPECT_EQ(p.kernel_cmdline->mode, KernelCmdlineRule::Mode::matches);
  ASSERT_TRUE(p.events.has_value());
  EXPECT_EQ(p.events->pcrs, (std::vector<uint32_t>{0, 4, 7}));
  EXPECT_EQ(p.releasable_keys(), std::vector<std::string>{"disk"});
  EXPECT_TRUE(p.has_event_rules());
  EXPECT_FALSE(test::must_parse_policy(base_policy().dump()).has_event_rules());
}

TEST(EventPolicyDocument, RefusesEachMalformedRule) {
  auto doc = base_policy();
  doc["secure_boot"] = true;
  expect_policy_error(doc, kDocumentInvalidValue, "/secure_boot");
  doc = base_policy();
  doc["dbx"] = {{"must_contain", json::array()}};
  expect_policy_error(doc, kDocumentInvalidValue, "/dbx/must_contain");
  doc["dbx"] = {{"must_contain", {kHash.substr(2)}}};
  expect_policy_error(doc, kDocumentInvalidValue, "/dbx/must_contain/0");
  doc["dbx"] = {{"must_contain", {kHash, kHash}}};
  expect_policy_error(doc, kDocumentInvalidValue, "/dbx/must_contain/1");
  doc["dbx"] = json::object();
  expect_policy_error(doc, kDocumentMissingKey, "/dbx/must_contain");
  doc = base_policy();
  doc["boot_applications"] = {{"only_from", "no such"}};
  expect_policy_error(doc, kDocumentInvalidValue, "/boot_applications/only_from");
  doc = base_policy();
  doc["kernel_cmdline"] = {{"equals", "a"}, {"matches", "b"}};
  expect_policy_error(doc, kDocumentInvalidValue, "/kernel_cmdline");
  doc["kernel_cmdline"] = {{"matches", "(unclosed"}};
  expect_policy_error(doc, kDocumentInvalidValue, "/kernel_cmdline/matches");
  doc["kernel_cmdline"] = {{"matches", std::string(kMaxPatternLength + 1, 'a')}};
  expect_policy_error(doc, kDocumentInvalidValue, "/kernel_cmdline/matches");
  doc["kernel_cmdline"] = {{"equals", 1}};
  expect_policy_error(doc, kDocumentInvalidValue, "/kernel_cmdline/equals");
  doc = base_policy();
  doc["events"] = {{"pcrs", {24}}, {"only_from", "golden"}};
  expect_policy_error(doc, kDocumentInvalidValue, "/events/pcrs/0");
  doc["events"] = {{"pcrs", json::array()}, {"only_from", "golden"}};
  expect_policy_error(doc, kDocumentInvalidValue, "/events/pcrs");
  doc["events"] = {{"pcrs", {1}}};
  expect_policy_error(doc, kDocumentMissingKey, "/events/only_from");
}

TEST(EventPolicyDocument, RefusesContradictions) {
  auto doc = base_policy();
  doc["boot_applications"] = {{"only_from", "other"}};
  expect_policy_error(doc, kDocumentInconsistent, "/boot_applications/only_from");
  doc = base_policy();
  doc["kernel_cmdline"] = {{"only_from", "other"}};
  expect_policy_error(doc, kDocumentInconsistent, "/kernel_cmdline/only_from");
  doc = base_policy();
  doc["events"] = {{"pcrs", {0}}, {"only_from", "other"}};
  expect_policy_error(doc, kDocumentInconsistent, "/events/only_from");
  doc = base_policy();
  doc["require"]["event_log"] = false;
  doc["dbx"] = {{"must_contain", {kHash}}};
  expect_policy_error(doc, kDocumentInconsistent, "/require/event_log");
}

TEST(GpuPolicyDocument, MinimumVersions) {
  const auto doc = [](json extra) {
    json d = json::parse(R"({"name": "g", "require": {"tpm": false, "event_log": false, "gpus": 1}, "pcrs": {},
      "max_age_seconds": 60, "gpu": {"models": ["GH100"], "measurements": "rim"}})");
    d["gpu"].update(extra);
    return d;
  };
  const auto p = test::must_parse_policy(doc({{"min_driver", "535.86.09"}, {"min_vbios", "96.00.5E.00.01"}}).dump());
  EXPECT_EQ(p.gpu->min_driver, "535.86.09");
  EXPECT_EQ(p.gpu->min_vbios, "96.00.5E.00.01");
  expect_policy_error(doc({{"min_driver", "r535"}}), kDocumentInvalidValue, "/gpu/min_driver");
  expect_policy_error(doc({{"min_vbios", "96..01"}}), kDocumentInvalidValue, "/gpu/min_vbios");
  expect_policy_error(doc({{"min_driver", 535}}), kDocumentInvalidValue, "/gpu/min_driver");
}

// ---- reference-set events ----

json base_set() {
  return json::parse(R"({"name": "golden", "events": [
    {"pcr": 4, "type": "EV_EFI_BOOT_SERVICES_APPLICATION", "digests": {"sha256": ")" + kHash + R"("},
     "description": "\\EFI\\BOOT\\BOOTX64.EFI"}]})");
}

void expect_set_error(const json& doc, std::string_view id, std::string_view pointer) {
  const auto r = parse_reference_set(doc.dump());
  ASSERT_FALSE(r.has_value()) << doc.dump();
  ASSERT_EQ(ids(r.error()), Ids{id}) << test::messages(r.error());
  EXPECT_TRUE(r.error()[0].message.starts_with(std::string(pointer) + ":")) << r.error()[0].message;
}

TEST(ReferenceSetEvents, ParseAndRoundTripThroughToJson) {
  auto doc = base_set();
  doc["events"].push_back({{"pcr", 14}, {"type", "0x0000040e"}, {"digests", {{"sha1", std::string(40, 'b')}}}});
  const auto set = test::must_parse_reference_set(doc.dump());
  ASSERT_EQ(set.events.size(), 2u);
  EXPECT_EQ(set.events[0].type, evidence::eventlog::EV_EFI_BOOT_SERVICES_APPLICATION);
  EXPECT_EQ(set.events[0].description, "\\EFI\\BOOT\\BOOTX64.EFI");
  EXPECT_EQ(set.events[1].type, 0x40eu);
  EXPECT_TRUE(set.events[1].digests.contains(HashAlg::sha1));
  const auto again = test::must_parse_reference_set(to_json(set).dump());
  EXPECT_EQ(again.events, set.events);
  EXPECT_EQ(to_json(again), to_json(set));
}

TEST(ReferenceSetEvents, RefusesEachMalformedEvent) {
  auto doc = base_set();
  doc["events"][0]["type"] = "EV_NOT_A_TYPE";
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/0/type");
  doc = base_set();
  doc["events"][0]["pcr"] = 24;
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/0/pcr");
  doc = base_set();
  doc["events"][0]["digests"] = {{"sha256", kHash.substr(8)}};
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/0/digests/sha256");
  doc["events"][0]["digests"] = {{"md5", kHash}};
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/0/digests/md5");
  doc["events"][0]["digests"] = json::object();
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/0/digests");
  doc = base_set();
  doc["events"][0].erase("digests");
  expect_set_error(doc, kReferenceSetMissingKey, "/events/0/digests");
  doc = base_set();
  doc["events"][0]["path"] = "x";
  expect_set_error(doc, kReferenceSetUnknownKey, "/events/0/path");
  doc = base_set();
  doc["events"].push_back(doc["events"][0]);
  expect_set_error(doc, kReferenceSetInvalidValue, "/events/1");
  doc = base_set();
  doc["events"] = json::object();
  expect_set_error(doc, kReferenceSetInvalidValue, "/events");
}

TEST(ReferenceSetEvents, AcceptsUpToTheLimitAndRefusesMore) {
  json doc = {{"name", "big"}, {"events", json::array()}};
  for (size_t i = 0; i < kMaxReferenceEvents; ++i) {
    doc["events"].push_back({{"pcr", i % 24}, {"type", "EV_IPL"}, {"digests", {{"sha256", fmt::format("{:064x}", i)}}}});
  }
  EXPECT_EQ(test::must_parse_reference_set(doc.dump()).events.size(), kMaxReferenceEvents);
  doc["events"].push_back({{"pcr", 0}, {"type", "EV_IPL"}, {"digests", {{"sha256", std::string(64, 'f')}}}});
  expect_set_error(doc, kReferenceSetInvalidValue, "/events");
}

}  // namespace
}  // namespace attestd::policy
