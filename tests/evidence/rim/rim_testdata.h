// Helpers of the RIM tests: the RIM files of ../shared/testdata, the pinned roots, and a minimal
// hand extraction of the measurement blocks of an NVIDIA report (test code only, independent of the
// SPDM parser): the request is 37 bytes; in the response, the u24 LE MeasurementRecordLength is at
// offset 5 and the record at offset 8, made of blocks {u8 index, u8 spec, u16 size,
// u8 type, u16 value size, value} (DSP0274 10.11.1, FORMATS-SPDM 3.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../x509/testdata.h"
#include "attestd/evidence/digest.h"

namespace attestd::evidence::rim::testing {

using x509::testing::kNvtrustVerifier;
using x509::testing::kSdk;
using x509::testing::kShared;
using x509::testing::read_text;
using x509::testing::utc;

inline const std::string kNvtrustSamples = kNvtrustVerifier + "samples/";
inline const std::string kSdkRims = kSdk + "sample_rims/";
inline const std::string kGoldenValues = std::string(ATTESTD_TEST_DATA) + "/../../golden-values/nvidia/";

// The verification times the issue fixes.
inline const auto k20240601 = utc(2024, 6, 1);
inline const auto k20250101 = utc(2025, 1, 1);
inline const auto kToday = utc(2026, 11, 24);

inline std::map<uint8_t, std::vector<uint8_t>> report_measurements(const std::string& hex_file) {
  std::string hex = read_text(hex_file);
  std::erase_if(hex, [](char c) { return c == '\n' || c == '\r' || c == ' '; });
  const auto bytes = from_hex(hex);
  std::map<uint8_t, std::vector<uint8_t>> out;
  if (!bytes || bytes->size() < 37 + 8) return out;
  const size_t rsp = 37;
  const auto at = [&](size_t i) -> size_t { return (*bytes)[rsp + i]; };
  const size_t record_len = at(5) | (at(6) << 8) | (at(7) << 16);
  size_t i = 8;
  while (i + 4 <= 8 + record_len && rsp + i + 4 <= bytes->size()) {
    const auto index = static_cast<uint8_t>(at(i));
    const size_t size = at(i + 2) | (at(i + 3) << 8);
    const size_t value_size = at(i + 5) | (at(i + 6) << 8);
    const auto first = bytes->begin() + static_cast<std::ptrdiff_t>(rsp + i + 7);
    out[index] = std::vector<uint8_t>(first, first + static_cast<std::ptrdiff_t>(value_size));
    i += 4 + size;
  }
  return out;
}

}  // namespace attestd::evidence::rim::testing
