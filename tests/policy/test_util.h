// Helpers shared by the policy tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"

namespace attestd::policy::test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline evidence::Digest digest(std::string_view hex) {
  const auto bytes = evidence::from_hex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes ? evidence::Digest(std::span<const uint8_t>(bytes->data(), bytes->size())) : evidence::Digest();
}

inline std::vector<uint8_t> bytes(std::string_view hex) {
  const auto b = evidence::from_hex(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  return b ? std::vector<uint8_t>(b->begin(), b->end()) : std::vector<uint8_t>();
}

// The ids of a list of errors or reasons, in order.
template <typename T>
std::vector<std::string_view> ids(const std::vector<T>& items) {
  std::vector<std::string_view> out;
  for (const auto& item : items) out.push_back(item.id);
  return out;
}

inline std::string messages(const std::vector<evidence::Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::string(e.id) + ": " + e.message + "\n";
  return out;
}

inline Policy must_parse_policy(std::string_view text) {
  auto p = parse_policy(text);
  EXPECT_TRUE(p.has_value()) << (p ? std::string() : messages(p.error()));
  return p ? *p : Policy{};
}

inline ReferenceSet must_parse_reference_set(std::string_view text) {
  auto s = parse_reference_set(text);
  EXPECT_TRUE(s.has_value()) << (s ? std::string() : messages(s.error()));
  return s ? *s : ReferenceSet{};
}

inline const Reason* find_reason(const Appraisal& a, std::string_view id) {
  const auto it = std::find_if(a.reasons.begin(), a.reasons.end(), [&](const Reason& r) { return r.id == id; });
  return it == a.reasons.end() ? nullptr : &*it;
}

inline std::string describe(const Appraisal& a) {
  std::string out = std::string(to_string(a.verdict)) + "\n";
  for (const auto& r : a.reasons) out += "  [" + r.submod + "] " + std::string(r.id) + ": " + r.message + "\n";
  return out;
}

}  // namespace attestd::policy::test
