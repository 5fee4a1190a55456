// Every case in tests/policy/documents: the parser accepts the valid ones and refuses each other one
// with the id written beside it (schema_test.py checks the same files against the JSON Schema).
#include <gtest/gtest.h>

#include <filesystem>

#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(ATTESTD_POLICY_DOCUMENTS);

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

size_t run_cases(const std::string& kind) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(kCases / kind)) {
    if (entry.path().extension() != ".json") continue;
    ++n;
    const std::string text = test::read_text(entry.path().string());
    fs::path reason_file = entry.path();
    reason_file.replace_extension(".reason");
    std::optional<DocumentErrors> errors;
    if (kind == "policy") {
      auto p = parse_policy(text);
      if (!p) errors = p.error();
    } else {
      auto s = parse_reference_set(text);
      if (!s) errors = s.error();
    }
    const std::string name = entry.path().filename().string();
    if (!fs::exists(reason_file)) {
      EXPECT_FALSE(errors.has_value()) << name << ":\n" << (errors ? test::messages(*errors) : "");
      continue;
    }
    const std::string expected = trim(test::read_text(reason_file.string()));
    if (!errors) {
      ADD_FAILURE() << name << " parsed but should fail with " << expected;
      continue;
    }
    EXPECT_EQ(errors->front().id, expected) << name << ":\n" << test::messages(*errors);
  }
  return n;
}

TEST(DocumentCases, PolicyCasesParseOrFailWithTheirReason) { EXPECT_GE(run_cases("policy"), 10u); }

TEST(DocumentCases, ReferenceSetCasesParseOrFailWithTheirReason) { EXPECT_GE(run_cases("reference-set"), 10u); }

}  // namespace
}  // namespace attestd::policy
