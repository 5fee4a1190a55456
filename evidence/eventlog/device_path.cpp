// Device path to text: UEFI 2.10 §10.3 (node layouts) and §10.6 (text forms).
#include "attestd/evidence/eventlog/device_path.h"

#include <fmt/format.h>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/eventlog/guid.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "text.h"

namespace attestd::evidence::eventlog {

namespace {

// Node types (§10.3.1).
constexpr uint8_t kHardware = 0x01;
constexpr uint8_t kAcpi = 0x02;
constexpr uint8_t kMessaging = 0x03;
constexpr uint8_t kMedia = 0x04;
constexpr uint8_t kEnd = 0x7F;
constexpr uint8_t kEndInstance = 0x01;
constexpr uint8_t kEndEntire = 0xFF;
constexpr size_t kNodeHeaderSize = 4;  // Type u8, SubType u8, Length u16 (Length includes the header)

// EISA PNP ids as ACPI HIDs store them: the compressed "PNP" vendor in the low 16 bits.
constexpr uint32_t kEisaPnpVendor = 0x41D0;

bool read_guid(ByteReader& r, Guid& g) {
  std::span<const uint8_t> b;
  if (!r.read_bytes(16, b)) return false;
  std::copy(b.begin(), b.end(), g.bytes.begin());
  return true;
}

// Text of one node, or nullopt when the node's body does not have the layout its type gives.
std::optional<std::string> node_text(uint8_t type, uint8_t subtype, std::span<const uint8_t> body) {
  ByteReader r(body);
  auto vendor = [&](std::string_view name) -> std::optional<std::string> {
    Guid g;
    if (!read_guid(r, g)) return std::nullopt;
    if (r.empty()) return fmt::format("{}({})", name, g.to_string());
    return fmt::format("{}({},{})", name, g.to_string(), to_hex(r.rest()));
  };
  switch (type) {
    case kHardware:
      switch (subtype) {
        case 0x01: {  // PCI: Function u8, Device u8
          uint8_t function = 0, device = 0;
          if (!r.read_u8(function) || !r.read_u8(device) || !r.empty()) return std::nullopt;
          return fmt::format("Pci(0x{:x},0x{:x})", device, function);
        }
        case 0x03: {  // Memory mapped: MemoryType u32, StartingAddress u64, EndingAddress u64
          uint32_t mem_type = 0;
          uint64_t start = 0, end = 0;
          if (!r.read_u32_le(mem_type) || !r.read_u64_le(start) || !r.read_u64_le(end) || !r.empty()) {
            return std::nullopt;
          }
          return fmt::format("MemoryMapped(0x{:x},0x{:x},0x{:x})", mem_type, start, end);
        }
        case 0x04: return vendor("VenHw");
        default: break;
      }
      break;
    case kAcpi:
      if (subtype == 0x01) {  // ACPI: _HID u32, _UID u32
        uint32_t hid = 0, uid = 0;
        if (!r.read_u32_le(hid) || !r.read_u32_le(uid) || !r.empty()) return std::nullopt;
        if ((hid & 0xFFFF) == kEisaPnpVendor) {
          const uint32_t pnp = hid >> 16;
          if (pnp == 0x0A03) return fmt::format("PciRoot(0x{:x})", uid);
          if (pnp == 0x0A08) return fmt::format("PcieRoot(0x{:x})", uid);
          return fmt::format("Acpi(PNP{:04X},0x{:x})", pnp, uid);
        }
        return fmt::format("Acpi(0x{:08x},0x{:x})", hid, uid);
      }
      break;
    case kMessaging:
      switch (subtype) {
        case 0x02: {  // SCSI: TargetId u16, Lun u16
          uint16_t pun = 0, lun = 0;
          if (!r.read_u16_le(pun) || !r.read_u16_le(lun) || !r.empty()) return std::nullopt;
          return fmt::format("Scsi(0x{:x},0x{:x})", pun, lun);
        }
        case 0x05: {  // USB: ParentPortNumber u8, InterfaceNumber u8
          uint8_t port = 0, iface = 0;
          if (!r.read_u8(port) || !r.read_u8(iface) || !r.empty()) return std::nullopt;
          return fmt::format("USB(0x{:x},0x{:x})", port, iface);
        }
        case 0x0A: return vendor("VenMsg");
        case 0x0B: {  // MAC: MacAddress[32], IfType u8
          std::span<const uint8_t> mac;
          uint8_t if_type = 0;
          if (!r.read_bytes(32, mac) || !r.read_u8(if_type) || !r.empty()) return std::nullopt;
          // Ethernet (IfType 0 or 1) uses the first 6 bytes, as EDK2 prints it.
          const size_t n = (if_type == 0 || if_type == 1) ? 6 : 32;
          return fmt::format("MAC({},0x{:x})", to_hex(mac.first(n)), if_type);
        }
        case 0x12: {  // SATA: HBAPortNumber u16, PortMultiplierPortNumber u16, Lun u16
          uint16_t hba = 0, pmp = 0, lun = 0;
          if (!r.read_u16_le(hba) || !r.read_u16_le(pmp) || !r.read_u16_le(lun) || !r.empty()) return std::nullopt;
          return fmt::format("Sata(0x{:x},0x{:x},0x{:x})", hba, pmp, lun);
        }
        case 0x17: {  // NVMe namespace: NamespaceId u32, IEEE EUI-64 u8[8]
          uint32_t nsid = 0;
          std::span<const uint8_t> eui;
          if (!r.read_u32_le(nsid) || !r.read_bytes(8, eui) || !r.empty()) return std::nullopt;
          // EDK2 prints the EUI-64 from its last stored byte to its first.
          std::string e;
          for (size_t i = eui.size(); i-- > 0;) {
            e += fmt::format("{:02X}", eui[i]);
            if (i != 0) e.push_back('-');
          }
          return fmt::format("NVMe(0x{:x},{})", nsid, e);
        }
        case 0x18: {  // URI: the URI in ASCII
          auto uri = printable_utf8(body);
          if (!uri) return std::nullopt;
          return fmt::format("Uri({})", *uri);
        }
        default: break;
      }
      break;
    case kMedia:
      switch (subtype) {
        case 0x01: {  // Hard drive: PartitionNumber u32, PartitionStart u64, PartitionSize u64,
                      // PartitionSignature[16], PartitionFormat u8, SignatureType u8
          uint32_t number = 0;
          uint64_t start = 0, size = 0;
          std::span<const uint8_t> sig;
          uint8_t format = 0, sig_type = 0;
          if (!r.read_u32_le(number) || !r.read_u64_le(start) || !r.read_u64_le(size) || !r.read_bytes(16, sig) ||
              !r.read_u8(format) || !r.read_u8(sig_type) || !r.empty()) {
            return std::nullopt;
          }
          std::string signature;
          if (sig_type == 0x01) {  // MBR: a 32-bit disk signature
            ByteReader s(sig);
            uint32_t mbr = 0;
            if (!s.read_u32_le(mbr)) return std::nullopt;
            signature = fmt::format("MBR,0x{:08x}", mbr);
          } else if (sig_type == 0x02) {  // GPT: the partition's unique GUID
            Guid g;
            std::copy(sig.begin(), sig.end(), g.bytes.begin());
            signature = "GPT," + g.to_string();
          } else {
            signature = fmt::format("{},0", sig_type);
          }
          return fmt::format("HD({},{},0x{:x},0x{:x})", number, signature, start, size);
        }
        case 0x02: {  // CD-ROM: BootEntry u32, PartitionStart u64, PartitionSize u64
          uint32_t entry = 0;
          uint64_t start = 0, size = 0;
          if (!r.read_u32_le(entry) || !r.read_u64_le(start) || !r.read_u64_le(size) || !r.empty()) {
            return std::nullopt;
          }
          return fmt::format("CDROM(0x{:x},0x{:x},0x{:x})", entry, start, size);
        }
        case 0x03: return vendor("VenMedia");
        case 0x04: {  // File path: a NUL-terminated UTF-16LE path
          auto path = printable_utf16le(body);
          if (!path) return std::nullopt;
          return path;
        }
        case 0x06:    // PIWG firmware file
        case 0x07: {  // PIWG firmware volume
          Guid g;
          if (!read_guid(r, g) || !r.empty()) return std::nullopt;
          return fmt::format("{}({})", subtype == 0x06 ? "FvFile" : "Fv", g.to_string());
        }
        case 0x08: {  // Relative offset range: Reserved u32, StartingOffset u64, EndingOffset u64
          uint32_t reserved = 0;
          uint64_t start = 0, end = 0;
          if (!r.read_u32_le(reserved) || !r.read_u64_le(start) || !r.read_u64_le(end) || !r.empty()) {
            return std::nullopt;
          }
          return fmt::format("Offset(0x{:x},0x{:x})", start, end);
        }
        default: break;
      }
      break;
    default: break;
  }
  // Any other node, as EDK2's DevPathToTextNodeGeneric spells it.
  return fmt::format("Path({},{},{})", type, subtype, to_hex(body));
}

}  // namespace

std::expected<std::string, Error> device_path_to_text(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  std::string out;
  bool node_before = false;  // a "/" goes between two nodes of one instance
  while (!r.empty()) {
    const size_t offset = r.position();
    uint8_t type = 0, subtype = 0;
    uint16_t length = 0;
    if (!r.read_u8(type) || !r.read_u8(subtype) || !r.read_u16_le(length)) {
      return std::unexpected(Error{kEventDataInvalid,
                                   fmt::format("device path node at offset {}: header runs past the {}-byte path",
                                               offset, bytes.size())});
    }
    ByteReader body;
    if (length < kNodeHeaderSize || !r.read_sub(length - kNodeHeaderSize, body)) {
      return std::unexpected(Error{kEventDataInvalid,
                                   fmt::format("device path node at offset {}: Length {} is outside 4..{}", offset,
                                               length, kNodeHeaderSize + r.remaining())});
    }
    if (type == kEnd && subtype == kEndEntire) {
      if (!r.empty()) {
        return std::unexpected(Error{kEventDataInvalid, fmt::format("device path: {} bytes follow the end node at offset {}",
                                                                    r.remaining(), offset)});
      }
      break;
    }
    if (type == kEnd && subtype == kEndInstance) {
      out.push_back(',');
      node_before = false;
      continue;
    }
    auto text = node_text(type, subtype, body.rest());
    if (!text) {
      return std::unexpected(Error{kEventDataInvalid, fmt::format("device path node at offset {}: type 0x{:02x} "
                                                                  "subtype 0x{:02x} has a malformed {}-byte body",
                                                                  offset, type, subtype, body.remaining())});
    }
    if (node_before) out.push_back('/');
    out += *text;
    node_before = true;
  }
  return out;
}

}  // namespace attestd::evidence::eventlog
