// NVIDIA opaque data in GPU and NVSwitch MEASUREMENTS (FORMATS-SPDM.md section 7.4): a sequence
// of TLVs DataType (u16 LE) || DataSize (u16 LE) || Data, filling the SPDM OpaqueData exactly.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::evidence::nvidia {

// TLV types (section 7.4).
enum class OpaqueType : uint16_t {
  cert_issuer_name = 1,
  cert_authority_key_identifier = 2,
  driver_version = 3,
  gpu_info = 4,
  sku = 5,
  vbios_version = 6,
  manufacturer_id = 7,
  tamper_detection = 8,
  smc = 9,
  vpr = 10,
  nvdec0_status = 11,
  msrscnt = 12,
  cprinfo = 13,
  board_id = 14,
  chip_sku = 15,
  chip_sku_mod = 16,
  project = 17,
  project_sku = 18,
  project_sku_mod = 19,
  fwid = 20,
  protected_pcie_status = 21,
  switch_pdi = 22,
  floorswept_ports = 23,
  position_id = 24,
  lock_switch_status = 25,
  gpu_link_conn = 32,
  sys_enable_status = 33,
  opaque_data_version = 34,
  chip_info = 35,
  feature_flag = 36,
  invalid = 255,
};

// "DRIVER_VERSION", ... as NVIDIA names them; empty for a type section 7.4 does not name.
std::string_view opaque_type_name(uint16_t type);

// NVDEC0_STATUS / PROTECTED_PCIE_STATUS byte values.
inline constexpr uint8_t kStatusEnabled = 0xAA;
inline constexpr uint8_t kStatusDisabled = 0x55;

struct OpaqueField {
  uint16_t type = 0;
  std::vector<uint8_t> data;
};

// Every TLV, in order, plus the decoded values of the types with a known encoding. A decoded value
// is set only when its TLV is present and has the documented size; the raw bytes are always in
// `fields`.
struct OpaqueData {
  std::vector<OpaqueField> fields;
  std::optional<std::string> driver_version;   // 3: ASCII up to the first NUL
  std::optional<std::string> vbios_version;    // 6: 8 bytes -> "96.00.9F.00.01"; NVSwitch: ASCII
  std::optional<std::vector<uint8_t>> fwid;    // 20: the bytes as sent (48 for SHA-384)
  std::optional<uint8_t> nvdec0_status;        // 11: 1 byte
  std::optional<uint8_t> protected_pcie_status;  // 21: 1 byte
  std::optional<uint32_t> board_id;            // 14: u32 LE
  std::optional<std::string> chip_sku;         // 15..19: ASCII, NUL padded
  std::optional<std::string> chip_sku_mod;
  std::optional<std::string> project;
  std::optional<std::string> project_sku;
  std::optional<std::string> project_sku_mod;
  std::optional<std::string> chip_info;        // 35: ASCII up to the first NUL
  std::optional<uint16_t> opaque_data_version;  // 34: u16 LE
  std::optional<uint16_t> feature_flag;        // 36: u16 LE (0 SPT, 1 MPT, 2 PPCIE)
  std::vector<uint32_t> msrscnt;               // 12: u32 LE per measurement block
  std::vector<std::array<uint8_t, 8>> switch_pdis;  // 22: N x 8 bytes

  // The raw bytes of the first TLV of `type`, or nullptr.
  [[nodiscard]] const OpaqueField* find(uint16_t type) const;
};

// Parses the TLVs. Unknown types are kept in `fields` and never fail. Errors:
// gpu.report.opaque_malformed (a TLV header or its data runs past the end),
// gpu.report.opaque_duplicate (a type we decode appears twice: which one would policy see?).
std::expected<OpaqueData, Error> parse_opaque_data(std::span<const uint8_t> bytes);

// VBIOS_VERSION formatting (section 7.4 type 6): h = hex of the 8 bytes reversed,
// t = h[8:16] + h[6:8], 2-digit groups joined by "."; upper case, as NVML and the RIM ids print it.
// nullopt unless 8 bytes.
std::optional<std::string> format_vbios_version(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::nvidia
