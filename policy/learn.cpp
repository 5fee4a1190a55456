#include "attestd/policy/learn.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace attestd::policy {

ReferenceSet learn_reference_set(std::span<const BootEvent> events, const LearnOptions& options) {
  using evidence::HashAlg;
  ReferenceSet set;
  set.name = options.name;
  set.description = options.description;
  const auto wanted = [&](uint32_t pcr) {
    return options.pcrs.empty() || std::find(options.pcrs.begin(), options.pcrs.end(), pcr) != options.pcrs.end();
  };
  // Learned events keep one digest each, so (PCR, type, bank, digest) identifies them.
  std::set<std::tuple<uint32_t, uint32_t, HashAlg, std::string>> seen;
  for (const auto& e : events) {
    if (!wanted(e.pcr) || e.digests.empty()) continue;
    ReferenceEvent ref{e.pcr, e.type, {}, e.description};
    // sha256 is what every current TPM and log has; a legacy log has only sha1.
    for (HashAlg alg : {HashAlg::sha256, HashAlg::sha512, HashAlg::sha384, HashAlg::sm3_256, HashAlg::sha1}) {
      const auto it = e.digests.find(alg);
      if (it != e.digests.end()) {
        ref.digests.emplace(alg, it->second);
        break;
      }
    }
    if (ref.digests.empty()) continue;
    const auto& [alg, digest] = *ref.digests.begin();
    if (seen.insert({ref.pcr, ref.type, alg, digest.hex()}).second) set.events.push_back(std::move(ref));
  }
  if (options.pcr_values != nullptr) {
    for (const auto& [bank, values] : *options.pcr_values) {
      for (const uint32_t pcr : options.pcr_values_touched) {
        if (!wanted(pcr)) continue;
        const auto it = values.find(pcr);
        if (it != values.end()) set.pcrs[bank][pcr] = {it->second};
      }
    }
  }
  return set;
}

}  // namespace attestd::policy
