// Host-to-policy binding (issue 4: "hosts are bound to a policy by name or label").
//
// The rule, deterministic and independent of the order of `available`:
//   1. A host bound to a policy by name gets that policy, whatever its labels say; if no available
//      policy has that name: policy.not_found (no fallback to labels: an explicit binding that
//      silently changes is worse than none).
//   2. Otherwise the policies whose hosts.labels are all among the host's labels (same key, same
//      value) apply. A policy without "hosts" applies only by name; "hosts": {"labels": {}} applies
//      to every host.
//   3. Exactly one applies: it is selected. None: policy.none. Several: policy.ambiguous, naming
//      them; the tenant must make the labels disjoint or bind the host by name.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string_view>

#include "attestd/evidence/error.h"
#include "attestd/policy/policy_document.h"

namespace attestd::policy {

// Returns a pointer into `available` (never null), valid as long as `available` is; or the reason
// why no single policy applies (kPolicyNotFound, kPolicyNone, kPolicyAmbiguous). Two available
// policies with the explicit name are ambiguous as well.
std::expected<const Policy*, evidence::Error> select_policy(const Labels& host_labels,
                                                             std::optional<std::string_view> explicit_name,
                                                             std::span<const Policy> available);
// The same over policies held elsewhere (a cache of parsed documents); returns one of the pointers.
std::expected<const Policy*, evidence::Error> select_policy_by_reference(const Labels& host_labels,
                                                                          std::optional<std::string_view> explicit_name,
                                                                          std::span<const Policy* const> available);

}  // namespace attestd::policy
