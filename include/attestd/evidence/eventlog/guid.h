// EFI_GUID as it appears in event data: 16 bytes, the first three fields little-endian
// (UEFI 2.10 Appendix A), printed in the canonical 8-4-4-4-12 form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attestd::evidence::eventlog {

struct Guid {
  // The 16 bytes exactly as stored in the log (mixed-endian).
  std::array<uint8_t, 16> bytes{};

  // Lower-case "8be4df61-93ca-11d2-aa0d-00e098032b8c".
  [[nodiscard]] std::string to_string() const;
  // Parses the canonical text form (either case); nullopt if it is not one.
  static std::optional<Guid> from_string(std::string_view text);

  friend bool operator==(const Guid&, const Guid&) = default;
  friend auto operator<=>(const Guid&, const Guid&) = default;
};

// Well-known GUIDs that event data and policies name.
namespace guids {
// EFI_GLOBAL_VARIABLE: SecureBoot, PK, KEK, Boot####, BootOrder (UEFI 2.10 §3.3).
Guid efi_global_variable();
// EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx, dbt, dbr (UEFI 2.10 §32.6.1).
Guid image_security_database();
// Signature types of EFI_SIGNATURE_LIST (UEFI 2.10 §32.4.1).
Guid cert_sha256();
Guid cert_x509();
// shim's SHIM_LOCK_GUID (MokList, MokListX, SbatLevel, the "Shim" authority).
Guid shim_lock();
}  // namespace guids

}  // namespace attestd::evidence::eventlog
