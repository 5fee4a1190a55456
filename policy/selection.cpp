// Host-to-policy binding; the rule is documented in selection.h.
#include "attestd/policy/selection.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attestd/policy/reasons.h"

namespace attestd::policy {

namespace {

bool labels_match(const Labels& wanted, const Labels& host) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& label) {
    const auto it = host.find(label.first);
    return it != host.end() && it->second == label.second;
  });
}

std::expected<const Policy*, evidence::Error> single(const std::vector<const Policy*>& matches, std::string_view how) {
  if (matches.size() == 1) return matches.front();
  std::vector<std::string_view> names;
  for (const auto* p : matches) names.push_back(p->name);
  // Sorted so that the message does not depend on the order the caller listed the policies in.
  std::sort(names.begin(), names.end());
  return std::unexpected(evidence::Error{
      kPolicyAmbiguous, fmt::format("{} policies apply {}: {}", matches.size(), how, fmt::join(names, ", "))});
}

}  // namespace

std::expected<const Policy*, evidence::Error> select_policy(const Labels& host_labels,
                                                             std::optional<std::string_view> explicit_name,
                                                             std::span<const Policy> available) {
  std::vector<const Policy*> pointers;
  pointers.reserve(available.size());
  for (const auto& p : available) pointers.push_back(&p);
  return select_policy_by_reference(host_labels, explicit_name, pointers);
}

std::expected<const Policy*, evidence::Error> select_policy_by_reference(const Labels& host_labels,
                                                                          std::optional<std::string_view> explicit_name,
                                                                          std::span<const Policy* const> available) {
  std::vector<const Policy*> matches;
  if (explicit_name) {
    for (const Policy* p : available) {
      if (p->name == *explicit_name) matches.push_back(p);
    }
    if (matches.empty()) {
      return std::unexpected(evidence::Error{
          kPolicyNotFound, fmt::format("the host is bound to policy {}, which does not exist", *explicit_name)});
    }
    return single(matches, fmt::format("by the name {}", *explicit_name));
  }
  for (const Policy* p : available) {
    if (p->host_labels && labels_match(*p->host_labels, host_labels)) matches.push_back(p);
  }
  if (matches.empty()) {
    return std::unexpected(evidence::Error{
        kPolicyNone, "no policy applies to the host (none names it and none matches its labels): no policy, no pass"});
  }
  return single(matches, "by the host's labels");
}

}  // namespace attestd::policy
