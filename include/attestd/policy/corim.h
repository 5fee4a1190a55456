// CoRIM reference values (`attestctl golden import --corim`): the reference-value triples of the
// CoMID tags of an unsigned CoRIM (draft-ietf-rats-corim-03) become GPU golden values, decoded
// with libcbor:
//   tagged-corim-map     #6.501({0: id, 1: [+ #6.506(bstr .cbor concise-mid-tag)]})
//   concise-mid-tag      {1: tag-identity, 4: triples-map {0: [+ reference-triple-record]}}
//   reference-triple     [environment-map {0: class-map {2: model tstr}}, [+ measurement-map]]
//   measurement-map      {0: mkey uint (the SPDM measurement index), 1: {2: digests [+ [alg, bstr]]}}
// Every digest of a measurement is an alternative; alg is from the IANA Named Information Hash
// Algorithm registry (1 sha-256, 7 sha-384, 8 sha-512) and fixes the value's length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "attestd/evidence/error.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/reference_set.h"

namespace attestd::policy {

inline constexpr size_t kMaxCorimSize = 4u * 1024u * 1024u;
// CBOR tags of the CoRIM draft and RFC 9052.
inline constexpr uint64_t kTagCorim = 501;
inline constexpr uint64_t kTagComid = 506;
inline constexpr uint64_t kTagCoseSign1 = 18;

// Adds the reference values of `corim` to `set.gpu`, keyed by the class model. Fails with
// kCorimInvalid naming the field (signed CoRIMs are refused: their COSE signature cannot be checked
// here, and an unchecked one must not look checked), without changing `set`. Nothing is borrowed.
std::expected<void, evidence::Error> add_corim_reference_values(ReferenceSet& set, std::span<const uint8_t> corim);

}  // namespace attestd::policy
