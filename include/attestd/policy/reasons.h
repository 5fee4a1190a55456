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

// ---- measured-boot events (issue 5): each reason names the event (index, PCR, type, digest) ----
// "secure_boot": "required" and the SecureBoot variable measured in PCR 7 is not 1.
inline constexpr std::string_view kSecureBootDisabled = "secureboot.disabled";
// "secure_boot": "required" and PCR 7 of the verified log holds no SecureBoot variable event.
inline constexpr std::string_view kSecureBootNotMeasured = "secureboot.not_measured";
// A hash "dbx": {"must_contain"} lists is not in the measured dbx (or dbx is not measured).
inline constexpr std::string_view kDbxMissing = "policy.dbx.missing";
// A boot application or driver (PCR 2/4 image load) whose digest the "only_from" set does not list.
inline constexpr std::string_view kBootApplicationUnknown = "policy.boot_application.unknown";
// The measured kernel command line differs from "equals", does not match "matches", or is not
// listed in the "only_from" set.
inline constexpr std::string_view kKernelCmdlineMismatch = "policy.kernel_cmdline.mismatch";
// A "kernel_cmdline" rule and the verified log holds no command-line event.
inline constexpr std::string_view kKernelCmdlineMissing = "policy.kernel_cmdline.missing";
// "matches" and the log holds the command line only as a digest (the EFI stub's tag): unjudgeable.
inline constexpr std::string_view kKernelCmdlineUnreadable = "policy.kernel_cmdline.unreadable";
// An event in a PCR the "events" rule governs that its reference set does not list.
inline constexpr std::string_view kEventUnknown = "policy.golden.event_unknown";
// A PCR an event-level rule governs holds events but the quote does not vouch for them (not quoted
// in any bank the log replays): the events could be anything.
inline constexpr std::string_view kEventLogNotCovered = "policy.eventlog.not_covered";
// A governed PCR 0-7 without an EV_SEPARATOR 00000000 (PFP 1.05 §3.3.2: firmware ends each with one).
inline constexpr std::string_view kSeparatorMissing = "policy.eventlog.separator_missing";
// PCR 5 is governed and the log lacks EV_EFI_ACTION "Exit Boot Services Invocation".
inline constexpr std::string_view kExitBootServicesMissing = "policy.eventlog.exit_boot_services_missing";

// ---- GPU versions ----
inline constexpr std::string_view kGpuDriverTooOld = "policy.gpu.driver_too_old";
inline constexpr std::string_view kGpuVbiosTooOld = "policy.gpu.vbios_too_old";
// min_driver / min_vbios is set and the GPU's claims carry no (readable) version.
inline constexpr std::string_view kGpuVersionUnknown = "policy.gpu.version_unknown";

// ---- imports (attestctl golden import) ----
// RIMs of different models, one SPDM index active in two RIMs (NVIDIA's verifiers refuse it too:
// rim.index_conflict), or no active measurement at all.
inline constexpr std::string_view kGpuImportInvalid = "policy.import.gpu_invalid";
// Not a CoRIM this build reads (gpu_import / corim.h names the field), or one without
// reference-value triples.
inline constexpr std::string_view kCorimInvalid = "policy.import.corim_invalid";

}  // namespace attestd::policy
