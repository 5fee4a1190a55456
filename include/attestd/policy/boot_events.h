// From a parsed measured-boot log to the BootEvent claims that event-level policy reads, and the
// classification of events that rules and `attestctl golden learn` share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/policy/claims.h"

namespace attestd::policy {

// Linux EFI stub's tagged event for the kernel command line in PCR 9 (drivers/firmware/efi/libstub:
// LINUX_EFI_LOADED_IMAGE_OPTIONS_EVENT_TAG_ID); its digest is H(UTF-16LE command line with NUL).
inline constexpr uint32_t kLoadOptionsTagId = 0x8F3B22ED;

// What an event is, for rules and for people: PFP 1.05 §3.3.4 (PCR usage) and the Linux TPM PCR
// registry (grub: PCR 8 commands, 9 files; systemd-stub: PCR 11 UKI sections).
enum class BootEventKind {
  firmware,            // PCR 0: CRTM version and contents, firmware blobs, POST code, H-CRTM
  boot_application,    // EV_EFI_BOOT_SERVICES_APPLICATION
  driver,              // EV_EFI_BOOT_SERVICES_DRIVER, EV_EFI_RUNTIME_SERVICES_DRIVER
  secure_boot_variable,  // EV_EFI_VARIABLE_DRIVER_CONFIG (SecureBoot, PK, KEK, db, dbx, ...)
  authority,           // EV_EFI_VARIABLE_AUTHORITY
  boot_variable,       // EV_EFI_VARIABLE_BOOT/_BOOT2 (BootOrder, Boot####)
  grub_command,        // EV_IPL "grub_cmd: ..." on PCR 8
  kernel_cmdline,      // EV_IPL "kernel_cmdline: ..." / "grub_kernel_cmdline ...", the EFI stub's tag
  uki_section,         // EV_IPL on PCR 11
  loaded_file,         // EV_IPL on PCR 9 (files grub read), EV_EVENT_TAG (initrd)
  separator,           // EV_SEPARATOR
  action,              // EV_EFI_ACTION, EV_ACTION
  other,
};

std::string_view to_string(BootEventKind kind);

BootEventKind classify(const BootEvent& event);

// The BootEvent of every extending event (EV_NO_ACTION is never extended and is left out), in log
// order. Data a decoder refuses leaves the decoded fields empty: rules that need them then find
// nothing and fail closed; digests are kept either way. Nothing is borrowed from `log`.
std::vector<BootEvent> boot_events(const evidence::eventlog::EventLog& log);

// The kernel command line an event carries as text (grub's EV_IPL forms), or nullopt (the EFI stub
// tag carries only its digest).
std::optional<std::string> kernel_cmdline_text(const BootEvent& event);

// The event type value for a PFP name ("EV_SEPARATOR"), or for "0x..." hex; nullopt otherwise.
std::optional<uint32_t> event_type_from_name(std::string_view name);

// The strongest bank both have (sha512 > sha384 > sha256 > sm3_256 > sha1), or nullopt.
std::optional<evidence::HashAlg> common_bank(const std::map<evidence::HashAlg, evidence::Digest>& a,
                                             const std::map<evidence::HashAlg, evidence::Digest>& b);

}  // namespace attestd::policy
