// Appraisal: claims against a policy and its reference sets, giving a verdict with every reason
// (DESIGN §3). Pure: the reference sets and "now" are arguments; nothing is read or fetched.
//
// Verdict rules (golden-values/README.md has the table):
//   - every evidence reason in the claims is passed through: contraindicated;
//   - every violated policy rule adds a reason: contraindicated;
//   - no policy for the host (appraise_without_policy): none, unless evidence failed;
//   - the verdict of a set of reasons is the worst of them (contraindicated > warning > none >
//     affirming, see worse() in verdict.h); no reason at all is affirming.
// Golden values are compared only with verified evidence: values from evidence that failed
// verification are untrusted, and its own reasons already say why.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/policy/claims.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"
#include "attestd/policy/verdict.h"

namespace attestd::policy {

inline constexpr std::string_view kTpmSubmod = "tpm0";
// "gpu0", "gpu1", ...: the EAR submodule of Claims::gpus[index].
std::string gpu_submod(size_t index);

// The log event a reason is about (issue 5: "with the event that violated it").
struct EventRef {
  size_t index = 0;    // in the log, the Spec ID header being 0
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::string digest;  // "<bank>:<hex>" in the strongest bank the event has

  friend bool operator==(const EventRef&, const EventRef&) = default;
};

struct Reason {
  std::string_view id;  // a stable id with static storage (policy or evidence reasons.h)
  std::string message;
  // EAR submodule the reason belongs to ("tpm0", "gpu1"); empty when it concerns the attestation
  // as a whole (no policy, stale evidence, GPU count), which then counts against every submodule.
  std::string submod;
  // The AR4SI claim it affects; nullopt when it affects none in particular (no policy, stale).
  std::optional<Ar4siDimension> dimension;
  Verdict verdict = Verdict::contraindicated;  // what the reason makes of its submodule
  std::optional<EventRef> event;               // for event-level reasons

  friend bool operator==(const Reason&, const Reason&) = default;
};

struct SubmodAppraisal {
  Verdict verdict = Verdict::affirming;
  // Ids of the reasons that count against this submodule (its own and the attestation-wide ones),
  // in check order: what result::Submod::reasons and derive_trust_vector take.
  std::vector<std::string> reason_ids;
  // Each AR4SI claim this appraisal has an opinion on: affirming for a dimension that a passed
  // check vouches for (a verified quote: instance-identity; matching boot PCRs: executables and
  // configuration; a verified GPU: instance-identity and hardware), else the worst reason's
  // verdict. Dimensions not appraised are absent (AR4SI "no claim").
  std::map<Ar4siDimension, Verdict> dimensions;
};

struct Appraisal {
  Verdict verdict = Verdict::none;
  std::vector<Reason> reasons;  // every reason, in check order
  // "tpm0" when TPM evidence was given or required, "gpu<i>" for each GPU claim.
  std::map<std::string, SubmodAppraisal> submods;
  std::string policy_name;  // empty without a policy
  // The policy's keys when the verdict is affirming and a TEE key is bound; else empty.
  std::vector<std::string> releasable_keys;
};

// Appraises `claims` against `policy` at time `now`. Only the reference sets whose names the policy
// lists are used (others are ignored); a listed one that is absent from `reference_sets` is a
// reason. Alternatives for the same PCR or GPU index are the union over the listed sets.
Appraisal appraise(const Policy& policy, std::span<const ReferenceSet> reference_sets, const Claims& claims,
                   std::chrono::sys_seconds now);
// The same over reference sets held elsewhere (the service's cache of parsed documents), so that a
// large set is not copied per appraisal.
Appraisal appraise_by_reference(const Policy& policy, std::span<const ReferenceSet* const> reference_sets,
                                const Claims& claims, std::chrono::sys_seconds now);

// The appraisal of a host no policy applies to ("no policy, no pass"): `why` (policy.none,
// policy.not_found or policy.ambiguous, as select_policy returns it) with verdict none, plus every
// evidence reason of `claims`, which still makes the verdict contraindicated.
Appraisal appraise_without_policy(const Claims& claims, const evidence::Error& why);

// The AR4SI dimension an evidence reason id affects (by its prefix: signatures, chains and nonces
// -> instance-identity; event-log replay and measurement comparison -> executables).
Ar4siDimension dimension_of_evidence_reason(std::string_view id);
// The AR4SI dimension a PCR governs: code measurements (PCR 0, 2, 4, 9, 10, 11, 13, 17, 18) ->
// executables, everything else (data and configuration) -> configuration.
Ar4siDimension dimension_of_pcr(uint32_t index);

}  // namespace attestd::policy
