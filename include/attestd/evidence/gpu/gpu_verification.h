// Verification of one NVIDIA GPU or NVSwitch's evidence as a whole: the attestation report, its
// certificate chain to the pinned NVIDIA Device Identity CA, the FWID binding between the two, and
// (when given) the report's measurements against NVIDIA's signed reference manifests.
// The steps are NVIDIA's (FORMATS-SPDM.md §7.3); each part lives in its own module.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/nvidia/report.h"
#include "attestd/evidence/x509/certificate.h"

namespace attestd::evidence::gpu {

inline constexpr std::string_view kFwidMismatch = "gpu.report.fwid_mismatch";
inline constexpr std::string_view kChainEmpty = "gpu.cert.chain_missing";

// Trust anchors and reference manifests; all borrowed for the call.
struct GpuTrust {
  const x509::Certificate* device_root = nullptr;  // NVIDIA Device Identity CA
  const x509::Certificate* rim_root = nullptr;     // needed only when RIMs are given
  std::optional<std::string_view> driver_rim;      // SWID XML
  std::optional<std::string_view> vbios_rim;       // SWID XML
};

struct GpuClaims {
  bool report_parsed = false;
  nvidia::ReportClaims report;
  bool chain_valid = false;
  std::string leaf_subject;
  std::string ueid;  // the leaf certificate's serial number in decimal, as NVIDIA's verifiers report it
  std::string hardware_model;  // common name of the certificate above the leaf ("GH100 A01 GSP BROM")
  // The report carries an FWID and it equals the leaf certificate's: the signing key belongs to the
  // firmware that was measured. False when the report has no FWID (drivers before 550).
  bool fwid_bound = false;
  bool measurements_compared = false;
  bool measurements_match = false;
  std::vector<uint8_t> compared_indices;     // RIM indices
  std::vector<uint8_t> mismatching_indices;  // RIM indices
  std::optional<std::string> driver_rim_id;
  std::optional<std::string> vbios_rim_id;
};

struct GpuVerification {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every failure of every step
  GpuClaims claims;
};

// Verifies report (binary or hex text) with the PEM chain NVML returns (leaf first), the binding
// the verifier sent as the nonce, at time `at`. Without RIMs the measurements are only reported.
GpuVerification verify_gpu(std::span<const uint8_t> report, std::string_view chain_pem,
                           std::span<const uint8_t> expected_nonce, const GpuTrust& trust,
                           std::chrono::sys_seconds at);

}  // namespace attestd::evidence::gpu
