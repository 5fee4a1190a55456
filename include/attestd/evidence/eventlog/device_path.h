// EFI_DEVICE_PATH_PROTOCOL (UEFI 2.10 §10.3) to text, in the style of
// EFI_DEVICE_PATH_TO_TEXT_PROTOCOL (§10.6): "PciRoot(0x0)/Pci(0x1,0x0)/HD(1,GPT,…)/\EFI\BOOT\BOOTX64.EFI".
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "attestd/evidence/error.h"

namespace attestd::evidence::eventlog {

// Converts a device path of one or more instances to text. Common node types (PCI, ACPI PciRoot,
// memory-mapped, vendor, SCSI, SATA, USB, NVMe, MAC, URI, hard drive, CD-ROM, file path,
// firmware volume/file, offset) are spelled out; any other node is "Path(type,subtype,hex)" as
// EDK2 prints it. Fails with kEventDataInvalid when a node's length is below its 4-byte header or
// runs past the end, when a known node has the wrong length, when a file path is not UTF-16LE,
// or when bytes follow the end-of-path node. A path that stops without an end node is accepted.
// An empty path is the empty string.
std::expected<std::string, Error> device_path_to_text(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::eventlog
