// Measurement record and measurement blocks (DSP0274 1.3 clause 10.11.1, Tables 57 and 58;
// FORMATS-SPDM.md section 3.1).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::evidence::spdm {

// DMTFSpecMeasurementValueType bits[6:0] (DSP0274 1.3 Table 58).
enum class MeasurementValueType : uint8_t {
  immutable_rom = 0,
  mutable_firmware = 1,
  hardware_configuration = 2,
  firmware_configuration = 3,
  measurement_manifest = 4,
  device_mode = 5,                  // 1.2+
  mutable_firmware_version = 6,     // 1.2+
  mutable_firmware_svn = 7,         // 1.2+
  hash_extend = 8,                  // 1.3+
  informational = 9,                // 1.3+
  structured_manifest = 10,         // 1.3+
};

// "immutable_rom", ... or "reserved" for types 11..127.
std::string_view value_type_name(uint8_t value_type);

// The DMTF measurement inside a block whose specification is DMTF (Table 58). `value` borrows from
// the parsed bytes.
struct DmtfMeasurement {
  uint8_t value_type_byte = 0;  // as sent: bit 7 raw bit stream, bits[6:0] type
  std::span<const uint8_t> value;

  [[nodiscard]] bool raw_bit_stream() const { return (value_type_byte & 0x80) != 0; }
  [[nodiscard]] uint8_t value_type() const { return value_type_byte & 0x7F; }
};

// One block of a measurement record (Table 57). Spans borrow from the parsed bytes.
struct MeasurementBlock {
  uint8_t index = 0;
  uint8_t specification = 0;               // MeasurementSpecification, exactly one bit
  std::span<const uint8_t> measurement;    // the whole Measurement field (MeasurementSize bytes)
  std::optional<DmtfMeasurement> dmtf;     // when specification is DMTF (0x01)
};

// Parses a MeasurementRecord: blocks back to back until its end (Table 57: the record length is
// the sum of the blocks). Each block: Index 1..0xFE, exactly one specification bit, and for the
// DMTF specification MeasurementSize == 3 + DMTFSpecMeasurementValueSize. Errors:
// spdm.measurements.record_length_mismatch (a block runs past the record: the blocks' sizes do
// not add up to MeasurementRecordLength), spdm.measurements.block_malformed. `expected_count` (NumberOfBlocks) is compared when given:
// spdm.measurements.block_count_mismatch. Spans in the result borrow from `record`.
std::expected<std::vector<MeasurementBlock>, Error> parse_measurement_record(std::span<const uint8_t> record,
                                                                             std::optional<size_t> expected_count);

// Decoded values of the DMTF types that have a fixed layout.
struct DeviceMode {  // type 5, 16 bytes of u32 LE (DSP0274 1.3 Table 59)
  uint32_t operational_mode_capabilities = 0;
  uint32_t operational_mode_state = 0;
  uint32_t device_mode_capabilities = 0;
  uint32_t device_mode_state = 0;
};
// The device mode of a raw type-5 value of 16 bytes; nullopt otherwise.
std::optional<DeviceMode> decode_device_mode(const DmtfMeasurement& m);
// The security version number of a raw type-7 value of 8 bytes (u64 LE); nullopt otherwise.
std::optional<uint64_t> decode_svn(const DmtfMeasurement& m);

// An owning copy of a block, for claims that outlive the evidence bytes.
struct MeasurementClaim {
  uint8_t index = 0;
  uint8_t specification = 0;
  std::optional<uint8_t> value_type_byte;  // DMTF blocks only
  std::vector<uint8_t> value;              // DMTF value, or the whole Measurement otherwise

  friend bool operator==(const MeasurementClaim&, const MeasurementClaim&) = default;
};
MeasurementClaim to_claim(const MeasurementBlock& block);

}  // namespace attestd::evidence::spdm
