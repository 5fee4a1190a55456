#include "attestd/evidence/byte_reader.h"

namespace attestd::evidence {

template <typename T, bool kLittle>
bool ByteReader::read_int(T& out) {
  if (sizeof(T) > remaining()) return false;
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    const size_t shift = kLittle ? 8 * i : 8 * (sizeof(T) - 1 - i);
    value = static_cast<T>(value | (static_cast<T>(data_[pos_ + i]) << shift));
  }
  pos_ += sizeof(T);
  out = value;
  return true;
}

bool ByteReader::read_u8(uint8_t& out) {
  if (empty()) return false;
  out = data_[pos_++];
  return true;
}

bool ByteReader::read_u16_le(uint16_t& out) { return read_int<uint16_t, true>(out); }
bool ByteReader::read_u32_le(uint32_t& out) { return read_int<uint32_t, true>(out); }
bool ByteReader::read_u64_le(uint64_t& out) { return read_int<uint64_t, true>(out); }
bool ByteReader::read_u16_be(uint16_t& out) { return read_int<uint16_t, false>(out); }
bool ByteReader::read_u32_be(uint32_t& out) { return read_int<uint32_t, false>(out); }
bool ByteReader::read_u64_be(uint64_t& out) { return read_int<uint64_t, false>(out); }

bool ByteReader::read_u24_le(uint32_t& out) {
  if (3 > remaining()) return false;
  out = static_cast<uint32_t>(data_[pos_]) | (static_cast<uint32_t>(data_[pos_ + 1]) << 8) |
        (static_cast<uint32_t>(data_[pos_ + 2]) << 16);
  pos_ += 3;
  return true;
}

bool ByteReader::read_bytes(size_t n, std::span<const uint8_t>& out) {
  if (n > remaining()) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::read_sub(size_t n, ByteReader& out) {
  std::span<const uint8_t> bytes;
  if (!read_bytes(n, bytes)) return false;
  out = ByteReader(bytes);
  return true;
}

bool ByteReader::skip(size_t n) {
  if (n > remaining()) return false;
  pos_ += n;
  return true;
}

bool ByteReader::peek_bytes(size_t n, std::span<const uint8_t>& out) const {
  if (n > remaining()) return false;
  out = data_.subspan(pos_, n);
  return true;
}

}  // namespace attestd::evidence
