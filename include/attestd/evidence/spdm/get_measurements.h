// GET_MEASUREMENTS request (DSP0274 1.3 clause 10.11, Table 50; FORMATS-SPDM.md section 2).
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/spdm/constants.h"

namespace attestd::evidence::spdm {

struct GetMeasurementsRequest {
  uint8_t version = 0;
  uint8_t attributes = 0;  // Param1
  uint8_t operation = 0;   // Param2: 0 count only, 1..0xFE one index, 0xFF all
  std::optional<std::array<uint8_t, kNonceSize>> nonce;                         // when signed
  std::optional<uint8_t> slot_id_param;                                          // when signed, 1.1+
  std::optional<std::array<uint8_t, kRequesterContextSize>> requester_context;  // 1.3+

  [[nodiscard]] bool signature_requested() const { return (attributes & kAttrSignatureRequested) != 0; }
  [[nodiscard]] uint8_t slot_id() const { return slot_id_param.value_or(0) & kSlotIdMask; }
};

// Parses exactly one GET_MEASUREMENTS from the reader and moves past it; the length follows from
// SPDMVersion and Param1 (4, +32 nonce and +1 SlotIDParam (1.1+) when signed, +8 RequesterContext
// in 1.3). Errors: spdm.parse.truncated, spdm.parse.wrong_code, spdm.parse.unsupported_version,
// spdm.parse.invalid_field (SlotIDParam 8..14 or reserved bits set). On failure the reader's
// position is unspecified.
std::expected<GetMeasurementsRequest, Error> read_get_measurements(ByteReader& r);

// As above for a span that must hold exactly one request (spdm.parse.trailing_bytes otherwise).
std::expected<GetMeasurementsRequest, Error> parse_get_measurements(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::spdm
