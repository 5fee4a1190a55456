// Stable reason ids of the policy layer: document errors (reference sets, policies) and appraisal
// reasons (DESIGN §3, §4).
//
// Ids are part of the API (verdicts, EAR, audit log, metrics, problem+json): never rename one once
// shipped, only add. The message beside an id names the offending value; messages may change.
#pragma once

#include <string_view>

namespace attestd::policy {

// ---- reference-set documents (golden-values/schema/reference-set.schema.json) ----
// Not JSON, nested too deeply, a duplicate object key, or the top level is not an object.
inline constexpr std::string_view kReferenceSetMalformed = "policy.reference_set.malformed";
// A key the format does not define; the message gives its JSON Pointer.
inline constexpr std::string_view kReferenceSetUnknownKey = "policy.reference_set.unknown_key";
inline constexpr std::string_view kReferenceSetMissingKey = "policy.reference_set.missing_key";
// Wrong type, bad name, bad hex or hex of the wrong length, PCR index outside 0-23, ...
inline constexpr std::string_view kReferenceSetInvalidValue = "policy.reference_set.invalid_value";
// "version" names a format this build does not know: refused rather than half understood.
inline constexpr std::string_view kReferenceSetUnsupportedVersion = "policy.reference_set.unsupported_version";

// ---- policy documents (golden-values/schema/policy.schema.json) ----
inline constexpr std::string_view kDocumentMalformed = "policy.document.malformed";
inline constexpr std::string_view kDocumentUnknownKey = "policy.document.unknown_key";
inline constexpr std::string_view kDocumentMissingKey = "policy.document.missing_key";
inline constexpr std::string_view kDocumentInvalidValue = "policy.document.invalid_value";
inline constexpr std::string_view kDocumentUnsupportedVersion = "policy.document.unsupported_version";
// Keys that are each valid but contradict one another (PCRs required without a TPM, ...).
inline constexpr std::string_view kDocumentInconsistent = "policy.document.inconsistent";

// ---- host-to-policy binding (selection.h) ----
// No policy applies to the host: "no pass" (verdict none).
inline constexpr std::string_view kPolicyNone = "policy.none";
// The host is bound to a policy by name and no policy of that name is available.
inline constexpr std::string_view kPolicyNotFound = "policy.not_found";
// Several policies apply to the host: refused rather than picking one.
inline constexpr std::string_view kPolicyAmbiguous = "policy.ambiguous";

// ---- required evidence ----
inline constexpr std::string_view kTpmMissing = "policy.evidence.tpm_missing";
inline constexpr std::string_view kEventLogMissing = "policy.evidence.event_log_missing";
inline constexpr std::string_view kGpuCount = "policy.evidence.gpu_count";
// A PCR the policy governs is not among the quoted PCR values.
inline constexpr std::string_view kPcrNotQuoted = "policy.evidence.pcr_not_quoted";
// Evidence is older than max_age_seconds, has no time, or claims a time after "now".
inline constexpr std::string_view kStale = "policy.evidence.stale";
// Claims say a piece of evidence did not verify but carry no evidence reason: a broken caller.
// Reported so that such evidence can never pass silently.
inline constexpr std::string_view kUnverified = "policy.evidence.unverified";

// ---- golden values ----
inline constexpr std::string_view kPcrMismatch = "policy.golden.pcr_mismatch";
// A PCR the policy governs has no golden value in any of its reference sets: fail closed.
inline constexpr std::string_view kPcrUnknown = "policy.golden.pcr_unknown";
inline constexpr std::string_view kGpuMeasurementMismatch = "policy.golden.gpu_measurement_mismatch";
// measurements "reference": no reference set has golden values for the GPU's model: fail closed.
inline constexpr std::string_view kGpuUnknown = "policy.golden.gpu_unknown";
// The policy names a reference set that the caller did not supply: fail closed.
inline constexpr std::string_view kReferenceSetMissing = "policy.golden.reference_set_missing";

// ---- GPU rules ----
inline constexpr std::string_view kGpuModelNotAllowed = "policy.gpu.model_not_allowed";
// measurements "rim": the evidence layer did not compare the GPU's measurements with its RIMs.
inline constexpr std::string_view kGpuRimNotCompared = "policy.gpu.rim_not_compared";

}  // namespace attestd::policy
