// Fuzzes CoRIM decoding into a reference set. Properties: a refusal leaves the set exactly as it
// was and carries a reason; an accepted CoRIM adds only non-empty values under named models, and
// the set it produces serialises and parses back.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "attestd/policy/corim.h"
#include "attestd/policy/reference_set.h"

using namespace attestd::policy;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReferenceSet set;
  set.name = "fuzz";
  const auto before = to_json(set);
  auto added = add_corim_reference_values(set, std::span<const uint8_t>(data, size));
  if (!added) {
    check(!added.error().message.empty());
    check(to_json(set) == before);
    return 0;
  }
  for (const auto& [model, indices] : set.gpu) {
    check(!model.empty());
    for (const auto& [index, values] : indices) {
      check(!values.empty());
      for (const auto& v : values) check(!v.empty());
    }
  }
  const auto doc = to_json(set);
  auto again = parse_reference_set(doc.dump());  // as stored: text
  check(again.has_value());
  check(to_json(*again) == doc);
  return 0;
}
