// VCA parsing (DSP0274 1.3 clauses 10.3 GET_VERSION, 10.4 GET_CAPABILITIES, 10.5
// NEGOTIATE_ALGORITHMS; FORMATS-SPDM.md section 4.1).
#include "attestd/evidence/spdm/vca.h"

#include <bit>

#include "attestd/evidence/byte_reader.h"
#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;
using detail::truncated;

namespace {

// Fixed sizes of the algorithm messages before their extended algorithms and tables (clause 10.5,
// Tables 15 and 20).
constexpr size_t kNegotiateFixedSize = 32;
constexpr size_t kAlgorithmsFixedSize = 36;
// Capabilities Param1 bit 0 in 1.3: a Supported Algorithms block follows (clause 10.4).
constexpr uint8_t kCapParam1SupportedAlgos = 0x01;

std::expected<void, Error> expect_version(uint8_t got, uint8_t want, std::string_view name) {
  if (got != want) {
    return fail(kVersionMismatch, fmt::format("{} has SPDMVersion {}, expected {}", name, version_name(got),
                                              version_name(want)));
  }
  return {};
}

// Extended algorithm entries (4 bytes each) and AlgStruct tables (clause 10.5, Table 16):
// AlgType (1), AlgCount (1: bits[7:4] fixed-algorithm bytes, bits[3:0] extended count), fixed
// bytes, 4 bytes per extended algorithm. They must fill the message exactly.
std::expected<void, Error> read_tables(ByteReader& r, std::string_view name, uint8_t ext_asym, uint8_t ext_hash,
                                       uint8_t table_count) {
  if (!r.skip(4 * (static_cast<size_t>(ext_asym) + ext_hash))) {
    return truncated(name, "the extended algorithms", r.position() + r.remaining());
  }
  for (uint8_t i = 0; i < table_count; ++i) {
    uint8_t type = 0;
    uint8_t count = 0;
    if (!r.read_u8(type) || !r.read_u8(count)) return truncated(name, "an AlgStruct table", r.position());
    const size_t fixed = count >> 4;
    const size_t ext = count & 0x0F;
    if (!r.skip(fixed + 4 * ext)) return truncated(name, "an AlgStruct table's algorithms", r.position());
  }
  if (!r.empty()) return detail::trailing(fmt::format("{} (by its Length field)", name), r.position(), r.position() + r.remaining());
  return {};
}

}  // namespace

std::expected<Vca, Error> parse_vca(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  Vca out;

  // 10.3: GET_VERSION is always version 1.0, 4 bytes.
  auto get_version = detail::read_header(r, "GET_VERSION", kCodeGetVersion);
  if (!get_version) return std::unexpected(get_version.error());
  if (auto ok = expect_version(get_version->version, kVersion10, "GET_VERSION"); !ok) return std::unexpected(ok.error());

  // 10.3 Table 9: VERSION: header (1.0), Reserved (1), VersionNumberEntryCount (1), entries (2 each).
  auto version = detail::read_header(r, "VERSION", kCodeVersion);
  if (!version) return std::unexpected(version.error());
  if (auto ok = expect_version(version->version, kVersion10, "VERSION"); !ok) return std::unexpected(ok.error());
  uint8_t reserved = 0;
  uint8_t entry_count = 0;
  if (!r.read_u8(reserved) || !r.read_u8(entry_count)) return truncated("VERSION", "VersionNumberEntryCount", r.position());
  for (uint8_t i = 0; i < entry_count; ++i) {
    uint16_t entry = 0;
    if (!r.read_u16_le(entry)) return truncated("VERSION", "a VersionNumberEntry", r.position());
    out.offered_versions.push_back(entry);
  }

  // 10.4: GET_CAPABILITIES carries the version chosen for the connection.
  auto get_caps = detail::read_header(r, "GET_CAPABILITIES", kCodeGetCapabilities);
  if (!get_caps) return std::unexpected(get_caps.error());
  const uint8_t v = get_caps->version;
  if (auto ok = detail::check_version(v, "GET_CAPABILITIES"); !ok) return std::unexpected(ok.error());
  bool offered = false;
  for (uint16_t entry : out.offered_versions) offered = offered || (entry >> 8) == v;
  if (!offered) {
    return fail(kVcaVersionNotOffered,
                fmt::format("GET_CAPABILITIES uses SPDM {}, which VERSION does not list", version_name(v)));
  }
  // Table 11: 1.1+: Reserved (1), CTExponent (1), Reserved (2), Flags (4); 1.2+: DataTransferSize
  // (4), MaxSPDMmsgSize (4).
  if (v >= kVersion11) {
    if (!r.skip(4) || !r.read_u32_le(out.requester_flags)) return truncated("GET_CAPABILITIES", "Flags", r.position());
    if (v >= kVersion12 && !r.skip(8)) return truncated("GET_CAPABILITIES", "MaxSPDMmsgSize", r.position());
  }

  // Table 12: CAPABILITIES: Reserved (1), CTExponent (1), Reserved (2), Flags (4) at every
  // version; 1.2+: DataTransferSize (4), MaxSPDMmsgSize (4); 1.3: Supported Algorithms block when
  // Param1 bit 0.
  auto caps = detail::read_header(r, "CAPABILITIES", kCodeCapabilities);
  if (!caps) return std::unexpected(caps.error());
  if (auto ok = expect_version(caps->version, v, "CAPABILITIES"); !ok) return std::unexpected(ok.error());
  if (!r.skip(4) || !r.read_u32_le(out.responder_flags)) return truncated("CAPABILITIES", "Flags", r.position());
  if (v >= kVersion12 && !r.skip(8)) return truncated("CAPABILITIES", "MaxSPDMmsgSize", r.position());
  if (v >= kVersion13 && (caps->param1 & kCapParam1SupportedAlgos) != 0) {
    return fail(kVcaUnsupported, "CAPABILITIES carries a Supported Algorithms block (Param1 bit 0), not read");
  }

  // Table 15: NEGOTIATE_ALGORITHMS: Length (2) covers the whole message.
  {
    const size_t at = r.position();
    auto h = detail::read_header(r, "NEGOTIATE_ALGORITHMS", kCodeNegotiateAlgorithms);
    if (!h) return std::unexpected(h.error());
    if (auto ok = expect_version(h->version, v, "NEGOTIATE_ALGORITHMS"); !ok) return std::unexpected(ok.error());
    uint16_t length = 0;
    if (!r.read_u16_le(length)) return truncated("NEGOTIATE_ALGORITHMS", "Length", r.position());
    if (length < kNegotiateFixedSize) {
      return fail(kParseInvalidField, fmt::format("NEGOTIATE_ALGORITHMS Length {} < {}", length, kNegotiateFixedSize));
    }
    ByteReader m;
    if (!r.read_sub(length - kHeaderSize - 2, m)) {
      return fail(kParseTruncated, fmt::format("NEGOTIATE_ALGORITHMS at byte {} has Length {} but {} bytes remain", at,
                                               length, r.remaining() + kHeaderSize + 2));
    }
    // Offsets 6 MeasurementSpecification, 7 OtherParamsSupport, 8 BaseAsymAlgo, 12 BaseHashAlgo,
    // 16..27 reserved, 28 ExtAsymCount, 29 ExtHashCount, 30 reserved, 31 MEL specification.
    uint8_t ext_asym = 0;
    uint8_t ext_hash = 0;
    if (!m.skip(2) || !m.read_u32_le(out.offered_base_asym) || !m.read_u32_le(out.offered_base_hash) ||
        !m.skip(12) || !m.read_u8(ext_asym) || !m.read_u8(ext_hash) || !m.skip(2)) {
      return truncated("NEGOTIATE_ALGORITHMS", "ExtHashCount", at + kNegotiateFixedSize);
    }
    if (auto ok = read_tables(m, "NEGOTIATE_ALGORITHMS", ext_asym, ext_hash, h->param1); !ok) {
      return std::unexpected(ok.error());
    }
  }

  // Table 20: ALGORITHMS.
  {
    const size_t at = r.position();
    auto h = detail::read_header(r, "ALGORITHMS", kCodeAlgorithms);
    if (!h) return std::unexpected(h.error());
    if (auto ok = expect_version(h->version, v, "ALGORITHMS"); !ok) return std::unexpected(ok.error());
    uint16_t length = 0;
    if (!r.read_u16_le(length)) return truncated("ALGORITHMS", "Length", r.position());
    if (length < kAlgorithmsFixedSize) {
      return fail(kParseInvalidField, fmt::format("ALGORITHMS Length {} < {}", length, kAlgorithmsFixedSize));
    }
    ByteReader m;
    if (!r.read_sub(length - kHeaderSize - 2, m)) {
      return fail(kParseTruncated, fmt::format("ALGORITHMS at byte {} has Length {} but {} bytes remain", at, length,
                                               r.remaining() + kHeaderSize + 2));
    }
    // Offsets 6 MeasurementSpecificationSel, 7 OtherParamsSelection (1.2+), 8 MeasurementHashAlgo,
    // 12 BaseAsymSel, 16 BaseHashSel, 20..30 reserved, 31 MEL specification, 32 ExtAsymSelCount,
    // 33 ExtHashSelCount, 34 reserved (2).
    auto& a = out.algorithms;
    uint8_t ext_asym = 0;
    uint8_t ext_hash = 0;
    if (!m.read_u8(a.measurement_specification) || !m.read_u8(a.other_params) || !m.read_u32_le(a.measurement_hash) ||
        !m.read_u32_le(a.base_asym) || !m.read_u32_le(a.base_hash) || !m.skip(12) || !m.read_u8(ext_asym) ||
        !m.read_u8(ext_hash) || !m.skip(2)) {
      return truncated("ALGORITHMS", "ExtHashSelCount", at + kAlgorithmsFixedSize);
    }
    if (auto ok = read_tables(m, "ALGORITHMS", ext_asym, ext_hash, h->param1); !ok) return std::unexpected(ok.error());
    a.version = v;
    if (v < kVersion12) a.other_params = 0;  // reserved before 1.2
    // 10.5: the responder selects at most one of the algorithms the requester offered.
    if (std::popcount(a.base_asym) > 1 || std::popcount(a.base_hash) > 1 || std::popcount(a.measurement_hash) > 1) {
      return fail(kVcaMalformed, fmt::format("ALGORITHMS selects more than one algorithm: MeasurementHashAlgo 0x{:x}, "
                                             "BaseAsymSel 0x{:x}, BaseHashSel 0x{:x}",
                                             a.measurement_hash, a.base_asym, a.base_hash));
    }
    if ((a.base_asym & ~out.offered_base_asym) != 0 || (a.base_hash & ~out.offered_base_hash) != 0) {
      return fail(kVcaMalformed, fmt::format("ALGORITHMS selects BaseAsym 0x{:x} / BaseHash 0x{:x}, the requester "
                                             "offered 0x{:x} / 0x{:x}",
                                             a.base_asym, a.base_hash, out.offered_base_asym, out.offered_base_hash));
    }
  }
  if (!r.empty()) return detail::trailing("VCA (after ALGORITHMS)", r.position(), bytes.size());
  return out;
}

}  // namespace attestd::evidence::spdm
