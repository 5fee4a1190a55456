// Golden-value comparison of GPU measurements (FORMATS-SPDM 7.5, NVIDIA's verifiers).
#include "attestd/evidence/rim/compare.h"

#include <fmt/format.h>

#include <algorithm>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/rim/reasons.h"

namespace attestd::evidence::rim {

std::vector<uint8_t> MeasurementComparison::mismatching_indices() const {
  std::vector<uint8_t> out;
  out.reserve(mismatches.size());
  for (const auto& m : mismatches) out.push_back(m.rim_index);
  return out;
}

namespace {

std::string_view source_name(RimSource s) { return s == RimSource::driver ? "driver" : "VBIOS"; }

struct Golden {
  const GoldenMeasurement* measurement;
  RimSource source;
};

}  // namespace

MeasurementComparison compare_measurements(const std::map<uint8_t, std::vector<uint8_t>>& measurements_by_spdm_index,
                                           const Rim* driver_rim, const Rim* vbios_rim, bool nvdec0_disabled) {
  MeasurementComparison result;
  std::vector<Error> conflicts;

  // Active golden values by RIM index, remembering where each came from.
  std::map<uint8_t, Golden> golden;
  for (const auto& [rim, source] : {std::pair{driver_rim, RimSource::driver}, std::pair{vbios_rim, RimSource::vbios}}) {
    if (rim == nullptr) continue;
    for (const GoldenMeasurement& m : rim->measurements) {
      if (!m.active) continue;
      const auto [it, inserted] = golden.emplace(m.index, Golden{&m, source});
      if (!inserted) {
        conflicts.push_back(Error{kRimIndexConflict,
                                  fmt::format("index {} is active in both the driver and the VBIOS RIM", m.index)});
        it->second.measurement = nullptr;
      }
    }
  }

  for (const auto& [index, g] : golden) {
    if (g.measurement == nullptr) continue;  // conflicting: reported, not compared
    if (nvdec0_disabled && index == kNvdec0RimIndex) continue;
    result.compared.push_back(index);
    const auto spdm_index = static_cast<uint8_t>(index + 1);  // kMaxRimIndex keeps this in range
    const auto it = measurements_by_spdm_index.find(spdm_index);
    if (it == measurements_by_spdm_index.end()) {
      result.mismatches.push_back({index, spdm_index, g.source, true});
      result.reasons.push_back(Error{kMeasurementMissing,
                                     fmt::format("{} RIM index {}: the report has no measurement block {}",
                                                 source_name(g.source), index, spdm_index)});
      continue;
    }
    const auto& actual = it->second;
    const bool matches = actual.size() == g.measurement->size &&
                         std::ranges::any_of(g.measurement->alternatives, [&](const auto& alt) { return alt == actual; });
    if (!matches) {
      result.mismatches.push_back({index, spdm_index, g.source, false});
      result.reasons.push_back(Error{kMeasurementMismatch,
                                     fmt::format("{} RIM index {} (block {}): {} matches none of {} golden value(s)",
                                                 source_name(g.source), index, spdm_index, to_hex(actual),
                                                 g.measurement->alternatives.size())});
    }
  }
  result.reasons.insert(result.reasons.end(), conflicts.begin(), conflicts.end());
  if (result.compared.empty()) {
    result.reasons.push_back(Error{kMeasurementNoGoldenValues, "no active golden measurement was compared"});
  }
  result.match = result.reasons.empty();
  return result;
}

}  // namespace attestd::evidence::rim
