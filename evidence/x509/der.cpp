#include "der.h"

#include <array>

namespace attestd::evidence::x509::der {

bool read_tlv(ByteReader& r, Tlv& out) {
  ByteReader probe = r;
  uint8_t tag = 0;
  uint8_t first = 0;
  if (!probe.read_u8(tag) || !probe.read_u8(first)) return false;
  // X.690 8.1.2.4: tag number 31 announces the multi-octet form, which our structures never use.
  if ((tag & kTagNumberMask) == kTagNumberMask) return false;
  size_t length = 0;
  if (first < 0x80) {
    length = first;
  } else {
    // X.690 10.1: definite form only (0x80 is indefinite); shortest encoding; at most 4 octets.
    const size_t octets = first & 0x7Fu;
    if (octets == 0 || octets > 4) return false;
    for (size_t i = 0; i < octets; ++i) {
      uint8_t b = 0;
      if (!probe.read_u8(b)) return false;
      if (i == 0 && b == 0) return false;  // leading zero octet: not the shortest form
      length = (length << 8) | b;
    }
    if (length < 0x80) return false;  // would have fitted the short form
  }
  ByteReader content;
  if (!probe.read_sub(length, content)) return false;
  out.tag = tag;
  out.content = content;
  r = probe;
  return true;
}

bool read_expected(ByteReader& r, uint8_t tag, ByteReader& content) {
  ByteReader probe = r;
  Tlv tlv;
  if (!read_tlv(probe, tlv) || tlv.tag != tag) return false;
  content = tlv.content;
  r = probe;
  return true;
}

bool read_small_uint(ByteReader content, uint64_t& out) {
  const auto bytes = content.rest();
  // X.690 8.3.2: at least one octet; the first nine bits are not all zeros or all ones.
  if (bytes.empty()) return false;
  if ((bytes[0] & 0x80u) != 0) return false;  // negative
  if (bytes.size() > 1 && bytes[0] == 0 && (bytes[1] & 0x80u) == 0) return false;
  const size_t significant = bytes[0] == 0 ? bytes.size() - 1 : bytes.size();
  if (significant > 8) return false;
  uint64_t value = 0;
  for (const uint8_t b : bytes) value = (value << 8) | b;
  out = value;
  return true;
}

std::optional<HashAlg> hash_alg_from_oid(std::span<const uint8_t> oid_value) {
  // 2.16.840.1.101.3.4.2.N: 60 86 48 01 65 03 04 02 N (NIST Computer Security Objects Register).
  static constexpr std::array<uint8_t, 8> kNistHashArc = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02};
  if (oid_value.size() != kNistHashArc.size() + 1) return std::nullopt;
  for (size_t i = 0; i < kNistHashArc.size(); ++i) {
    if (oid_value[i] != kNistHashArc[i]) return std::nullopt;
  }
  switch (oid_value.back()) {
    case 0x01: return HashAlg::sha256;
    case 0x02: return HashAlg::sha384;
    case 0x03: return HashAlg::sha512;
    default: return std::nullopt;
  }
}

}  // namespace attestd::evidence::x509::der
