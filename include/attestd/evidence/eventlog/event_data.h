// The meaning of an event's data, for policies: decode_event_data() turns the bytes of one event
// into a typed value by event type (PFP 1.04 §9.4, UEFI 2.10).
//
// Decoded data is only as trustworthy as its binding to the digests the TPM extended: see
// digest_check.h for which types bind their data.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/guid.h"
#include "attestd/evidence/eventlog/signature_list.h"

namespace attestd::evidence::eventlog {

// Any type without a decoder (unknown types included), or data a decoder does not recognise for a
// type whose data is free-form (EV_IPL binaries, EV_S_CRTM_VERSION GUIDs, …).
struct RawData {
  std::span<const uint8_t> data;
};

// UEFI_VARIABLE_DATA (PFP 1.04, Table "UEFI_VARIABLE_DATA"): EV_EFI_VARIABLE_DRIVER_CONFIG, _BOOT, _BOOT2, _AUTHORITY.
struct EfiVariable {
  Guid guid;
  std::string name;  // UnicodeName, UTF-16LE converted to UTF-8
  std::span<const uint8_t> data;  // VariableData
  // Stray bytes after VariableData: only for EV_EFI_VARIABLE_AUTHORITY, which shim logs with a
  // few (at most 16) bytes too many; empty for conforming events (see event_data.cpp).
  std::span<const uint8_t> padding;
};

// UEFI_IMAGE_LOAD_EVENT (PFP 1.04, Table "UEFI_IMAGE_LOAD_EVENT"): EV_EFI_BOOT_SERVICES_APPLICATION/_DRIVER,
// EV_EFI_RUNTIME_SERVICES_DRIVER.
struct ImageLoad {
  uint64_t location = 0;
  uint64_t length = 0;
  uint64_t link_time_address = 0;
  // device_path_to_text() of DevicePath; empty when the path is empty (older shim logs its second
  // stage with every field zero).
  std::string device_path;
  std::span<const uint8_t> device_path_bytes;
  // Stray bytes after DevicePath (at most 16) that shim's image events carry; empty for
  // conforming events (see event_data.cpp).
  std::span<const uint8_t> padding;
};

// A string: EV_EFI_ACTION, EV_ACTION, EV_IPL, EV_S_CRTM_VERSION, EV_POST_CODE, EV_EFI_HCRTM_EVENT,
// EV_OMIT_BOOT_DEVICE_EVENTS. ASCII/UTF-8 or UTF-16LE in the log, UTF-8 here, trailing NULs removed.
struct Text {
  std::string text;
  bool utf16 = false;  // the log held UTF-16LE (EV_S_CRTM_VERSION, systemd-boot's EV_IPL)
};

// TCG_PCClientTaggedEvent (PFP 1.04, EV_EVENT_TAG): EV_EVENT_TAG.
struct EventTag {
  uint32_t id = 0;
  std::span<const uint8_t> data;
};

// EV_SEPARATOR: 00000000 normally, ffffffff for an error separator; Windows logs "WBCL".
struct Separator {
  uint32_t value = 0;  // the 4 bytes read little-endian
};

// UEFI_PLATFORM_FIRMWARE_BLOB / _BLOB2 (PFP 1.04; 1.05 adds BLOB2's description), and the
// blob form of EV_POST_CODE / EV_S_CRTM_CONTENTS.
struct FirmwareBlob {
  uint64_t base = 0;
  uint64_t length = 0;
  std::string description;  // BLOB2 only
};

// One GPT partition entry (UEFI 2.10 §5.3.3, Table 5.6).
struct GptPartition {
  Guid type;
  Guid unique;
  uint64_t first_lba = 0;
  uint64_t last_lba = 0;
  uint64_t attributes = 0;
  std::string name;  // PartitionName, UTF-16LE up to the first NUL, as UTF-8
};

// UEFI_GPT_DATA (PFP 1.04, Table "UEFI_GPT_DATA"): EV_EFI_GPT_EVENT. The header fields of
// EFI_PARTITION_TABLE_HEADER (UEFI 2.10 §5.3.2) and the partitions the firmware measured.
struct GptEvent {
  uint32_t revision = 0;
  uint32_t header_size = 0;
  uint32_t header_crc32 = 0;
  uint64_t my_lba = 0;
  uint64_t alternate_lba = 0;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;
  Guid disk_guid;
  uint64_t partition_entry_lba = 0;
  uint32_t number_of_partition_entries = 0;
  uint32_t size_of_partition_entry = 0;
  uint32_t partition_entry_array_crc32 = 0;
  std::vector<GptPartition> partitions;
};

// EV_NO_ACTION (PFP 1.04 §9.4.5): recognised by its signature.
struct NoAction {
  enum class Kind { spec_id, startup_locality, sp800_155, nv_index, other };
  Kind kind = Kind::other;
  uint8_t locality = 0;  // startup_locality only (§9.4.5.3)
  std::span<const uint8_t> data;
};

using EventData =
    std::variant<RawData, EfiVariable, ImageLoad, Text, EventTag, Separator, FirmwareBlob, GptEvent, NoAction>;

// Decodes the data of one event by its type. Types without a decoder, unknown types included,
// are RawData, never an error. Fails with kEventDataInvalid (message naming the event index,
// type and what is wrong) when the data of a structured type is malformed: a length field that
// runs past the data, bytes left over, an invalid UTF-16 name, a malformed device path.
// Spans in the result borrow from the log's bytes, like `event.data`.
std::expected<EventData, Error> decode_event_data(const Event& event);

}  // namespace attestd::evidence::eventlog
