// VCA: GET_VERSION, VERSION, GET_CAPABILITIES, CAPABILITIES, NEGOTIATE_ALGORITHMS, ALGORITHMS
// (DSP0274 1.3 clauses 10.3 - 10.5; FORMATS-SPDM.md section 4.1). The 1.2+ measurement transcript
// starts with these bytes; for 1.0/1.1 they tell the verifier the algorithms.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/spdm/algorithms.h"

namespace attestd::evidence::spdm {

struct Vca {
  std::vector<uint16_t> offered_versions;  // VERSION entries (bits 15:12 major, 11:8 minor, ...)
  uint32_t requester_flags = 0;            // GET_CAPABILITIES Flags (1.1+)
  uint32_t responder_flags = 0;            // CAPABILITIES Flags
  uint32_t offered_base_asym = 0;          // NEGOTIATE_ALGORITHMS BaseAsymAlgo
  uint32_t offered_base_hash = 0;          // NEGOTIATE_ALGORITHMS BaseHashAlgo
  NegotiatedAlgorithms algorithms;         // ALGORITHMS selections and the negotiated version
};

// Parses the six VCA messages back to back, exactly (no byte before or after). Checks: GET_VERSION
// and VERSION carry version 1.0 (clause 10.3); every later message carries the negotiated version,
// which VERSION must list (spdm.vca.version_not_offered); message lengths per version
// (GET_CAPABILITIES/CAPABILITIES 4/12/20 bytes, NEGOTIATE_ALGORITHMS and ALGORITHMS by their
// Length field, whose tables must fill it exactly); the responder selects at most one BaseAsym and
// BaseHash and only among those offered (clause 10.5: spdm.vca.malformed). A 1.3 CAPABILITIES with
// a Supported Algorithms block is refused (spdm.vca.unsupported). Other errors: spdm.parse.*.
std::expected<Vca, Error> parse_vca(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::spdm
