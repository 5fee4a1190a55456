// ByteReader: the only way attestd reads untrusted bytes.
//
// A cursor over a borrowed span. Every getter checks the remaining length before it moves
// (overflow-safe: `n > size - pos`, never `pos + n > size`) and leaves the position unchanged
// when it fails. A length-prefixed field becomes a child reader that cannot read past its parent.
// Callers finish with `empty()` to reject trailing bytes at every level.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace attestd::evidence {

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  [[nodiscard]] constexpr size_t position() const { return pos_; }
  [[nodiscard]] constexpr size_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] constexpr bool empty() const { return pos_ == data_.size(); }
  // The unread bytes; borrowed from the span given to the constructor.
  [[nodiscard]] constexpr std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  [[nodiscard]] bool read_u8(uint8_t& out);
  [[nodiscard]] bool read_u16_le(uint16_t& out);
  [[nodiscard]] bool read_u32_le(uint32_t& out);
  [[nodiscard]] bool read_u64_le(uint64_t& out);
  [[nodiscard]] bool read_u16_be(uint16_t& out);
  [[nodiscard]] bool read_u24_le(uint32_t& out);
  [[nodiscard]] bool read_u32_be(uint32_t& out);
  [[nodiscard]] bool read_u64_be(uint64_t& out);

  // Borrows the next n bytes.
  [[nodiscard]] bool read_bytes(size_t n, std::span<const uint8_t>& out);
  // A child reader over the next n bytes; the parent moves past them.
  [[nodiscard]] bool read_sub(size_t n, ByteReader& out);
  [[nodiscard]] bool skip(size_t n);
  // Peeks without moving.
  [[nodiscard]] bool peek_bytes(size_t n, std::span<const uint8_t>& out) const;

 private:
  template <typename T, bool kLittle>
  bool read_int(T& out);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace attestd::evidence
