// Reference sets: named golden-value documents of one tenant (DESIGN §4). The store versions them;
// the document itself holds the values. Format: golden-values/schema/reference-set.schema.json.
//
//   {"version": 1, "name": "sb-shim-grub", "description": "...",
//    "pcrs": {"sha256": {"0": ["<hex>", "<hex alternative>"], ...}},
//    "gpu":  {"GH100": {"<SPDM measurement index>": ["<hex>", ...]}},
//    "events": [{"pcr": 4, "type": "EV_EFI_BOOT_SERVICES_APPLICATION",
//                "digests": {"sha256": "<hex>"}, "description": "\\EFI\\BOOT\\BOOTX64.EFI"}]}
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/policy/document.h"

namespace attestd::policy {

// SPDM measurement indices run 1-254: 0 and 255 are request codes, not blocks (DSP0274 1.1, 10.11).
inline constexpr uint32_t kMinSpdmIndex = 1;
inline constexpr uint32_t kMaxSpdmIndex = 254;
// Largest GPU golden value accepted; NVIDIA's are SHA-384 digests (48 bytes).
inline constexpr size_t kMaxGpuMeasurementSize = 256;

using GpuMeasurement = std::vector<uint8_t>;

// Most events a reference set may list: far above a real boot (a few hundred), low enough that a
// hostile document stays cheap to walk for every event of every log.
inline constexpr size_t kMaxReferenceEvents = 10000;

// One known-good measured-boot event (issue 5): an event of the log matches it when PCR and type
// are equal and, in the strongest bank both have, the digests are equal. `description` is what a
// reviewer reads (the application path, variable name, grub command, command line); it is never
// compared.
struct ReferenceEvent {
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::map<evidence::HashAlg, evidence::Digest> digests;  // at least one bank
  std::string description;

  friend bool operator==(const ReferenceEvent&, const ReferenceEvent&) = default;
};

struct ReferenceSet {
  std::string name;
  std::string description;
  // bank -> PCR index (0-23) -> allowed values; every list is non-empty, every value has the bank's
  // digest size.
  std::map<evidence::HashAlg, std::map<uint32_t, std::vector<evidence::Digest>>> pcrs;
  // GPU model (as in GpuClaim::model, compared exactly) -> SPDM index -> allowed values.
  std::map<std::string, std::map<uint32_t, std::vector<GpuMeasurement>>> gpu;
  // Known-good measured-boot events, document order (no two equal in PCR, type and digests).
  std::vector<ReferenceEvent> events;
};

// The document of `set` (the inverse of parse_reference_set_json, version 1): what attestctl
// uploads after learning or importing. Values in canonical lower-case hex.
nlohmann::json to_json(const ReferenceSet& set);

// Parses a reference-set document strictly: unknown keys, duplicate keys, wrong types, hex of the
// wrong length for its bank, PCR indices outside 0-23 and empty alternative lists are errors.
// Returns every problem found (DocumentErrors); nothing is borrowed beyond the call.
std::expected<ReferenceSet, DocumentErrors> parse_reference_set(std::string_view json_text);
// The same for a document already parsed (as the store returns it); duplicate keys can no longer be
// seen here, so documents should enter the system through the text overload.
std::expected<ReferenceSet, DocumentErrors> parse_reference_set_json(const nlohmann::json& document);

}  // namespace attestd::policy
