#include "spec_id.h"

#include <fmt/format.h>

#include <algorithm>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/eventlog/reasons.h"

namespace attestd::evidence::eventlog {

namespace {

std::unexpected<Error> invalid(std::string message) {
  return std::unexpected(Error{kParseSpecIdInvalid, "Spec ID event at offset 0: " + std::move(message)});
}

// PFP 1.04 §9.4.5.1: the header is a TCG_PCR_EVENT with PCRIndex 0 and a digest of 20 zero bytes.
std::expected<void, Error> check_header_fields(const Event& header) {
  if (header.pcr != 0) return invalid(fmt::format("PCRIndex is {}, not 0", header.pcr));
  const auto bytes = header.digests[0].digest.bytes();
  if (std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; })) {
    return invalid("its digest is not 20 zero bytes");
  }
  return {};
}

}  // namespace

std::expected<SpecIdEvent, Error> parse_spec_id_event03(const Event& header) {
  if (auto ok = check_header_fields(header); !ok) return std::unexpected(ok.error());
  // TCG_EfiSpecIDEvent (PFP 1.04 §9.4.5.1): signature[16], platformClass u32,
  // specVersionMinor u8, specVersionMajor u8, specErrata u8, uintnSize u8, numberOfAlgorithms u32,
  // digestSizes[numberOfAlgorithms] {algorithmId u16, digestSize u16}, vendorInfoSize u8,
  // vendorInfo[vendorInfoSize]. EventSize must cover exactly this structure.
  ByteReader r(header.data);
  SpecIdEvent spec;
  uint32_t count = 0;
  if (!r.skip(kSpecIdSignature03.size()) || !r.read_u32_le(spec.platform_class) ||
      !r.read_u8(spec.spec_version_minor) || !r.read_u8(spec.spec_version_major) || !r.read_u8(spec.spec_errata) ||
      !r.read_u8(spec.uintn_size) || !r.read_u32_le(count)) {
    return invalid(fmt::format("EventSize {} is too small for the fixed fields", header.data.size()));
  }
  // §9.4.5.1: specVersionMajor 2 for this (TPM 2.0) structure; uintnSize 1 (UINT32) or 2 (UINT64).
  if (spec.spec_version_major != 2) {
    return invalid(fmt::format("specVersionMajor is {}, not 2", spec.spec_version_major));
  }
  if (spec.uintn_size != 1 && spec.uintn_size != 2) {
    return invalid(fmt::format("uintnSize is {}, neither 1 nor 2", spec.uintn_size));
  }
  // §9.4.5.1: numberOfAlgorithms "MUST be set to a value of 0x01 or greater"; the upper bound is ours.
  if (count == 0 || count > kMaxSpecIdAlgorithms) {
    return invalid(fmt::format("numberOfAlgorithms is {}, not 1 to {}", count, kMaxSpecIdAlgorithms));
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t id = 0;
    uint16_t size = 0;
    if (!r.read_u16_le(id) || !r.read_u16_le(size)) {
      return invalid(fmt::format("EventSize {} ends inside digestSizes[{}] of {}", header.data.size(), i, count));
    }
    const auto alg = static_cast<HashAlg>(id);
    if (std::any_of(spec.algorithms.begin(), spec.algorithms.end(), [&](const auto& a) { return a.first == alg; })) {
      return invalid(fmt::format("algorithm 0x{:04x} is listed twice", id));
    }
    if (const auto known = hash_alg_from_tpm_id(id)) {
      if (size != digest_size(*known)) {
        return invalid(fmt::format("algorithm 0x{:04x} ({}) is listed with digest size {}, not {}", id,
                                   hash_alg_name(*known), size, digest_size(*known)));
      }
    } else if (size == 0 || size > kMaxDigestSize) {
      // An algorithm we do not know is still parseable because its size is given; its digests
      // are kept but not replayed. A size we could not hold in a Digest is refused.
      return invalid(fmt::format("unknown algorithm 0x{:04x} has digest size {}, not 1 to {}", id, size,
                                 kMaxDigestSize));
    }
    spec.algorithms.emplace_back(alg, size);
  }
  uint8_t vendor_size = 0;
  if (!r.read_u8(vendor_size)) {
    return invalid(fmt::format("EventSize {} ends before vendorInfoSize", header.data.size()));
  }
  if (!r.read_bytes(vendor_size, spec.vendor_info)) {
    return invalid(fmt::format("vendorInfoSize {} exceeds the {} bytes left of EventSize {}", vendor_size,
                               r.remaining(), header.data.size()));
  }
  if (!r.empty()) {
    return invalid(fmt::format("EventSize {} leaves {} bytes after vendorInfo", header.data.size(), r.remaining()));
  }
  return spec;
}

std::expected<SpecIdEvent, Error> parse_spec_id_legacy(const Event& header) {
  if (auto ok = check_header_fields(header); !ok) return std::unexpected(ok.error());
  // TCG_PCClientSpecIDEventStruct (PC Client Implementation Spec for Conventional BIOS 1.21;
  // TCG EFI Platform 1.22 names the fourth byte uintnSize): signature[16], platformClass u32,
  // specVersionMinor u8, specVersionMajor u8, specErrata u8, uintnSize u8, vendorInfoSize u8,
  // vendorInfo[vendorInfoSize].
  ByteReader r(header.data);
  SpecIdEvent spec;
  uint8_t vendor_size = 0;
  if (!r.skip(kSpecIdSignature00.size()) || !r.read_u32_le(spec.platform_class) ||
      !r.read_u8(spec.spec_version_minor) || !r.read_u8(spec.spec_version_major) || !r.read_u8(spec.spec_errata) ||
      !r.read_u8(spec.uintn_size) || !r.read_u8(vendor_size)) {
    return invalid(fmt::format("EventSize {} is too small for a TPM 1.2 Spec ID structure", header.data.size()));
  }
  if (!r.read_bytes(vendor_size, spec.vendor_info)) {
    return invalid(fmt::format("vendorInfoSize {} exceeds the {} bytes left of EventSize {}", vendor_size,
                               r.remaining(), header.data.size()));
  }
  if (!r.empty()) {
    return invalid(fmt::format("EventSize {} leaves {} bytes after vendorInfo", header.data.size(), r.remaining()));
  }
  spec.algorithms.emplace_back(HashAlg::sha1, static_cast<uint16_t>(digest_size(HashAlg::sha1)));
  return spec;
}

}  // namespace attestd::evidence::eventlog
