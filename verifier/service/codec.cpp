#include "codec.h"

#include <fmt/format.h>

#include <array>

namespace attestd::service {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    std::array<int, 4> v{};
    size_t pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        // Padding only in the last quantum, only at its end.
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad != 0) return std::nullopt;
      v[j] = value_of(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                       (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(n >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(n));
    // Canonical form: the bits dropped by the padding must be zero.
    if ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xf) != 0)) return std::nullopt;
  }
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
