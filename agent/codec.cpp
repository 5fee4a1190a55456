#include "codec.h"

#include <array>

namespace attestd::agent {

namespace {

constexpr std::string_view kStd = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const uint8_t> in, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; in.size() - i >= 3; i += 3) {
    const uint32_t v = static_cast<uint32_t>(in[i]) << 16 | static_cast<uint32_t>(in[i + 1]) << 8 | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[v >> s & 0x3f]);
  }
  const size_t rest = in.size() - i;
  if (rest == 0) return out;
  uint32_t v = static_cast<uint32_t>(in[i]) << 16;
  if (rest == 2) v |= static_cast<uint32_t>(in[i + 1]) << 8;
  out.push_back(alphabet[v >> 18 & 0x3f]);
  out.push_back(alphabet[v >> 12 & 0x3f]);
  if (rest == 2) out.push_back(alphabet[v >> 6 & 0x3f]);
  if (pad) out.append(rest == 1 ? "==" : "=");
  return out;
}

std::optional<Bytes> decode(std::string_view text, std::string_view alphabet, bool padded) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) table[static_cast<uint8_t>(alphabet[i])] = static_cast<int>(i);
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    size_t pads = 0;
    while (pads < 2 && pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
    text.remove_suffix(pads);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = table[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits & 0xff));
    }
  }
  // Leftover bits must be zero: a non-canonical encoding is malformed.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) {
  return encode(bytes, kStd, true);
}
std::optional<Bytes> base64_decode(std::string_view text) {
  return decode(text, kStd, true);
}
std::string base64url_encode(std::span<const uint8_t> bytes) {
  return encode(bytes, kUrl, false);
}
std::optional<Bytes> base64url_decode(std::string_view text) {
  return decode(text, kUrl, false);
}

std::string to_hex(std::span<const uint8_t> bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::optional<Bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace attestd::agent
