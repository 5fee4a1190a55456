// Fuzzes the NVIDIA opaque-data TLV parser. Properties: an accepted input is exactly the
// concatenation of its TLVs (re-encoding gives the same bytes); decoded values come from a field.
#include <cstdint>
#include <span>
#include <vector>

#include "attestd/evidence/nvidia/opaque.h"
#include "fuzz_support.h"

using namespace attestd::evidence::nvidia;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto opaque = parse_opaque_data(std::span<const uint8_t>(data, size));
  if (!opaque) return 0;
  std::vector<uint8_t> again;
  for (const auto& f : opaque->fields) {
    again.push_back(static_cast<uint8_t>(f.type & 0xFF));
    again.push_back(static_cast<uint8_t>(f.type >> 8));
    again.push_back(static_cast<uint8_t>(f.data.size() & 0xFF));
    again.push_back(static_cast<uint8_t>(f.data.size() >> 8));
    again.insert(again.end(), f.data.begin(), f.data.end());
  }
  attestd::fuzz::check(again == std::vector<uint8_t>(data, data + size), "TLV round trip");
  if (opaque->fwid) attestd::fuzz::check(opaque->find(static_cast<uint16_t>(OpaqueType::fwid)) != nullptr, "fwid field");
  if (opaque->vbios_version) {
    attestd::fuzz::check(opaque->find(static_cast<uint16_t>(OpaqueType::vbios_version)) != nullptr, "vbios field");
  }
  return 0;
}
