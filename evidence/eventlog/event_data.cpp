// decode_event_data: the data layouts of PFP 1.04 §9.4 and UEFI 2.10, by event type.
#include "attestd/evidence/eventlog/event_data.h"

#include <fmt/format.h>

#include <algorithm>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/eventlog/device_path.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "text.h"

namespace attestd::evidence::eventlog {

namespace {

using namespace std::string_view_literals;

std::unexpected<Error> invalid(const Event& ev, std::string what) {
  return std::unexpected(Error{kEventDataInvalid, fmt::format("event {} ({}, PCR {}) at offset {}: {}", ev.index,
                                                              event_type_label(ev.type), ev.pcr, ev.offset, what)});
}

bool read_guid(ByteReader& r, Guid& g) {
  std::span<const uint8_t> b;
  if (!r.read_bytes(16, b)) return false;
  std::copy(b.begin(), b.end(), g.bytes.begin());
  return true;
}

bool starts_with(std::span<const uint8_t> data, std::string_view prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin(),
                                                    [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; });
}

// shim (up to at least 15.x) logs EV_EFI_VARIABLE_AUTHORITY and EV_EFI_BOOT_SERVICES_APPLICATION
// events whose EventSize counts a few bytes beyond the structure (a sizeof miscount; the stray
// bytes are pool memory such as 00 00 00 00 00 af): sb_cert_eventlog #12, debian-10 #23,
// cos-85-amd-sev #24 (6 bytes after an authority), rhel8-uefi #26, keylime mb_log #28 (8 bytes
// after an image path), python3-uefi-eventlog rhel #19 (9 bytes after an all-zero image event).
// For those two event kinds only, up to this many stray bytes are kept in `padding`; anywhere
// else leftover bytes are an error.
constexpr size_t kMaxShimPadding = 16;

// UEFI_VARIABLE_DATA: VariableName GUID, UnicodeNameLength u64 (in CHAR16), VariableDataLength
// u64, UnicodeName[UnicodeNameLength], VariableData[VariableDataLength]; nothing after.
std::expected<EventData, Error> decode_variable(const Event& ev) {
  ByteReader r(ev.data);
  EfiVariable var;
  uint64_t name_chars = 0, data_len = 0;
  if (!read_guid(r, var.guid) || !r.read_u64_le(name_chars) || !r.read_u64_le(data_len)) {
    return invalid(ev, fmt::format("{} bytes are too few for a UEFI_VARIABLE_DATA header (32)", ev.data.size()));
  }
  // Overflow-safe: compare counts with what is left instead of multiplying first.
  if (name_chars > r.remaining() / 2) {
    return invalid(ev, fmt::format("UnicodeNameLength {} exceeds the {} bytes left", name_chars, r.remaining()));
  }
  std::span<const uint8_t> name;
  if (!r.read_bytes(static_cast<size_t>(name_chars) * 2, name)) return invalid(ev, "UnicodeName runs past the data");
  const size_t slack = ev.type == EV_EFI_VARIABLE_AUTHORITY ? kMaxShimPadding : 0;
  if (data_len > r.remaining() || r.remaining() - data_len > slack) {
    return invalid(ev, fmt::format("VariableDataLength {} but {} bytes follow the name", data_len, r.remaining()));
  }
  auto utf8 = utf16le_to_utf8(name);
  if (!utf8) return invalid(ev, "UnicodeName is not valid UTF-16LE");
  var.name = std::move(*utf8);
  if (!r.read_bytes(static_cast<size_t>(data_len), var.data)) return invalid(ev, "VariableData runs past the data");
  var.padding = r.rest();
  return var;
}

// UEFI_IMAGE_LOAD_EVENT: ImageLocationInMemory u64, ImageLengthInMemory u64,
// ImageLinkTimeAddress u64, LengthOfDevicePath u64, DevicePath[LengthOfDevicePath].
std::expected<EventData, Error> decode_image_load(const Event& ev) {
  ByteReader r(ev.data);
  ImageLoad img;
  uint64_t path_len = 0;
  if (!r.read_u64_le(img.location) || !r.read_u64_le(img.length) || !r.read_u64_le(img.link_time_address) ||
      !r.read_u64_le(path_len)) {
    return invalid(ev, fmt::format("{} bytes are too few for a UEFI_IMAGE_LOAD_EVENT header (32)", ev.data.size()));
  }
  // Also shim's all-zero event with 8 or 9 stray bytes (sr645 #30, supermicro #40, tpm2-tools
  // event-bootorder #26, event-postcode #39): an image with no location and no path.
  if (path_len > r.remaining() || r.remaining() - path_len > kMaxShimPadding) {
    return invalid(ev, fmt::format("LengthOfDevicePath {} but {} bytes follow", path_len, r.remaining()));
  }
  if (!r.read_bytes(static_cast<size_t>(path_len), img.device_path_bytes)) return invalid(ev, "DevicePath runs past the data");
  img.padding = r.rest();
  auto text = device_path_to_text(img.device_path_bytes);
  if (!text) return invalid(ev, text.error().message);
  img.device_path = std::move(*text);
  return img;
}

// TCG_PCClientTaggedEvent: taggedEventID u32, taggedEventDataSize u32, taggedEventData[size].
std::expected<EventData, Error> decode_tag(const Event& ev) {
  ByteReader r(ev.data);
  EventTag tag;
  uint32_t size = 0;
  if (!r.read_u32_le(tag.id) || !r.read_u32_le(size)) {
    return invalid(ev, fmt::format("{} bytes are too few for a TCG_PCClientTaggedEvent header (8)", ev.data.size()));
  }
  if (size != r.remaining()) {
    return invalid(ev, fmt::format("taggedEventDataSize {} but {} bytes follow", size, r.remaining()));
  }
  tag.data = r.rest();
  return tag;
}

std::expected<EventData, Error> decode_separator(const Event& ev) {
  ByteReader r(ev.data);
  Separator sep;
  if (!r.read_u32_le(sep.value) || !r.empty()) {
    return invalid(ev, fmt::format("a separator is 4 bytes, not {}", ev.data.size()));
  }
  return sep;
}

// UEFI_PLATFORM_FIRMWARE_BLOB: BlobBase u64, BlobLength u64.
std::optional<FirmwareBlob> read_blob(std::span<const uint8_t> data) {
  ByteReader r(data);
  FirmwareBlob blob;
  if (!r.read_u64_le(blob.base) || !r.read_u64_le(blob.length) || !r.empty()) return std::nullopt;
  return blob;
}

// UEFI_PLATFORM_FIRMWARE_BLOB2: BlobDescriptionSize u8, BlobDescription[size], BlobBase u64,
// BlobLength u64.
std::expected<EventData, Error> decode_blob2(const Event& ev) {
  ByteReader r(ev.data);
  FirmwareBlob blob;
  uint8_t desc_size = 0;
  std::span<const uint8_t> desc;
  if (!r.read_u8(desc_size) || !r.read_bytes(desc_size, desc) || !r.read_u64_le(blob.base) ||
      !r.read_u64_le(blob.length) || !r.empty()) {
    return invalid(ev, fmt::format("{} bytes are not a UEFI_PLATFORM_FIRMWARE_BLOB2", ev.data.size()));
  }
  auto text = printable_utf8(desc);
  if (!text) return invalid(ev, "BlobDescription is not printable text");
  blob.description = std::move(*text);
  return blob;
}

// UEFI_GPT_DATA: UEFIPartitionHeader (EFI_PARTITION_TABLE_HEADER, 92 bytes: UEFI 2.10 §5.3.2),
// NumberOfPartitions u64, Partitions[NumberOfPartitions] of SizeOfPartitionEntry bytes each
// (EFI_PARTITION_ENTRY, UEFI 2.10 §5.3.3, 128 bytes defined).
std::expected<EventData, Error> decode_gpt(const Event& ev) {
  constexpr size_t kEntryDefinedSize = 16 + 16 + 8 + 8 + 8 + 72;
  ByteReader r(ev.data);
  GptEvent gpt;
  uint64_t signature = 0;
  uint32_t reserved = 0;
  uint64_t count = 0;
  if (!r.read_u64_le(signature) || !r.read_u32_le(gpt.revision) || !r.read_u32_le(gpt.header_size) ||
      !r.read_u32_le(gpt.header_crc32) || !r.read_u32_le(reserved) || !r.read_u64_le(gpt.my_lba) ||
      !r.read_u64_le(gpt.alternate_lba) || !r.read_u64_le(gpt.first_usable_lba) ||
      !r.read_u64_le(gpt.last_usable_lba) || !read_guid(r, gpt.disk_guid) || !r.read_u64_le(gpt.partition_entry_lba) ||
      !r.read_u32_le(gpt.number_of_partition_entries) || !r.read_u32_le(gpt.size_of_partition_entry) ||
      !r.read_u32_le(gpt.partition_entry_array_crc32) || !r.read_u64_le(count)) {
    return invalid(ev, fmt::format("{} bytes are too few for a UEFI_GPT_DATA header (100)", ev.data.size()));
  }
  constexpr uint64_t kEfiPart = 0x5452415020494645;  // "EFI PART"
  if (signature != kEfiPart) return invalid(ev, fmt::format("GPT signature is 0x{:016x}, not \"EFI PART\"", signature));
  const size_t entry_size = gpt.size_of_partition_entry;
  if (entry_size < kEntryDefinedSize) {
    return invalid(ev, fmt::format("SizeOfPartitionEntry {} is below {}", entry_size, kEntryDefinedSize));
  }
  if (count > r.remaining() / entry_size || count * entry_size != r.remaining()) {
    return invalid(ev, fmt::format("NumberOfPartitions {} of {} bytes do not fill the {} bytes left", count, entry_size,
                                   r.remaining()));
  }
  gpt.partitions.reserve(static_cast<size_t>(count));
  while (!r.empty()) {
    ByteReader entry;
    std::span<const uint8_t> name;
    GptPartition p;
    if (!r.read_sub(entry_size, entry) || !read_guid(entry, p.type) || !read_guid(entry, p.unique) ||
        !entry.read_u64_le(p.first_lba) || !entry.read_u64_le(p.last_lba) || !entry.read_u64_le(p.attributes) ||
        !entry.read_bytes(72, name)) {
      return invalid(ev, "partition entry runs past the data");  // unreachable: sizes checked above
    }
    // PartitionName is CHAR16[36], NUL-terminated when shorter; the rest of the entry (bytes
    // beyond the 128 defined) is reserved and not read.
    size_t chars = 0;
    while (chars < 36 && (name[2 * chars] != 0 || name[2 * chars + 1] != 0)) ++chars;
    auto text = utf16le_to_utf8(name.first(2 * chars));
    if (!text) return invalid(ev, fmt::format("partition {} name is not valid UTF-16LE", gpt.partitions.size()));
    p.name = std::move(*text);
    gpt.partitions.push_back(std::move(p));
  }
  return gpt;
}

// EV_NO_ACTION payloads by signature (PFP 1.04 §9.4.5).
std::expected<EventData, Error> decode_no_action(const Event& ev) {
  NoAction na;
  na.data = ev.data;
  if (starts_with(ev.data, "Spec ID Event03\0"sv) || starts_with(ev.data, "Spec ID Event00\0"sv) ||
      starts_with(ev.data, "Spec ID Event02\0"sv)) {
    na.kind = NoAction::Kind::spec_id;
  } else if (starts_with(ev.data, "StartupLocality\0"sv)) {
    // §9.4.5.3 TCG_EfiStartupLocalityEvent: Signature[16], StartupLocality u8.
    ByteReader r(ev.data);
    if (!r.skip(16) || !r.read_u8(na.locality) || !r.empty()) {
      return invalid(ev, fmt::format("a StartupLocality event is 17 bytes, not {}", ev.data.size()));
    }
    na.kind = NoAction::Kind::startup_locality;
  } else if (starts_with(ev.data, "SP800-155 Event"sv)) {
    na.kind = NoAction::Kind::sp800_155;  // "SP800-155 Event\0", "…Event2", "…Event3"
  } else if (starts_with(ev.data, "NvIndexInstance\0"sv) || starts_with(ev.data, "NvIndexDynamic\0"sv)) {
    na.kind = NoAction::Kind::nv_index;
  }
  return na;
}

// Free-form strings: ASCII/UTF-8, or UTF-16LE when that is the only reading that is text.
std::optional<Text> as_text(std::span<const uint8_t> data) {
  if (auto t = printable_utf8(data)) return Text{std::move(*t), false};
  if (auto t = printable_utf16le(data)) return Text{std::move(*t), true};
  return std::nullopt;
}

}  // namespace

std::expected<EventData, Error> decode_event_data(const Event& ev) {
  switch (ev.type) {
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_BOOT:
    case EV_EFI_VARIABLE_BOOT2:
    case EV_EFI_VARIABLE_AUTHORITY:
      return decode_variable(ev);
    case EV_EFI_BOOT_SERVICES_APPLICATION:
    case EV_EFI_BOOT_SERVICES_DRIVER:
    case EV_EFI_RUNTIME_SERVICES_DRIVER:
      return decode_image_load(ev);
    case EV_EVENT_TAG:
      return decode_tag(ev);
    case EV_SEPARATOR:
      return decode_separator(ev);
    case EV_EFI_PLATFORM_FIRMWARE_BLOB:
      if (auto blob = read_blob(ev.data)) return *blob;
      return invalid(ev, fmt::format("a UEFI_PLATFORM_FIRMWARE_BLOB is 16 bytes, not {}", ev.data.size()));
    case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
      return decode_blob2(ev);
    case EV_EFI_GPT_EVENT:
      return decode_gpt(ev);
    case EV_NO_ACTION:
      return decode_no_action(ev);
    // PFP 1.04 §9.4: these carry an ASCII string (EV_EFI_ACTION: "not NUL-terminated").
    case EV_EFI_ACTION:
    case EV_ACTION:
    case EV_OMIT_BOOT_DEVICE_EVENTS:
    case EV_EFI_HCRTM_EVENT:
      if (auto text = as_text(ev.data)) return *text;
      return invalid(ev, "the data is not a string");
    // Either a string or a UEFI_PLATFORM_FIRMWARE_BLOB (EV_POST_CODE: "POST CODE", "ACPI DATA", …
    // or base and length), depending on the firmware.
    case EV_POST_CODE:
    case EV_S_CRTM_CONTENTS:
      if (auto text = as_text(ev.data)) return *text;
      if (auto blob = read_blob(ev.data)) return *blob;
      return RawData{ev.data};
    // Free-form: a string in practice (grub, shim, systemd-boot, a firmware version), but binary
    // data is legal (TPM 1.2 MBR-era EV_IPL, a version GUID).
    case EV_IPL:
    case EV_S_CRTM_VERSION:
      if (auto text = as_text(ev.data)) return *text;
      return RawData{ev.data};
    default:
      return RawData{ev.data};
  }
}

}  // namespace attestd::evidence::eventlog
