// Event-level measured-boot rules (issue 5): walks the verified log's BootEvent claims and returns
// one reason per violation, each naming its event. Internal to policy/; appraisal.cpp calls it.
#pragma once

#include <vector>

#include "attestd/policy/appraisal.h"
#include "attestd/policy/claims.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"

namespace attestd::policy {

// `sets` are the policy's reference sets that are available (a missing one is reported by the
// caller; rules naming it then find no known event: fail closed). Returns nothing when the policy
// has no event rules or the quote or the log did not verify (their own reasons fail the TPM).
std::vector<Reason> appraise_measured_boot(const Policy& policy, const std::vector<const ReferenceSet*>& sets,
                                           const TpmClaims& tpm);

}  // namespace attestd::policy
