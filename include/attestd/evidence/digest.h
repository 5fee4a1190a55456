// Digest: a hash value of up to 64 bytes, held inline so that replaying a log allocates nothing.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence {

class Digest {
 public:
  Digest() = default;
  // Copies up to kMaxDigestSize bytes; callers check the length against the algorithm first.
  explicit Digest(std::span<const uint8_t> bytes) : size_(static_cast<uint8_t>(std::min(bytes.size(), kMaxDigestSize))) {
    std::copy_n(bytes.begin(), size_, bytes_.begin());
  }
  static Digest zeros(size_t size) { return filled(size, 0x00); }
  static Digest filled(size_t size, uint8_t value) {
    Digest d;
    d.size_ = static_cast<uint8_t>(std::min(size, kMaxDigestSize));
    std::fill_n(d.bytes_.begin(), d.size_, value);
    return d;
  }

  [[nodiscard]] std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  [[nodiscard]] std::span<uint8_t> mutable_bytes() { return {bytes_.data(), size_}; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] std::string hex() const;

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.size_ == b.size_ && std::equal(a.bytes_.begin(), a.bytes_.begin() + a.size_, b.bytes_.begin());
  }

 private:
  std::array<uint8_t, kMaxDigestSize> bytes_{};
  uint8_t size_ = 0;
};

std::string to_hex(std::span<const uint8_t> bytes);
// Parses lower- or upper-case hex with an optional "0x" prefix; nullopt on odd length or a bad digit.
std::optional<std::basic_string<uint8_t>> from_hex(std::string_view hex);

}  // namespace attestd::evidence
