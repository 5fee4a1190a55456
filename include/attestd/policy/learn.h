// Learning a reference set from a known-good machine (`attestctl golden learn`): every extending
// event of its measured-boot log becomes a known event, described in human terms (application
// path, variable name, grub command, command line), so that a reviewer can read what will be
// trusted before applying it.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"
#include "attestd/policy/claims.h"
#include "attestd/policy/reference_set.h"

namespace attestd::policy {

struct LearnOptions {
  std::string name;         // the reference set's name (is_valid_name)
  std::string description;  // optional
  // Only events in these PCRs are learned; empty: every PCR of the log.
  std::vector<uint32_t> pcrs;
  // When given (the PCR values of the same boot, verified against the log by the caller), their
  // values for the PCRs the log touches become the set's PCR golden values too.
  const evidence::PcrValues* pcr_values = nullptr;
  std::vector<uint32_t> pcr_values_touched;  // PCRs whose values to keep (the replay's verified ones)
};

// The reference set of `events` (boot_events() of a verified log). Each event keeps one digest: its
// sha256 one, else the strongest bank it has; events equal in PCR, type and digest are listed once.
ReferenceSet learn_reference_set(std::span<const BootEvent> events, const LearnOptions& options);

}  // namespace attestd::policy
