// Binds event data to the digests the TPM extended: for the event types whose digest the
// specification (and real firmware) defines as a hash over the event data, every bank's digest
// must be that hash. Data of the other types (firmware blobs, PE images, handoff tables, files
// grub read, …) is only a description of what was measured and is not bound.
//
// Rules, with the clause or the real logs that fix each (testdata/ names in parentheses):
//   EV_SEPARATOR, EV_EFI_ACTION, EV_ACTION, EV_EFI_GPT_EVENT: H(data) (PFP 1.04 §9.4).
//   EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_BOOT, EV_EFI_VARIABLE_BOOT2: H(whole
//     UEFI_VARIABLE_DATA) or H(VariableData), the same form in every bank. The PFP gives the first
//     for DRIVER_CONFIG and BOOT2 and the second for BOOT, but firmware uses both for BOOT (OVMF:
//     VariableData; Lenovo SR645, Inspur, glinux-alex, crypto_agile_eventlog: whole structure) and a
//     TPM 1.2 firmware hashes VariableData for DRIVER_CONFIG (legacydata/linux_tpm12). Either form
//     commits to the variable's content, so accepting both binds the data as well.
//   EV_EFI_VARIABLE_AUTHORITY: H(whole UEFI_VARIABLE_DATA) when it matches; otherwise not bound
//     and not reported. shim's "Shim" vendor-certificate authority (sb_cert_eventlog #12, #14,
//     debian-10 #23, event-postcode #40, #54) and GCE firmware's db authority (cos-85-amd-sev
//     #24, #42) log digests that are not a hash of the event data.
//   EV_IPL from grub: upstream grub >= 2.04 logs "grub_cmd: X", "kernel_cmdline: X",
//     "module_cmdline: X" with digest H(X) (X without the NUL); Red Hat's grub 2.02 logs
//     "grub_cmd X" with digest H(X NUL) and "grub_kernel_cmdline X" with digest H(X)
//     (rhel8-uefi, rhcos, python3-uefi-eventlog rhel).
//   EV_IPL on PCR 8 holding a UTF-16LE string: systemd-boot before v251 measured the kernel command
//     line there as UTF-16LE with its NUL and logged the same string, so H(data). tpm2-tools
//     event-arch-linux #24 is a real mismatch: its EventSize is one byte short of the string.
//     Other EV_IPL data (grub's file paths in PCR 9, shim's MokList names in PCR 14, systemd's
//     PCR 11-13 section names, credentials and load options) names what was measured: not bound.
//   EV_NO_ACTION: never extended, nothing to check. Every other type: not bound.
// Digests of algorithms OpenSSL cannot compute are skipped.
#pragma once

#include <optional>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/event_log.h"

namespace attestd::evidence::eventlog {

struct EventDigestCheck {
  // True when the event's data is bound: its type defines the digest over the data and every
  // bank matched. A policy should read decoded data only from bound events (or compare digests).
  bool bound = false;
  // kDigestMismatch naming the event index, type, PCR and the banks that do not match.
  std::optional<Error> mismatch;
};

// Checks one event by the rules above.
EventDigestCheck check_event_digest(const Event& event);

// Checks every event; one kDigestMismatch per mismatching event, in log order. Empty when all
// bound types match.
std::vector<Error> check_event_digests(const EventLog& log);

}  // namespace attestd::evidence::eventlog
