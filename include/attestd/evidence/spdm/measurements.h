// MEASUREMENTS response (DSP0274 1.3 clause 10.11, Table 55; FORMATS-SPDM.md section 3).
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/spdm/measurement_block.h"

namespace attestd::evidence::spdm {

// What the parser must know from outside the message: whether the request asked for a signature
// and how long the negotiated BaseAsym signature is (FORMATS-SPDM.md section 8 item 2: the
// signature's length comes from the algorithm, never from "what is left").
struct MeasurementsParseOptions {
  size_t signature_size = 0;  // 0: the request did not ask for a signature
};

// A parsed MEASUREMENTS response. Every span borrows from the parsed bytes.
struct MeasurementsResponse {
  uint8_t version = 0;
  uint8_t param1 = 0;             // TotalNumberOfMeasurement for a count-only request, else reserved
  uint8_t param2 = 0;             // SlotID bits[3:0], ContentChanged bits[5:4]
  uint8_t number_of_blocks = 0;
  std::span<const uint8_t> record;
  std::vector<MeasurementBlock> blocks;
  std::span<const uint8_t> nonce;              // responder nonce, 32 bytes
  std::span<const uint8_t> opaque_data;
  std::span<const uint8_t> requester_context;  // 8 bytes in 1.3+, empty before
  std::span<const uint8_t> signature;          // signature_size bytes, empty when unsigned
  // The message without its signature: what a transcript (L1/L2) includes.
  std::span<const uint8_t> unsigned_part;

  [[nodiscard]] uint8_t slot_id() const { return param2 & 0x0F; }
  [[nodiscard]] uint8_t content_changed() const { return static_cast<uint8_t>((param2 & 0x30) >> 4); }
};

// Parses exactly one MEASUREMENTS response from the reader and moves past it: header,
// NumberOfBlocks, MeasurementRecordLength (u24 LE) and the record (parse_measurement_record),
// Nonce (32; present in every response libspdm produces, FORMATS-SPDM.md section 3),
// OpaqueDataLength (u16 LE, <= 1024) and OpaqueData, RequesterContext (8, 1.3+), then
// options.signature_size bytes of signature. Errors: spdm.parse.truncated, spdm.parse.wrong_code,
// spdm.parse.unsupported_version, spdm.measurements.record_length_mismatch,
// spdm.measurements.block_count_mismatch, spdm.measurements.block_malformed,
// spdm.measurements.opaque_too_long. On failure the reader's position is unspecified.
std::expected<MeasurementsResponse, Error> read_measurements(ByteReader& r, const MeasurementsParseOptions& options);

// As above for a span that must hold exactly one response (spdm.parse.trailing_bytes otherwise).
std::expected<MeasurementsResponse, Error> parse_measurements(std::span<const uint8_t> bytes,
                                                              const MeasurementsParseOptions& options);

}  // namespace attestd::evidence::spdm
