// EFI_SIGNATURE_LIST (UEFI 2.10 §32.4.1): SignatureType GUID, SignatureListSize u32,
// SignatureHeaderSize u32, SignatureSize u32, SignatureHeader[SignatureHeaderSize],
// Signatures[...] of SignatureSize bytes each, every one an EFI_SIGNATURE_DATA
// {SignatureOwner GUID, SignatureData[SignatureSize - 16]}.
#include "attestd/evidence/eventlog/signature_list.h"

#include <fmt/format.h>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/eventlog/reasons.h"

namespace attestd::evidence::eventlog {

namespace {

constexpr size_t kListHeaderSize = 16 + 4 + 4 + 4;
constexpr size_t kGuidSize = 16;

std::unexpected<Error> invalid(size_t offset, std::string what) {
  return std::unexpected(Error{kEventDataInvalid, fmt::format("EFI_SIGNATURE_LIST at offset {}: {}", offset, what)});
}

bool read_guid(ByteReader& r, Guid& g) {
  std::span<const uint8_t> b;
  if (!r.read_bytes(kGuidSize, b)) return false;
  std::copy(b.begin(), b.end(), g.bytes.begin());
  return true;
}

}  // namespace

std::expected<std::vector<EfiSignature>, Error> decode_signature_lists(std::span<const uint8_t> bytes) {
  std::vector<EfiSignature> out;
  ByteReader r(bytes);
  while (!r.empty()) {
    const size_t offset = r.position();
    Guid type;
    uint32_t list_size = 0, header_size = 0, sig_size = 0;
    if (!read_guid(r, type) || !r.read_u32_le(list_size) || !r.read_u32_le(header_size) || !r.read_u32_le(sig_size)) {
      return invalid(offset, fmt::format("header runs past the end ({} bytes left)", bytes.size() - offset));
    }
    if (list_size < kListHeaderSize || list_size - kListHeaderSize > r.remaining()) {
      return invalid(offset, fmt::format("SignatureListSize {} is outside {}..{}", list_size, kListHeaderSize,
                                         kListHeaderSize + r.remaining()));
    }
    ByteReader list;
    if (!r.read_sub(list_size - kListHeaderSize, list)) return invalid(offset, "list runs past the end");
    if (!list.skip(header_size)) {
      return invalid(offset, fmt::format("SignatureHeaderSize {} exceeds the list's {} bytes", header_size,
                                         list.remaining()));
    }
    // Every entry holds at least its owner GUID, and the entries fill the list exactly.
    if (sig_size < kGuidSize || list.remaining() % sig_size != 0) {
      return invalid(offset, fmt::format("SignatureSize {} does not divide the {} bytes of entries into "
                                         "EFI_SIGNATURE_DATA of at least 16 bytes",
                                         sig_size, list.remaining()));
    }
    while (!list.empty()) {
      EfiSignature sig;
      sig.type = type;
      if (!read_guid(list, sig.owner) || !list.read_bytes(sig_size - kGuidSize, sig.data)) {
        return invalid(offset, "entry runs past the list");  // unreachable: sizes checked above
      }
      out.push_back(sig);
    }
  }
  return out;
}

}  // namespace attestd::evidence::eventlog
