#include "attestd/result/base64url.h"

#include <array>

#include <fmt/format.h>

#include "attestd/result/reasons.h"

namespace attestd::result {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

Error invalid(std::string message) { return Error{kBase64urlInvalid, std::move(message)}; }

}  // namespace

std::string base64url_encode(std::span<const uint8_t> data) {
  // Written into a pre-sized buffer: this runs over every EAR on the signing path.
  std::string out((data.size() * 4 + 2) / 3, '\0');
  char* o = out.data();
  size_t i = 0;
  for (; data.size() - i >= 3; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    *o++ = kAlphabet[(v >> 18) & 0x3f];
    *o++ = kAlphabet[(v >> 12) & 0x3f];
    *o++ = kAlphabet[(v >> 6) & 0x3f];
    *o++ = kAlphabet[v & 0x3f];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    *o++ = kAlphabet[(v >> 18) & 0x3f];
    *o++ = kAlphabet[(v >> 12) & 0x3f];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    *o++ = kAlphabet[(v >> 18) & 0x3f];
    *o++ = kAlphabet[(v >> 12) & 0x3f];
    *o++ = kAlphabet[(v >> 6) & 0x3f];
  }
  return out;
}

std::string base64url_encode(std::string_view data) {
  return base64url_encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

std::expected<std::vector<uint8_t>, Error> base64url_decode(std::string_view text) {
  // RFC 4648 §5 without padding (RFC 7515 §2): a final group of one character cannot encode a byte.
  if (text.size() % 4 == 1) return std::unexpected(invalid(fmt::format("length {} is not a base64url length", text.size())));
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  unsigned bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t v = kDecode[static_cast<uint8_t>(text[i])];
    if (v == kInvalid) {
      return std::unexpected(invalid(fmt::format("character 0x{:02x} at offset {} is not base64url",
                                                 static_cast<uint8_t>(text[i]), i)));
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // RFC 4648 §3.5: the pad bits of the last character must be zero for a canonical encoding.
  if (acc != 0) return std::unexpected(invalid("non-zero unused bits in the last character"));
  return out;
}

}  // namespace attestd::result
