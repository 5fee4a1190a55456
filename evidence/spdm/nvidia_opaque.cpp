// NVIDIA opaque-data TLVs (FORMATS-SPDM.md section 7.4).
#include "attestd/evidence/nvidia/opaque.h"

#include <fmt/format.h>

#include <algorithm>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/spdm/reasons.h"

namespace attestd::evidence::nvidia {

std::string_view opaque_type_name(uint16_t type) {
  switch (static_cast<OpaqueType>(type)) {
    case OpaqueType::cert_issuer_name: return "CERT_ISSUER_NAME";
    case OpaqueType::cert_authority_key_identifier: return "CERT_AUTHORITY_KEY_IDENTIFIER";
    case OpaqueType::driver_version: return "DRIVER_VERSION";
    case OpaqueType::gpu_info: return "GPU_INFO";
    case OpaqueType::sku: return "SKU";
    case OpaqueType::vbios_version: return "VBIOS_VERSION";
    case OpaqueType::manufacturer_id: return "MANUFACTURER_ID";
    case OpaqueType::tamper_detection: return "TAMPER_DETECTION";
    case OpaqueType::smc: return "SMC";
    case OpaqueType::vpr: return "VPR";
    case OpaqueType::nvdec0_status: return "NVDEC0_STATUS";
    case OpaqueType::msrscnt: return "MSRSCNT";
    case OpaqueType::cprinfo: return "CPRINFO";
    case OpaqueType::board_id: return "BOARD_ID";
    case OpaqueType::chip_sku: return "CHIP_SKU";
    case OpaqueType::chip_sku_mod: return "CHIP_SKU_MOD";
    case OpaqueType::project: return "PROJECT";
    case OpaqueType::project_sku: return "PROJECT_SKU";
    case OpaqueType::project_sku_mod: return "PROJECT_SKU_MOD";
    case OpaqueType::fwid: return "FWID";
    case OpaqueType::protected_pcie_status: return "PROTECTED_PCIE_STATUS";
    case OpaqueType::switch_pdi: return "SWITCH_PDI";
    case OpaqueType::floorswept_ports: return "FLOORSWEPT_PORTS";
    case OpaqueType::position_id: return "POSITION_ID";
    case OpaqueType::lock_switch_status: return "LOCK_SWITCH_STATUS";
    case OpaqueType::gpu_link_conn: return "GPU_LINK_CONN";
    case OpaqueType::sys_enable_status: return "SYS_ENABLE_STATUS";
    case OpaqueType::opaque_data_version: return "OPAQUE_DATA_VERSION";
    case OpaqueType::chip_info: return "CHIP_INFO";
    case OpaqueType::feature_flag: return "FEATURE_FLAG";
    case OpaqueType::invalid: return "INVALID";
  }
  return {};
}

const OpaqueField* OpaqueData::find(uint16_t type) const {
  const auto it = std::find_if(fields.begin(), fields.end(), [type](const OpaqueField& f) { return f.type == type; });
  return it == fields.end() ? nullptr : &*it;
}

std::optional<std::string> format_vbios_version(std::span<const uint8_t> bytes) {
  if (bytes.size() != 8) return std::nullopt;
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string h;
  for (size_t i = bytes.size(); i-- > 0;) {
    h.push_back(kDigits[bytes[i] >> 4]);
    h.push_back(kDigits[bytes[i] & 0x0F]);
  }
  const std::string t = h.substr(8, 8) + h.substr(6, 2);
  std::string out;
  for (size_t i = 0; i < t.size(); i += 2) {
    if (!out.empty()) out.push_back('.');
    out.append(t, i, 2);
  }
  return out;
}

namespace {

// ASCII up to the first NUL (section 7.4: NUL-terminated or NUL-padded strings).
std::string ascii_until_nul(std::span<const uint8_t> data) {
  const auto end = std::find(data.begin(), data.end(), uint8_t{0});
  return std::string(data.begin(), end);
}

}  // namespace

std::expected<OpaqueData, Error> parse_opaque_data(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  OpaqueData out;
  while (!r.empty()) {
    const size_t at = r.position();
    uint16_t type = 0;
    uint16_t size = 0;
    std::span<const uint8_t> data;
    if (!r.read_u16_le(type) || !r.read_u16_le(size)) {
      return std::unexpected(Error{kReportOpaqueMalformed, fmt::format("opaque TLV header at byte {} of {} is cut short",
                                                                       at, bytes.size())});
    }
    if (!r.read_bytes(size, data)) {
      return std::unexpected(Error{kReportOpaqueMalformed,
                                   fmt::format("opaque TLV type {} at byte {} has DataSize {}, {} bytes remain", type,
                                               at, size, r.remaining())});
    }
    out.fields.push_back(OpaqueField{type, std::vector<uint8_t>(data.begin(), data.end())});
  }

  // Decode, once per type. A second TLV of a decoded type would leave policy guessing.
  const auto decode_once = [&](OpaqueType t, auto&& decode) -> std::expected<void, Error> {
    const auto type = static_cast<uint16_t>(t);
    const auto n = std::count_if(out.fields.begin(), out.fields.end(), [type](const OpaqueField& f) { return f.type == type; });
    if (n > 1) {
      return std::unexpected(Error{kReportOpaqueDuplicate,
                                   fmt::format("opaque field {} ({}) appears {} times", opaque_type_name(type), type, n)});
    }
    if (const auto* f = out.find(type)) decode(std::span<const uint8_t>(f->data));
    return {};
  };
  const auto u16 = [](std::span<const uint8_t> d) -> std::optional<uint16_t> {
    ByteReader rr(d);
    uint16_t v = 0;
    if (!rr.read_u16_le(v) || !rr.empty()) return std::nullopt;
    return v;
  };
  using T = OpaqueType;
  const std::expected<void, Error> results[] = {
      decode_once(T::driver_version, [&](auto d) { out.driver_version = ascii_until_nul(d); }),
      decode_once(T::vbios_version,
                  [&](auto d) {
                    // GPUs send 8 bytes; NVSwitches send the version as ASCII ("96.10.55.00.01").
                    out.vbios_version = d.size() == 8 ? format_vbios_version(d) : std::optional(ascii_until_nul(d));
                  }),
      decode_once(T::fwid, [&](auto d) { out.fwid = std::vector<uint8_t>(d.begin(), d.end()); }),
      decode_once(T::nvdec0_status, [&](auto d) { if (d.size() == 1) out.nvdec0_status = d[0]; }),
      decode_once(T::protected_pcie_status, [&](auto d) { if (d.size() == 1) out.protected_pcie_status = d[0]; }),
      decode_once(T::board_id,
                  [&](auto d) {
                    ByteReader rr(d);
                    uint32_t v = 0;
                    if (rr.read_u32_le(v) && rr.empty()) out.board_id = v;
                  }),
      decode_once(T::chip_sku, [&](auto d) { out.chip_sku = ascii_until_nul(d); }),
      decode_once(T::chip_sku_mod, [&](auto d) { out.chip_sku_mod = ascii_until_nul(d); }),
      decode_once(T::project, [&](auto d) { out.project = ascii_until_nul(d); }),
      decode_once(T::project_sku, [&](auto d) { out.project_sku = ascii_until_nul(d); }),
      decode_once(T::project_sku_mod, [&](auto d) { out.project_sku_mod = ascii_until_nul(d); }),
      decode_once(T::chip_info, [&](auto d) { out.chip_info = ascii_until_nul(d); }),
      decode_once(T::opaque_data_version, [&](auto d) { out.opaque_data_version = u16(d); }),
      decode_once(T::feature_flag, [&](auto d) { out.feature_flag = u16(d); }),
      decode_once(T::msrscnt,
                  [&](auto d) {
                    if (d.size() % 4 != 0) return;
                    ByteReader rr(d);
                    uint32_t v = 0;
                    while (rr.read_u32_le(v)) out.msrscnt.push_back(v);
                  }),
      decode_once(T::switch_pdi,
                  [&](auto d) {
                    if (d.size() % 8 != 0) return;
                    for (size_t i = 0; i < d.size(); i += 8) {
                      std::array<uint8_t, 8> pdi{};
                      std::copy_n(d.begin() + static_cast<std::ptrdiff_t>(i), 8, pdi.begin());
                      out.switch_pdis.push_back(pdi);
                    }
                  }),
  };
  for (const auto& res : results) {
    if (!res) return std::unexpected(res.error());
  }
  return out;
}

}  // namespace attestd::evidence::nvidia
