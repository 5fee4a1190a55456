// Fuzzes the policy and reference-set document parsers with the same text. Properties: a refusal
// names at least one problem; an accepted reference set survives its own round trip (to_json, then
// parse again) unchanged in what it serialises to.
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <string_view>

#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"

using namespace attestd::policy;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto policy = parse_policy(text); !policy) check(!policy.error().empty());
  auto set = parse_reference_set(text);
  if (!set) {
    check(!set.error().empty());
    return 0;
  }
  const auto doc = to_json(*set);
  auto again = parse_reference_set(doc.dump());  // as stored: text
  check(again.has_value());
  check(to_json(*again) == doc);
  return 0;
}
