// Stable reason ids of the SPDM and NVIDIA-report parts of the evidence layer.
//
// Each id names one kind of failure; the Error that carries it also has a message naming the
// offending field, offset or value. Ids are part of the API (verdicts, audit log, metrics,
// problem+json): never rename one once shipped, only add.
#pragma once

#include <string_view>

namespace attestd::evidence::spdm {

// Structure of any SPDM message (DSP0274 clause 9 "message format" and the per-message tables).
// The message ends before a field it must contain.
inline constexpr std::string_view kParseTruncated = "spdm.parse.truncated";
// Bytes remain after the last field of the message (or of a length-delimited sub-structure).
inline constexpr std::string_view kParseTrailingBytes = "spdm.parse.trailing_bytes";
// RequestResponseCode is not the one this parser reads.
inline constexpr std::string_view kParseWrongCode = "spdm.parse.wrong_code";
// SPDMVersion is not 1.0 .. 1.3 (or GET_VERSION/VERSION not 1.0).
inline constexpr std::string_view kParseUnsupportedVersion = "spdm.parse.unsupported_version";
// A field holds a value the specification does not allow (slot 8..14, index 0, ...).
inline constexpr std::string_view kParseInvalidField = "spdm.parse.invalid_field";

// MEASUREMENTS response (DSP0274 1.3 clause 10.11, Table "Successful MEASUREMENTS response").
// Sum of the blocks' sizes differs from MeasurementRecordLength.
inline constexpr std::string_view kMeasurementsRecordLengthMismatch = "spdm.measurements.record_length_mismatch";
// Number of blocks in the record differs from NumberOfBlocks, or from what the request asked for.
inline constexpr std::string_view kMeasurementsBlockCountMismatch = "spdm.measurements.block_count_mismatch";
// A measurement block is inconsistent: MeasurementSize != ValueSize + 3, not exactly one
// specification bit, index 0 or 0xFF.
inline constexpr std::string_view kMeasurementsBlockMalformed = "spdm.measurements.block_malformed";
// OpaqueDataLength above 1024 (DSP0274 1.3 Table 56).
inline constexpr std::string_view kMeasurementsOpaqueTooLong = "spdm.measurements.opaque_too_long";
// A single-index request was answered with another index.
inline constexpr std::string_view kMeasurementsIndexMismatch = "spdm.measurements.index_mismatch";
// Param2 SlotID differs from the request's SlotIDParam.
inline constexpr std::string_view kMeasurementsSlotMismatch = "spdm.measurements.slot_mismatch";
// ContentChanged non-zero in an unsigned 1.2+ response.
inline constexpr std::string_view kMeasurementsContentChangedUnsigned = "spdm.measurements.content_changed_unsigned";
// A digest-form value whose size is not that of ALGORITHMS.MeasurementHashAlgo.
inline constexpr std::string_view kMeasurementsDigestSizeMismatch = "spdm.measurements.digest_size_mismatch";
// A block's MeasurementSpecification differs from ALGORITHMS.MeasurementSpecificationSel.
inline constexpr std::string_view kMeasurementsSpecificationMismatch = "spdm.measurements.specification_mismatch";
// The last exchange of a transcript did not request a signature.
inline constexpr std::string_view kMeasurementsNotSigned = "spdm.measurements.not_signed";
// The signature does not verify over the transcript with the responder's key.
inline constexpr std::string_view kMeasurementsSignatureInvalid = "spdm.measurements.signature_invalid";

// Verification bindings.
// The requester's nonce in the signed GET_MEASUREMENTS differs from the expected binding.
inline constexpr std::string_view kNonceMismatch = "spdm.nonce_mismatch";
// A 1.3 response did not echo the request's RequesterContext.
inline constexpr std::string_view kRequesterContextMismatch = "spdm.requester_context_mismatch";
// A message's SPDMVersion differs from the negotiated version (DSP0274 clause 9.1).
inline constexpr std::string_view kVersionMismatch = "spdm.version_mismatch";
// A negotiated algorithm we do not verify (SM2, EdDSA, SHA-3 BaseHash, extended algorithms),
// or a selection that is not exactly one bit.
inline constexpr std::string_view kAlgorithmUnsupported = "spdm.algorithm_unsupported";
// The responder key does not fit BaseAsymSel (type or size).
inline constexpr std::string_view kKeyMismatch = "spdm.key.mismatch";
// A certificate or public key that OpenSSL cannot decode.
inline constexpr std::string_view kKeyInvalid = "spdm.key.invalid";

// VCA: GET_VERSION .. ALGORITHMS (DSP0274 1.3 clauses 10.3 - 10.5).
// Messages out of order, missing, or the selection is not one the requester offered.
inline constexpr std::string_view kVcaMalformed = "spdm.vca.malformed";
// The negotiated version is not one the VERSION response listed.
inline constexpr std::string_view kVcaVersionNotOffered = "spdm.vca.version_not_offered";
// A 1.3 CAPABILITIES response with a Supported Algorithms block (Param1 bit 0): not read.
inline constexpr std::string_view kVcaUnsupported = "spdm.vca.unsupported";

// Transcripts and message logs (DSP0274 1.3 clause 10.11.1 L1/L2, FORMATS-SPDM.md section 5.1).
// A 1.2+ transcript without VCA, or any transcript whose algorithms are unknown.
inline constexpr std::string_view kTranscriptMissingVca = "spdm.transcript.missing_vca";
// A message log that is not request/response pairs, or a transcript without exchanges.
inline constexpr std::string_view kTranscriptUnexpectedMessage = "spdm.transcript.unexpected_message";
// A message log with no signed MEASUREMENTS.
inline constexpr std::string_view kTranscriptNoSignedMeasurements = "spdm.transcript.no_signed_measurements";

// SPDM certificate-chain structure (DSP0274 1.3 clause 10.7.1, Table 33).
inline constexpr std::string_view kCertChainLengthMismatch = "spdm.cert_chain.length_mismatch";
inline constexpr std::string_view kCertChainRootHashMismatch = "spdm.cert_chain.root_hash_mismatch";
// A certificate whose DER SEQUENCE header does not parse or overruns the chain; no certificate.
inline constexpr std::string_view kCertChainMalformed = "spdm.cert_chain.malformed";
// CERTIFICATE responses in a log that do not reassemble (offset gaps, remainder inconsistent).
inline constexpr std::string_view kCertChainIncomplete = "spdm.cert_chain.incomplete";

}  // namespace attestd::evidence::spdm

namespace attestd::evidence::nvidia {

// NVIDIA GPU / NVSwitch attestation reports (FORMATS-SPDM.md section 7). A report that does not
// parse gets kReportMalformed followed by the precise spdm.* reason.
inline constexpr std::string_view kReportMalformed = "gpu.report.malformed";
// Neither binary nor hex text (odd number of hex digits, a non-hex character).
inline constexpr std::string_view kReportEncodingInvalid = "gpu.report.encoding_invalid";
// Not the SPDM 1.1 signed GET_MEASUREMENTS NVIDIA sends (section 7.2, 7.3 step 1).
inline constexpr std::string_view kReportUnsupported = "gpu.report.unsupported";
// The request nonce (report bytes 4..35) differs from the expected binding (section 7.3 step 5).
inline constexpr std::string_view kReportNonceMismatch = "gpu.report.nonce_mismatch";
// ECDSA P-384 / SHA-384 over request || response-without-signature fails (section 7.2, step 8).
inline constexpr std::string_view kReportSignatureInvalid = "gpu.report.signature_invalid";
// The opaque data is not a sequence of complete TLVs (section 7.4).
inline constexpr std::string_view kReportOpaqueMalformed = "gpu.report.opaque_malformed";
// A decoded opaque field (driver version, FWID, ...) appears more than once.
inline constexpr std::string_view kReportOpaqueDuplicate = "gpu.report.opaque_duplicate";

}  // namespace attestd::evidence::nvidia
