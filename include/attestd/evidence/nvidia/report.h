// NVIDIA GPU (H100, Blackwell) and NVSwitch attestation reports (FORMATS-SPDM.md section 7):
// an SPDM 1.1 signed GET_MEASUREMENTS request (37 bytes) followed by the MEASUREMENTS response,
// ECDSA P-384 over SHA-384(request || response up to the signature).
//
// Certificate-chain validation and the FWID-vs-leaf-certificate comparison (section 7.3 steps 2
// and 3) belong to evidence/x509; RIM comparison to evidence/rim. This part exposes the FWID bytes
// and the measurement blocks they need.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/nvidia/opaque.h"
#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurement_block.h"
#include "attestd/evidence/spdm/measurements.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::nvidia {

// Section 7.2: request size, signature size.
inline constexpr size_t kReportRequestSize = 37;
inline constexpr size_t kReportSignatureSize = 96;

// The report's bytes from what NVML, the SDKs or a file hold: binary as is, or hex text (upper or
// lower case, any ASCII whitespace between digits, optional "0x" prefix). Binary is recognised
// by its first byte: an SPDM version byte is never a hex digit or whitespace. Errors:
// gpu.report.encoding_invalid.
std::expected<std::vector<uint8_t>, Error> decode_report(std::span<const uint8_t> binary_or_hex);

// A parsed report; spans borrow from the report bytes.
struct ParsedReport {
  std::span<const uint8_t> request_bytes;
  spdm::GetMeasurementsRequest request;
  spdm::MeasurementsResponse response;
  // request || response up to the signature: what the signature covers.
  std::span<const uint8_t> signed_bytes;
  // Bytes after the signature. Real reports have been seen to carry them (DESIGN.md section 2,
  // FORMATS-SPDM.md section 7.2); they are not signed, so they are reported, never interpreted.
  std::span<const uint8_t> trailing;
};

// Parses the request (SPDM 1.1, GET_MEASUREMENTS, signed, 37 bytes: section 7.3 step 1) and the
// response with a 96-byte signature located by parsing. Errors: gpu.report.unsupported (not an
// SPDM 1.1 signed request) and the spdm.* parse reasons of read_get_measurements /
// read_measurements.
std::expected<ParsedReport, Error> parse_report(std::span<const uint8_t> report);

struct ReportClaims {
  uint8_t spdm_version = 0;
  uint8_t slot_id = 0;
  std::vector<uint8_t> requester_nonce;
  bool nonce_matches = false;
  std::vector<uint8_t> responder_nonce;
  std::vector<spdm::MeasurementClaim> measurements;  // by index, in report order
  std::vector<uint8_t> opaque_bytes;
  OpaqueData opaque;                // decoded TLVs (FWID, versions, ids, ...)
  std::vector<uint8_t> signature;   // r || s
  std::vector<uint8_t> trailing_bytes;
};

struct ReportVerification {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every failure, in check order
  bool parsed = false;         // the claims are filled (the report parsed)
  ReportClaims claims;
};

// Verifies a report (raw bytes; see decode_report for text) against the leaf key of its
// certificate chain (borrowed; cache it across reports) and the binding the verifier sent as the
// nonce. Reasons, all collected:
//   gpu.report.malformed + the precise spdm.* / gpu.report.unsupported reason: does not parse
//   gpu.report.nonce_mismatch       request nonce (bytes 4..35) != expected_nonce (7.3 step 5)
//   gpu.report.opaque_malformed / gpu.report.opaque_duplicate   the opaque TLVs (7.4)
//   gpu.report.signature_invalid    ECDSA P-384 / SHA-384 fails, or the key is not P-384 (7.2)
// Trailing bytes after the signature do not fail the report (claims.trailing_bytes).
ReportVerification verify_nvidia_report(std::span<const uint8_t> report, EVP_PKEY* leaf_key,
                                        std::span<const uint8_t> expected_nonce);

}  // namespace attestd::evidence::nvidia
