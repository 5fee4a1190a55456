// A bounds and well-formedness pre-scan of CBOR (RFC 8949) before a decoder sees it. Decoders
// that recurse per level (nlohmann) or allocate what a header declares (libcbor allocates an
// array of the declared length before reading one element) must not meet hostile input
// unchecked: this scan is iterative, allocates only its stack of open containers, and refuses a
// count that the remaining bytes cannot hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace attestd::evidence {

enum class CborScan { ok, malformed, too_deep };

// Checks that `data` is exactly one well-formed CBOR item (RFC 8949 §3, appendix C) nested at most
// `max_depth` arrays/maps/tags deep, with every declared length and count within the bytes left.
// With `item_size`, `data` need only start with such an item: its length is stored there and the
// caller decides about the bytes after it.
CborScan scan_cbor(std::span<const uint8_t> data, size_t max_depth, size_t* item_size = nullptr);

}  // namespace attestd::evidence
