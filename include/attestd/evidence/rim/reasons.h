// Stable reason ids of the RIM part of the evidence layer (NVIDIA reference integrity manifests and
// the comparison of GPU measurements with their golden values).
//
// Ids are part of the API (verdicts, audit log, metrics, problem+json): never rename one once
// shipped, only add.
#pragma once

#include <string_view>

namespace attestd::evidence::rim {

// Not well-formed XML, a DTD, not a SWID SoftwareIdentity with Meta and Payload, or a Resource whose
// index / active / alternatives / HashN / size attributes are missing or inconsistent.
inline constexpr std::string_view kRimMalformed = "rim.malformed";
// No enveloped ds:Signature child of the root, or more than one ds:Signature in the document.
inline constexpr std::string_view kRimSignatureMissing = "rim.signature_missing";
// The XML-DSig signature does not verify with the signing certificate's key (W3C XML-DSig 3.2), or
// uses algorithms outside the NVIDIA RIM profile (c14n 1.1, ecdsa-sha384, sha384, enveloped, URI="").
inline constexpr std::string_view kRimSignatureInvalid = "rim.signature_invalid";
// The ds:KeyInfo certificate chain (RFC 5280 6.1) to the pinned NVIDIA RIM root.
inline constexpr std::string_view kRimCertMalformed = "rim.cert.malformed";
inline constexpr std::string_view kRimCertChainInvalid = "rim.cert.chain_invalid";
inline constexpr std::string_view kRimCertUntrustedRoot = "rim.cert.untrusted_root";
inline constexpr std::string_view kRimCertExpired = "rim.cert.expired";
inline constexpr std::string_view kRimCertNotYetValid = "rim.cert.not_yet_valid";
// An index active in both the driver and the VBIOS RIM (FORMATS-SPDM 7.5: "driver and vbios RIM
// have measurement at the same index").
inline constexpr std::string_view kRimIndexConflict = "rim.index_conflict";

// Comparison of a report's measurement blocks with the golden values.
inline constexpr std::string_view kMeasurementMismatch = "gpu.measurement.mismatch";
inline constexpr std::string_view kMeasurementMissing = "gpu.measurement.missing";
// No active golden value was compared (no RIM, or every index skipped or conflicting): fail closed.
inline constexpr std::string_view kMeasurementNoGoldenValues = "gpu.measurement.no_golden_values";

}  // namespace attestd::evidence::rim
