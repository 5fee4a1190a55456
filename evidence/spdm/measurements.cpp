// MEASUREMENTS response parsing (DSP0274 1.3 clause 10.11, Table 55).
#include "attestd/evidence/spdm/measurements.h"

#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;
using detail::truncated;

namespace {
constexpr std::string_view kName = "MEASUREMENTS";
}  // namespace

std::expected<MeasurementsResponse, Error> read_measurements(ByteReader& r, const MeasurementsParseOptions& options) {
  const size_t start = r.position();
  const std::span<const uint8_t> message = r.rest();
  const auto end_offset = [&] { return r.position() - start + r.remaining(); };
  auto header = detail::read_header(r, kName, kCodeMeasurements);
  if (!header) return std::unexpected(header.error());
  if (auto ok = detail::check_version(header->version, kName); !ok) return std::unexpected(ok.error());

  MeasurementsResponse out;
  out.version = header->version;
  out.param1 = header->param1;
  out.param2 = header->param2;

  // Table 55: NumberOfBlocks (1), MeasurementRecordLength (3, LE), MeasurementRecord.
  uint32_t record_length = 0;
  if (!r.read_u8(out.number_of_blocks)) return truncated(kName, "NumberOfBlocks", end_offset());
  if (!r.read_u24_le(record_length)) return truncated(kName, "MeasurementRecordLength", end_offset());
  if (!r.read_bytes(record_length, out.record)) {
    return fail(kParseTruncated, fmt::format("MEASUREMENTS ends at byte {} inside the {}-byte measurement record "
                                             "that starts at byte 8",
                                             end_offset(), record_length));
  }
  auto blocks = parse_measurement_record(out.record, out.number_of_blocks);
  if (!blocks) return std::unexpected(blocks.error());
  out.blocks = std::move(*blocks);

  // Table 55: Nonce (32). DSP0274 1.0 made it conditional on the signature; every 1.1+ responder
  // and libspdm at every version send it (FORMATS-SPDM.md section 3).
  if (!r.read_bytes(kNonceSize, out.nonce)) return truncated(kName, "Nonce", end_offset());
  // Table 55: OpaqueDataLength (2, LE) <= 1024, OpaqueData.
  uint16_t opaque_length = 0;
  if (!r.read_u16_le(opaque_length)) return truncated(kName, "OpaqueDataLength", end_offset());
  if (opaque_length > kMaxOpaqueDataLength) {
    return fail(kMeasurementsOpaqueTooLong,
                fmt::format("MEASUREMENTS OpaqueDataLength {} exceeds {}", opaque_length, kMaxOpaqueDataLength));
  }
  if (!r.read_bytes(opaque_length, out.opaque_data)) {
    return fail(kParseTruncated, fmt::format("MEASUREMENTS ends at byte {} inside the {}-byte OpaqueData",
                                             end_offset(), opaque_length));
  }
  // 1.3 Table 55: RequesterContext (8), signed or not.
  if (out.version >= kVersion13 && !r.read_bytes(kRequesterContextSize, out.requester_context)) {
    return truncated(kName, "RequesterContext", end_offset());
  }
  const size_t unsigned_size = r.position() - start;
  // Table 55: Signature (SigLen of BaseAsymSel) when the request set SignatureRequested.
  if (options.signature_size != 0 && !r.read_bytes(options.signature_size, out.signature)) {
    return fail(kParseTruncated, fmt::format("MEASUREMENTS ends at byte {}, {} bytes short of the {}-byte signature",
                                             end_offset(), options.signature_size - r.remaining(),
                                             options.signature_size));
  }
  out.unsigned_part = message.first(unsigned_size);
  return out;
}

std::expected<MeasurementsResponse, Error> parse_measurements(std::span<const uint8_t> bytes,
                                                              const MeasurementsParseOptions& options) {
  ByteReader r(bytes);
  auto out = read_measurements(r, options);
  if (!out) return out;
  if (!r.empty()) return detail::trailing(kName, r.position(), bytes.size());
  return out;
}

}  // namespace attestd::evidence::spdm
