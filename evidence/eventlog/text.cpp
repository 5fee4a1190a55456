#include "text.h"

#include "attestd/evidence/byte_reader.h"

namespace attestd::evidence::eventlog {

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_control(uint32_t cp) { return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F; }

// Code points of a UTF-8 string; false on an invalid or overlong sequence or a surrogate.
template <typename F>
bool for_each_utf8(std::span<const uint8_t> s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    uint32_t cp = 0;
    size_t n = 0;
    if (b < 0x80) {
      cp = b;
      n = 1;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1Fu;
      n = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0Fu;
      n = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07u;
      n = 4;
    } else {
      return false;
    }
    if (n > s.size() - i) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (!f(cp)) return false;
    i += n;
  }
  return true;
}

std::optional<std::string> utf16le_decode(std::span<const uint8_t> bytes, bool reject_controls) {
  if (bytes.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() / 2);
  ByteReader r(bytes);
  uint16_t unit = 0;
  while (r.read_u16_le(unit)) {
    uint32_t cp = unit;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      uint16_t low = 0;
      if (!r.read_u16_le(low) || low < 0xDC00 || low > 0xDFFF) return std::nullopt;
      cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return std::nullopt;
    }
    if (reject_controls && is_control(cp)) return std::nullopt;
    append_utf8(out, cp);
  }
  return out;
}

}  // namespace

std::optional<std::string> utf16le_to_utf8(std::span<const uint8_t> bytes) { return utf16le_decode(bytes, false); }

std::optional<std::string> printable_utf8(std::span<const uint8_t> bytes) {
  size_t n = bytes.size();
  while (n > 0 && bytes[n - 1] == 0) --n;
  const auto s = bytes.first(n);
  if (!for_each_utf8(s, [](uint32_t cp) { return !is_control(cp); })) return std::nullopt;
  return std::string(s.begin(), s.end());
}

std::optional<std::string> printable_utf16le(std::span<const uint8_t> bytes) {
  if (bytes.size() % 2 != 0) return std::nullopt;
  size_t n = bytes.size();
  while (n >= 2 && bytes[n - 1] == 0 && bytes[n - 2] == 0) n -= 2;
  return utf16le_decode(bytes.first(n), true);
}

}  // namespace attestd::evidence::eventlog
