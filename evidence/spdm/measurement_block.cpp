// Measurement record parsing (DSP0274 1.3 clause 10.11.1, Tables 57 - 59).
#include "attestd/evidence/spdm/measurement_block.h"

#include <bit>

#include "attestd/evidence/byte_reader.h"
#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;

std::string_view value_type_name(uint8_t value_type) {
  switch (value_type & kValueTypeMask) {
    case 0: return "immutable_rom";
    case 1: return "mutable_firmware";
    case 2: return "hardware_configuration";
    case 3: return "firmware_configuration";
    case 4: return "measurement_manifest";
    case 5: return "device_mode";
    case 6: return "mutable_firmware_version";
    case 7: return "mutable_firmware_svn";
    case 8: return "hash_extend";
    case 9: return "informational";
    case 10: return "structured_manifest";
    default: return "reserved";
  }
}

namespace {

std::expected<MeasurementBlock, Error> read_block(ByteReader& r, size_t ordinal, size_t record_size) {
  const size_t at = r.position();
  MeasurementBlock b;
  uint16_t size = 0;
  // Table 57: Index (1), MeasurementSpecification (1), MeasurementSize (2, LE), Measurement.
  if (!r.read_u8(b.index) || !r.read_u8(b.specification) || !r.read_u16_le(size)) {
    return fail(kMeasurementsRecordLengthMismatch,
                fmt::format("block {} header at byte {} runs past the {}-byte measurement record", ordinal, at,
                            record_size));
  }
  if (!r.read_bytes(size, b.measurement)) {
    return fail(kMeasurementsRecordLengthMismatch,
                fmt::format("block {} (index {}) MeasurementSize {} runs past the {}-byte measurement record",
                            ordinal, b.index, size, record_size));
  }
  // Table 57: Index 0 is reserved and 0xFF is not a block index (it means "all" in the request).
  if (b.index == 0x00 || b.index == 0xFF) {
    return fail(kMeasurementsBlockMalformed, fmt::format("block {} has index 0x{:02x}", ordinal, b.index));
  }
  // Table 57: MeasurementSpecification is a bit mask with exactly one bit set.
  if (std::popcount(b.specification) != 1) {
    return fail(kMeasurementsBlockMalformed, fmt::format("block {} (index {}) MeasurementSpecification 0x{:02x} "
                                                         "does not have exactly one bit set",
                                                         ordinal, b.index, b.specification));
  }
  if (b.specification == kMeasurementSpecDmtf) {
    // Table 58: DMTFSpecMeasurementValueType (1), DMTFSpecMeasurementValueSize (2, LE), value;
    // the DMTF measurement fills MeasurementSize exactly.
    ByteReader m(b.measurement);
    DmtfMeasurement d;
    uint16_t value_size = 0;
    if (!m.read_u8(d.value_type_byte) || !m.read_u16_le(value_size) || !m.read_bytes(value_size, d.value) ||
        !m.empty()) {
      return fail(kMeasurementsBlockMalformed,
                  fmt::format("block {} (index {}): MeasurementSize {} is not 3 + DMTFSpecMeasurementValueSize",
                              ordinal, b.index, size));
    }
    b.dmtf = d;
  }
  return b;
}

}  // namespace

std::expected<std::vector<MeasurementBlock>, Error> parse_measurement_record(std::span<const uint8_t> record,
                                                                             std::optional<size_t> expected_count) {
  ByteReader r(record);
  std::vector<MeasurementBlock> blocks;
  if (expected_count) blocks.reserve(*expected_count);
  while (!r.empty()) {
    auto block = read_block(r, blocks.size(), record.size());
    if (!block) return std::unexpected(block.error());
    blocks.push_back(*block);
  }
  // Table 55: NumberOfBlocks is the number of blocks in MeasurementRecord.
  if (expected_count && blocks.size() != *expected_count) {
    return fail(kMeasurementsBlockCountMismatch,
                fmt::format("measurement record holds {} blocks, NumberOfBlocks says {}", blocks.size(),
                            *expected_count));
  }
  return blocks;
}

std::optional<DeviceMode> decode_device_mode(const DmtfMeasurement& m) {
  if (!m.raw_bit_stream() || m.value_type() != static_cast<uint8_t>(MeasurementValueType::device_mode)) {
    return std::nullopt;
  }
  ByteReader r(m.value);
  DeviceMode d;
  if (!r.read_u32_le(d.operational_mode_capabilities) || !r.read_u32_le(d.operational_mode_state) ||
      !r.read_u32_le(d.device_mode_capabilities) || !r.read_u32_le(d.device_mode_state) || !r.empty()) {
    return std::nullopt;
  }
  return d;
}

std::optional<uint64_t> decode_svn(const DmtfMeasurement& m) {
  if (!m.raw_bit_stream() || m.value_type() != static_cast<uint8_t>(MeasurementValueType::mutable_firmware_svn)) {
    return std::nullopt;
  }
  ByteReader r(m.value);
  uint64_t svn = 0;
  if (!r.read_u64_le(svn) || !r.empty()) return std::nullopt;
  return svn;
}

MeasurementClaim to_claim(const MeasurementBlock& block) {
  MeasurementClaim c;
  c.index = block.index;
  c.specification = block.specification;
  if (block.dmtf) {
    c.value_type_byte = block.dmtf->value_type_byte;
    c.value.assign(block.dmtf->value.begin(), block.dmtf->value.end());
  } else {
    c.value.assign(block.measurement.begin(), block.measurement.end());
  }
  return c;
}

}  // namespace attestd::evidence::spdm
