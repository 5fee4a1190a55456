#include "attestd/evidence/cbor_scan.h"

#include <vector>

#include "attestd/evidence/byte_reader.h"

namespace attestd::evidence {

namespace {

// Reads the argument of a CBOR head (RFC 8949 §3: additional information 0..27).
bool read_argument(ByteReader& r, uint8_t info, uint64_t& out) {
  if (info < 24) {
    out = info;
    return true;
  }
  switch (info) {
    case 24: {
      uint8_t v = 0;
      if (!r.read_u8(v)) return false;
      out = v;
      return true;
    }
    case 25: {
      uint16_t v = 0;
      if (!r.read_u16_be(v)) return false;
      out = v;
      return true;
    }
    case 26: {
      uint32_t v = 0;
      if (!r.read_u32_be(v)) return false;
      out = v;
      return true;
    }
    case 27: return r.read_u64_be(out);
    default: return false;  // 28..30 are reserved (§3), 31 is handled by the caller
  }
}

}  // namespace

// Iterative: the stack is a vector of open containers.
CborScan scan_cbor(std::span<const uint8_t> data, size_t max_depth, size_t* item_size) {
  struct Open {
    uint64_t remaining;  // items still expected (two per map entry); unused when indefinite
    bool indefinite;
  };
  ByteReader r(data);
  std::vector<Open> open{{1, false}};  // the root expects one item
  while (!open.empty()) {
    if (!open.back().indefinite && open.back().remaining == 0) {
      open.pop_back();
      continue;
    }
    uint8_t head = 0;
    if (!r.read_u8(head)) return CborScan::malformed;
    if (head == 0xFF) {  // "break" closes an indefinite container and nothing else (§3.2.1)
      if (!open.back().indefinite) return CborScan::malformed;
      open.pop_back();
      continue;
    }
    if (!open.back().indefinite) --open.back().remaining;
    const uint8_t major = static_cast<uint8_t>(head >> 5);
    const uint8_t info = head & 0x1F;
    if (info == 31) {
      switch (major) {
        case 2:
        case 3:
          // Indefinite string: definite chunks of the same major type until break (§3.2.3).
          for (;;) {
            uint8_t chunk = 0;
            if (!r.read_u8(chunk)) return CborScan::malformed;
            if (chunk == 0xFF) break;
            uint64_t len = 0;
            if ((chunk >> 5) != major || (chunk & 0x1F) == 31 || !read_argument(r, chunk & 0x1F, len)) {
              return CborScan::malformed;
            }
            if (len > r.remaining() || !r.skip(static_cast<size_t>(len))) return CborScan::malformed;
          }
          continue;
        case 4:
        case 5:
          open.push_back({0, true});
          break;
        default: return CborScan::malformed;  // 0, 1, 6 have no indefinite form; 7/31 is break
      }
    } else {
      uint64_t arg = 0;
      if (!read_argument(r, info, arg)) return CborScan::malformed;
      switch (major) {
        case 0:
        case 1:
        case 7: break;
        case 2:
        case 3:
          if (arg > r.remaining() || !r.skip(static_cast<size_t>(arg))) return CborScan::malformed;
          break;
        case 4:
          // Every item takes at least one byte: a count beyond the rest is a lie (and an
          // allocation we refuse to make).
          if (arg > r.remaining()) return CborScan::malformed;
          open.push_back({arg, false});
          break;
        case 5:
          if (arg > r.remaining() / 2) return CborScan::malformed;
          open.push_back({arg * 2, false});
          break;
        case 6:
          open.push_back({1, false});  // a tag wraps exactly one item
          break;
        default: return CborScan::malformed;
      }
    }
    if (open.size() > max_depth + 1) return CborScan::too_deep;
  }
  if (item_size != nullptr) {
    *item_size = data.size() - r.remaining();
    return CborScan::ok;
  }
  return r.empty() ? CborScan::ok : CborScan::malformed;
}

}  // namespace attestd::evidence
