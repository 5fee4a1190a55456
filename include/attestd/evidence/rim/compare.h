// Comparison of a GPU report's SPDM measurement blocks with the golden values of its driver and
// VBIOS RIMs, as NVIDIA's verifiers do it (FORMATS-SPDM 7.5; nvtrust local_gpu_verifier and the C++
// attestation SDK): only active golden measurements count; RIM index i is SPDM block i + 1; a block
// matches when its length equals the golden size and its value equals any alternative; an index
// active in both RIMs is an error; with NVDEC0 disabled (opaque NVDEC0_STATUS 0x55) index 35 is not
// compared (nvat C++ behaviour).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/rim/rim.h"

namespace attestd::evidence::rim {

// The RIM index NVIDIA skips when NVDEC0 is disabled.
inline constexpr uint8_t kNvdec0RimIndex = 35;

enum class RimSource { driver, vbios };

struct MeasurementMismatch {
  uint8_t rim_index = 0;
  uint8_t spdm_index = 0;  // rim_index + 1
  RimSource source = RimSource::driver;
  bool missing = false;  // no block with that index in the report
};

struct MeasurementComparison {
  bool match = false;                         // true only when reasons is empty
  std::vector<Error> reasons;                 // one per failing index, then one per conflicting index
  std::vector<uint8_t> compared;              // RIM indices compared, ascending
  std::vector<MeasurementMismatch> mismatches;  // every failing index, ascending RIM index

  // The RIM indices of `mismatches`.
  [[nodiscard]] std::vector<uint8_t> mismatching_indices() const;
};

// Compares `measurements_by_spdm_index` (SPDM block index -> measurement value bytes) with the active
// golden values of `driver_rim` and `vbios_rim`; either may be null (an NVSwitch has only a VBIOS
// RIM). Reasons: gpu.measurement.mismatch, gpu.measurement.missing, rim.index_conflict (such an index
// is reported, not compared), gpu.measurement.no_golden_values (nothing compared: fail closed). The RIMs must already be verified (verify_rim); nothing is borrowed
// beyond the call.
MeasurementComparison compare_measurements(const std::map<uint8_t, std::vector<uint8_t>>& measurements_by_spdm_index,
                                           const Rim* driver_rim, const Rim* vbios_rim, bool nvdec0_disabled);

}  // namespace attestd::evidence::rim
