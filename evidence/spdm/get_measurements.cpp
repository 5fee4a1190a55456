// GET_MEASUREMENTS request parsing (DSP0274 1.3 clause 10.11, Table 50).
#include "attestd/evidence/spdm/get_measurements.h"

#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;
using detail::truncated;

namespace {
constexpr std::string_view kName = "GET_MEASUREMENTS";
}  // namespace

std::expected<GetMeasurementsRequest, Error> read_get_measurements(ByteReader& r) {
  const size_t start = r.position();
  auto header = detail::read_header(r, kName, kCodeGetMeasurements);
  if (!header) return std::unexpected(header.error());
  if (auto ok = detail::check_version(header->version, kName); !ok) return std::unexpected(ok.error());

  GetMeasurementsRequest out;
  out.version = header->version;
  out.attributes = header->param1;
  out.operation = header->param2;

  if (out.signature_requested()) {
    // Table 50: Nonce (32) when Param1 bit 0 is set.
    std::span<const uint8_t> nonce;
    if (!r.read_bytes(kNonceSize, nonce)) return truncated(kName, "Nonce", r.position() - start + r.remaining());
    out.nonce.emplace();
    std::copy(nonce.begin(), nonce.end(), out.nonce->begin());
    // Table 50: SlotIDParam (1) when signed, since 1.1. Bits[3:0] slot 0..7 or 0xF, bits[7:4]
    // reserved.
    if (out.version >= kVersion11) {
      uint8_t slot = 0;
      if (!r.read_u8(slot)) return truncated(kName, "SlotIDParam", r.position() - start);
      const uint8_t id = slot & kSlotIdMask;
      if ((slot & 0xF0) != 0 || (id > 7 && id != kSlotProvisionedKey)) {
        return fail(kParseInvalidField, fmt::format("GET_MEASUREMENTS SlotIDParam 0x{:02x} is not 0..7 or 0xF", slot));
      }
      out.slot_id_param = slot;
    }
  }
  // 1.3 Table 50: RequesterContext (8), signed or not.
  if (out.version >= kVersion13) {
    std::span<const uint8_t> context;
    if (!r.read_bytes(kRequesterContextSize, context)) {
      return truncated(kName, "RequesterContext", r.position() - start + r.remaining());
    }
    out.requester_context.emplace();
    std::copy(context.begin(), context.end(), out.requester_context->begin());
  }
  return out;
}

std::expected<GetMeasurementsRequest, Error> parse_get_measurements(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  auto out = read_get_measurements(r);
  if (!out) return out;
  if (!r.empty()) return detail::trailing(kName, r.position(), bytes.size());
  return out;
}

}  // namespace attestd::evidence::spdm
