#include "attestd/policy/gpu_import.h"

#include <map>
#include <vector>

#include <fmt/format.h>

namespace attestd::policy {

std::expected<void, evidence::Error> add_rim_reference_values(ReferenceSet& set, std::span<const evidence::rim::Rim> rims) {
  if (rims.empty()) return std::unexpected(evidence::Error{kGpuImportInvalid, "no RIM given"});
  const std::string& model = rims.front().info.name;
  if (!is_valid_name(model)) {
    return std::unexpected(evidence::Error{kGpuImportInvalid, fmt::format("RIM model \"{}\" is not a valid name", model)});
  }
  std::map<uint32_t, std::vector<GpuMeasurement>> values;
  std::map<uint32_t, std::string> origin;  // SPDM index -> RIM tag id, for the conflict message
  for (const auto& rim : rims) {
    if (rim.info.name != model) {
      return std::unexpected(evidence::Error{
          kGpuImportInvalid, fmt::format("RIMs of different models: {} and {}", model, rim.info.name)});
    }
    for (const auto& m : rim.measurements) {
      if (!m.active || m.alternatives.empty()) continue;
      const uint32_t spdm_index = m.index + 1u;
      if (spdm_index < kMinSpdmIndex || spdm_index > kMaxSpdmIndex) continue;
      if (origin.contains(spdm_index)) {
        return std::unexpected(evidence::Error{
            kGpuImportInvalid, fmt::format("RIM index {} is active in both {} and {}", m.index, origin[spdm_index], rim.info.tag_id)});
      }
      origin[spdm_index] = rim.info.tag_id;
      auto& list = values[spdm_index];
      for (const auto& alt : m.alternatives) {
        if (alt.size() > kMaxGpuMeasurementSize) {
          return std::unexpected(evidence::Error{kGpuImportInvalid, fmt::format("RIM index {} has a value of {} bytes", m.index, alt.size())});
        }
        if (std::find(list.begin(), list.end(), alt) == list.end()) list.push_back(alt);
      }
    }
  }
  if (values.empty()) return std::unexpected(evidence::Error{kGpuImportInvalid, "the RIMs have no active measurement"});
  auto& golden = set.gpu[model];
  for (auto& [index, list] : values) {
    auto& dst = golden[index];
    for (auto& v : list) {
      if (std::find(dst.begin(), dst.end(), v) == dst.end()) dst.push_back(std::move(v));
    }
  }
  return {};
}

}  // namespace attestd::policy
