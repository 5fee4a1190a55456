// BootEvent claims from a parsed log, and their classification (boot_events.h).
#include "attestd/policy/boot_events.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_data.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/signature_list.h"

namespace attestd::policy {

namespace el = evidence::eventlog;

namespace {

// Every type of PFP 1.04 Table 9 and the 1.06 SPDM additions, for the reverse lookup by name.
constexpr std::array<uint32_t, 40> kKnownTypes = {
    el::EV_PREBOOT_CERT, el::EV_POST_CODE, el::EV_UNUSED, el::EV_NO_ACTION, el::EV_SEPARATOR, el::EV_ACTION,
    el::EV_EVENT_TAG, el::EV_S_CRTM_CONTENTS, el::EV_S_CRTM_VERSION, el::EV_CPU_MICROCODE,
    el::EV_PLATFORM_CONFIG_FLAGS, el::EV_TABLE_OF_DEVICES, el::EV_COMPACT_HASH, el::EV_IPL,
    el::EV_IPL_PARTITION_DATA, el::EV_NONHOST_CODE, el::EV_NONHOST_CONFIG, el::EV_NONHOST_INFO,
    el::EV_OMIT_BOOT_DEVICE_EVENTS, el::EV_POST_CODE2, el::EV_EFI_EVENT_BASE, el::EV_EFI_VARIABLE_DRIVER_CONFIG,
    el::EV_EFI_VARIABLE_BOOT, el::EV_EFI_BOOT_SERVICES_APPLICATION, el::EV_EFI_BOOT_SERVICES_DRIVER,
    el::EV_EFI_RUNTIME_SERVICES_DRIVER, el::EV_EFI_GPT_EVENT, el::EV_EFI_ACTION, el::EV_EFI_PLATFORM_FIRMWARE_BLOB,
    el::EV_EFI_HANDOFF_TABLES, el::EV_EFI_PLATFORM_FIRMWARE_BLOB2, el::EV_EFI_HANDOFF_TABLES2,
    el::EV_EFI_VARIABLE_BOOT2, el::EV_EFI_GPT_EVENT2, el::EV_EFI_HCRTM_EVENT, el::EV_EFI_VARIABLE_AUTHORITY,
    el::EV_EFI_SPDM_FIRMWARE_BLOB, el::EV_EFI_SPDM_FIRMWARE_CONFIG, el::EV_EFI_SPDM_DEVICE_POLICY,
    el::EV_EFI_SPDM_DEVICE_AUTHORITY};

// grub >= 2.04 and Red Hat's grub 2.02 (digest_check.h lists both forms).
constexpr std::array<std::string_view, 2> kCmdlinePrefixes = {"kernel_cmdline: ", "grub_kernel_cmdline "};
constexpr std::array<std::string_view, 2> kGrubCmdPrefixes = {"grub_cmd: ", "grub_cmd "};

bool starts_with_any(const std::string& text, std::span<const std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (text.starts_with(p)) return true;
  }
  return false;
}

struct Decoded {
  BootEvent& out;
  void operator()(const el::RawData&) const {}
  void operator()(const el::EfiVariable& v) const {
    out.variable_guid = v.guid.to_string();
    out.variable_name = v.name;
    out.variable_data.assign(v.data.begin(), v.data.end());
    out.description = v.name;
    if (v.name == "PK" || v.name == "KEK" || v.name == "db" || v.name == "dbx") {
      if (auto list = el::decode_signature_lists(v.data)) {
        out.signature_count = list->size();
        for (const auto& sig : *list) {
          if (sig.type == el::guids::cert_sha256()) out.signature_sha256.emplace_back(sig.data.begin(), sig.data.end());
        }
        out.description = fmt::format("{} ({} entries)", v.name, list->size());
      }
    } else if (v.name == "SecureBoot" && v.data.size() == 1) {
      out.description = fmt::format("SecureBoot = {} ({})", v.data[0], v.data[0] == 1 ? "enabled" : "disabled");
    }
  }
  void operator()(const el::ImageLoad& img) const {
    out.image_path = img.device_path;
    out.description = img.device_path.empty() ? fmt::format("image of {} bytes", img.length) : img.device_path;
  }
  void operator()(const el::Text& t) const {
    out.text = t.text;
    out.description = t.text;
  }
  void operator()(const el::EventTag& tag) const {
    out.tag_id = tag.id;
    // The tagged data of the EFI stub is a NUL-terminated name ("LOADED_IMAGE::LoadOptions").
    std::string name;
    for (uint8_t c : tag.data) {
      if (c == 0) break;
      name.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    }
    out.description = fmt::format("tag {:#010x} {}", tag.id, name);
  }
  void operator()(const el::Separator& s) const {
    out.separator = s.value;
    out.description = fmt::format("separator {:08x}", s.value);
  }
  void operator()(const el::FirmwareBlob& b) const {
    out.description = b.description.empty() ? fmt::format("blob base={:#x} length={:#x}", b.base, b.length)
                                            : fmt::format("{} (base={:#x} length={:#x})", b.description, b.base, b.length);
  }
  void operator()(const el::GptEvent& g) const {
    out.description = fmt::format("GPT disk {} with {} partitions", g.disk_guid.to_string(), g.partitions.size());
  }
  void operator()(const el::NoAction&) const {}
};

}  // namespace

std::string_view to_string(BootEventKind kind) {
  switch (kind) {
    case BootEventKind::firmware: return "firmware";
    case BootEventKind::boot_application: return "boot_application";
    case BootEventKind::driver: return "driver";
    case BootEventKind::secure_boot_variable: return "secure_boot_variable";
    case BootEventKind::authority: return "authority";
    case BootEventKind::boot_variable: return "boot_variable";
    case BootEventKind::grub_command: return "grub_command";
    case BootEventKind::kernel_cmdline: return "kernel_cmdline";
    case BootEventKind::uki_section: return "uki_section";
    case BootEventKind::loaded_file: return "loaded_file";
    case BootEventKind::separator: return "separator";
    case BootEventKind::action: return "action";
    case BootEventKind::other: return "other";
  }
  return "other";
}

BootEventKind classify(const BootEvent& e) {
  switch (e.type) {
    case el::EV_EFI_BOOT_SERVICES_APPLICATION: return BootEventKind::boot_application;
    case el::EV_EFI_BOOT_SERVICES_DRIVER:
    case el::EV_EFI_RUNTIME_SERVICES_DRIVER: return BootEventKind::driver;
    case el::EV_EFI_VARIABLE_DRIVER_CONFIG: return BootEventKind::secure_boot_variable;
    case el::EV_EFI_VARIABLE_AUTHORITY: return BootEventKind::authority;
    case el::EV_EFI_VARIABLE_BOOT:
    case el::EV_EFI_VARIABLE_BOOT2: return BootEventKind::boot_variable;
    case el::EV_SEPARATOR: return BootEventKind::separator;
    case el::EV_EFI_ACTION:
    case el::EV_ACTION: return BootEventKind::action;
    case el::EV_S_CRTM_VERSION:
    case el::EV_S_CRTM_CONTENTS:
    case el::EV_EFI_PLATFORM_FIRMWARE_BLOB:
    case el::EV_EFI_PLATFORM_FIRMWARE_BLOB2:
    case el::EV_POST_CODE:
    case el::EV_POST_CODE2:
    case el::EV_EFI_HCRTM_EVENT: return e.pcr == 0 ? BootEventKind::firmware : BootEventKind::other;
    case el::EV_EVENT_TAG:
      if (e.pcr == 9 && e.tag_id == kLoadOptionsTagId) return BootEventKind::kernel_cmdline;
      return e.pcr == 9 ? BootEventKind::loaded_file : BootEventKind::other;
    case el::EV_IPL:
      if (e.pcr == 8 && e.text) {
        if (starts_with_any(*e.text, kCmdlinePrefixes)) return BootEventKind::kernel_cmdline;
        if (starts_with_any(*e.text, kGrubCmdPrefixes)) return BootEventKind::grub_command;
      }
      if (e.pcr == 9) return BootEventKind::loaded_file;
      if (e.pcr == 11) return BootEventKind::uki_section;
      return BootEventKind::other;
    default: return BootEventKind::other;
  }
}

std::vector<BootEvent> boot_events(const el::EventLog& log) {
  std::vector<BootEvent> out;
  out.reserve(log.events.size());
  for (const auto& ev : log.events) {
    if (ev.type == el::EV_NO_ACTION) continue;
    BootEvent b;
    b.index = ev.index;
    b.pcr = ev.pcr;
    b.type = ev.type;
    for (const auto& d : ev.digests) b.digests.emplace(d.alg, d.digest);
    const auto check = el::check_event_digest(ev);
    b.data_bound = check.bound && !check.mismatch;
    if (auto data = el::decode_event_data(ev)) std::visit(Decoded{b}, *data);
    out.push_back(std::move(b));
  }
  return out;
}

std::optional<std::string> kernel_cmdline_text(const BootEvent& e) {
  if (e.type != el::EV_IPL || e.pcr != 8 || !e.text) return std::nullopt;
  for (auto p : kCmdlinePrefixes) {
    if (e.text->starts_with(p)) return e.text->substr(p.size());
  }
  return std::nullopt;
}

std::optional<uint32_t> event_type_from_name(std::string_view name) {
  for (uint32_t t : kKnownTypes) {
    if (el::event_type_name(t) == name) return t;
  }
  if (name.starts_with("0x") && name.size() > 2 && name.size() <= 10) {
    uint32_t v = 0;
    for (char c : name.substr(2)) {
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      v = (v << 4) | d;
    }
    return v;
  }
  return std::nullopt;
}

std::optional<evidence::HashAlg> common_bank(const std::map<evidence::HashAlg, evidence::Digest>& a,
                                             const std::map<evidence::HashAlg, evidence::Digest>& b) {
  using evidence::HashAlg;
  for (HashAlg alg : {HashAlg::sha512, HashAlg::sha384, HashAlg::sha256, HashAlg::sm3_256, HashAlg::sha1}) {
    if (a.contains(alg) && b.contains(alg)) return alg;
  }
  return std::nullopt;
}

}  // namespace attestd::policy
