// Internal: a minimal DER TLV reader (ITU-T X.690 8.1 and 10.1) over ByteReader, for the few
// certificate extensions attestd decodes itself. Only what DER allows: low tag numbers (< 31),
// definite lengths in the shortest form, at most 4 length octets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::x509::der {

// Universal and context tags (X.690 8.1.2): class bits 7-6, constructed bit 5, number bits 4-0.
inline constexpr uint8_t kTagInteger = 0x02;
inline constexpr uint8_t kTagBitString = 0x03;
inline constexpr uint8_t kTagOctetString = 0x04;
inline constexpr uint8_t kTagOid = 0x06;
inline constexpr uint8_t kTagUtf8String = 0x0C;
inline constexpr uint8_t kTagSequence = 0x30;
inline constexpr uint8_t kClassMask = 0xC0;
inline constexpr uint8_t kClassContext = 0x80;
inline constexpr uint8_t kConstructed = 0x20;
inline constexpr uint8_t kTagNumberMask = 0x1F;

struct Tlv {
  uint8_t tag = 0;
  ByteReader content;  // exactly the value octets; borrowed from the parent's span
};

// Reads one TLV; false (position unchanged) on a high tag number, an indefinite or non-minimal
// length, or a length past the end.
[[nodiscard]] bool read_tlv(ByteReader& r, Tlv& out);
// Reads one TLV whose tag must be `tag`.
[[nodiscard]] bool read_expected(ByteReader& r, uint8_t tag, ByteReader& content);
// A non-negative INTEGER (X.690 8.3) of at most 8 value octets, minimally encoded.
[[nodiscard]] bool read_small_uint(ByteReader content, uint64_t& out);

// The hash algorithm an AlgorithmIdentifier OID names (NIST CSOR: 2.16.840.1.101.3.4.2.{1,2,3}),
// given the OID's value octets.
std::optional<HashAlg> hash_alg_from_oid(std::span<const uint8_t> oid_value);

}  // namespace attestd::evidence::x509::der
