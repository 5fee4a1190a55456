// Event types of the TCG PC Client PFP (1.04 §9.4.1 Table 9; 1.06 adds the SPDM types).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace attestd::evidence::eventlog {

inline constexpr uint32_t EV_PREBOOT_CERT = 0x00000000;
inline constexpr uint32_t EV_POST_CODE = 0x00000001;
inline constexpr uint32_t EV_UNUSED = 0x00000002;
inline constexpr uint32_t EV_NO_ACTION = 0x00000003;
inline constexpr uint32_t EV_SEPARATOR = 0x00000004;
inline constexpr uint32_t EV_ACTION = 0x00000005;
inline constexpr uint32_t EV_EVENT_TAG = 0x00000006;
inline constexpr uint32_t EV_S_CRTM_CONTENTS = 0x00000007;
inline constexpr uint32_t EV_S_CRTM_VERSION = 0x00000008;
inline constexpr uint32_t EV_CPU_MICROCODE = 0x00000009;
inline constexpr uint32_t EV_PLATFORM_CONFIG_FLAGS = 0x0000000A;
inline constexpr uint32_t EV_TABLE_OF_DEVICES = 0x0000000B;
inline constexpr uint32_t EV_COMPACT_HASH = 0x0000000C;
inline constexpr uint32_t EV_IPL = 0x0000000D;
inline constexpr uint32_t EV_IPL_PARTITION_DATA = 0x0000000E;
inline constexpr uint32_t EV_NONHOST_CODE = 0x0000000F;
inline constexpr uint32_t EV_NONHOST_CONFIG = 0x00000010;
inline constexpr uint32_t EV_NONHOST_INFO = 0x00000011;
inline constexpr uint32_t EV_OMIT_BOOT_DEVICE_EVENTS = 0x00000012;
inline constexpr uint32_t EV_POST_CODE2 = 0x00000013;

inline constexpr uint32_t EV_EFI_EVENT_BASE = 0x80000000;
inline constexpr uint32_t EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001;
inline constexpr uint32_t EV_EFI_VARIABLE_BOOT = 0x80000002;
inline constexpr uint32_t EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003;
inline constexpr uint32_t EV_EFI_BOOT_SERVICES_DRIVER = 0x80000004;
inline constexpr uint32_t EV_EFI_RUNTIME_SERVICES_DRIVER = 0x80000005;
inline constexpr uint32_t EV_EFI_GPT_EVENT = 0x80000006;
inline constexpr uint32_t EV_EFI_ACTION = 0x80000007;
inline constexpr uint32_t EV_EFI_PLATFORM_FIRMWARE_BLOB = 0x80000008;
inline constexpr uint32_t EV_EFI_HANDOFF_TABLES = 0x80000009;
inline constexpr uint32_t EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000A;
inline constexpr uint32_t EV_EFI_HANDOFF_TABLES2 = 0x8000000B;
inline constexpr uint32_t EV_EFI_VARIABLE_BOOT2 = 0x8000000C;
inline constexpr uint32_t EV_EFI_GPT_EVENT2 = 0x8000000D;
inline constexpr uint32_t EV_EFI_HCRTM_EVENT = 0x80000010;
inline constexpr uint32_t EV_EFI_VARIABLE_AUTHORITY = 0x800000E0;
inline constexpr uint32_t EV_EFI_SPDM_FIRMWARE_BLOB = 0x800000E1;
inline constexpr uint32_t EV_EFI_SPDM_FIRMWARE_CONFIG = 0x800000E2;
inline constexpr uint32_t EV_EFI_SPDM_DEVICE_POLICY = 0x800000E3;
inline constexpr uint32_t EV_EFI_SPDM_DEVICE_AUTHORITY = 0x800000E4;

// The specification's name ("EV_SEPARATOR"), or "EV_UNKNOWN" for a value the specification does
// not define. Unknown types are legal in a log: callers keep them. The view is static.
std::string_view event_type_name(uint32_t type);

// As event_type_name, but an unknown type reads "EV_UNKNOWN_0x0000040E" (8 hex digits), for
// messages and listings where the value matters.
std::string event_type_label(uint32_t type);

// True for a value defined in Table 9 (or the SPDM additions of PFP 1.06).
bool is_known_event_type(uint32_t type);

}  // namespace attestd::evidence::eventlog
