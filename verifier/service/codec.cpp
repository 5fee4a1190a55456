#include "codec.h"

#include <fmt/format.h>

#include <array>

namespace attestd::service {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0-63 for the alphabet, 64 for '=', 255 for anything else: one lookup per character, since event
// logs arrive as tens of kilobytes of base64 on the hot path.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 255;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  t[static_cast<uint8_t>('=')] = 64;
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out(text.size() / 4 * 3);
  size_t o = 0;
  for (size_t i = 0; i < text.size(); i += 4) {
    const uint8_t a = kDecode[static_cast<uint8_t>(text[i])];
    const uint8_t b = kDecode[static_cast<uint8_t>(text[i + 1])];
    const uint8_t c = kDecode[static_cast<uint8_t>(text[i + 2])];
    const uint8_t d = kDecode[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) < 64) {  // the common case: four alphabet characters
      const uint32_t n = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
      out[o++] = static_cast<uint8_t>(n >> 16);
      out[o++] = static_cast<uint8_t>(n >> 8);
      out[o++] = static_cast<uint8_t>(n);
      continue;
    }
    // Padding only in the last quantum, only at its end ("xx==" or "xxx="), with the bits it
    // drops zero, so that every byte string has exactly one encoding.
    if (i + 4 != text.size() || a >= 64 || b >= 64) return std::nullopt;
    if (c == 64 && d == 64) {
      if ((b & 0xf) != 0) return std::nullopt;
      out[o++] = static_cast<uint8_t>((a << 2) | (b >> 4));
    } else if (c < 64 && d == 64) {
      if ((c & 0x3) != 0) return std::nullopt;
      out[o++] = static_cast<uint8_t>((a << 2) | (b >> 4));
      out[o++] = static_cast<uint8_t>(((b & 0xf) << 4) | (c >> 2));
    } else {
      return std::nullopt;
    }
  }
  out.resize(o);
  return out;
}

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = static_cast<uint32_t>(bytes[i]) << 16;
    if (n > 1) v |= static_cast<uint32_t>(bytes[i + 1]) << 8;
    if (n > 2) v |= bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[v & 63] : '=');
  }
  return out;
}

server::Problem bad_body(std::string detail) { return server::Problem::bad_request("api.body_invalid", std::move(detail)); }

std::expected<std::optional<Bytes>, server::Problem> bytes_field(const nlohmann::json& object, std::string_view key,
                                                                 bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return std::unexpected(bad_body(fmt::format("\"{}\" is required", key)));
    return std::optional<Bytes>{};
  }
  if (it->is_binary()) {
    const auto& bin = it->get_binary();
    return std::optional<Bytes>(Bytes(bin.begin(), bin.end()));
  }
  if (!it->is_string()) return std::unexpected(bad_body(fmt::format("\"{}\" must be base64 (or CBOR bytes)", key)));
  auto decoded = base64_decode(it->get_ref<const std::string&>());
  if (!decoded) return std::unexpected(bad_body(fmt::format("\"{}\" is not valid base64", key)));
  return std::optional<Bytes>(std::move(*decoded));
}

std::expected<std::string, server::Problem> string_field(const nlohmann::json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::unexpected(bad_body(fmt::format("\"{}\" must be a non-empty string", key)));
  }
  return it->get<std::string>();
}

}  // namespace attestd::service
