#include "attestd/evidence/eventlog/guid.h"

#include "attestd/evidence/digest.h"

namespace attestd::evidence::eventlog {

namespace {

// The order in which the 16 stored bytes are printed: Data1 (u32), Data2, Data3 (u16) are
// little-endian, Data4 is 8 bytes in order (UEFI 2.10 Appendix A).
constexpr std::array<size_t, 16> kTextOrder = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
constexpr std::array<size_t, 4> kDashAfter = {3, 5, 7, 9};  // positions in kTextOrder

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Guid::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < kTextOrder.size(); ++i) {
    const uint8_t b = bytes[kTextOrder[i]];
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
    for (size_t d : kDashAfter) {
      if (d == i) out.push_back('-');
    }
  }
  return out;
}

std::optional<Guid> Guid::from_string(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Guid g;
  size_t pos = 0;
  for (size_t i = 0; i < kTextOrder.size(); ++i) {
    const int hi = hex_digit(text[pos]);
    const int lo = hex_digit(text[pos + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    g.bytes[kTextOrder[i]] = static_cast<uint8_t>((hi << 4) | lo);
    pos += 2;
    for (size_t d : kDashAfter) {
      if (d == i) {
        if (text[pos] != '-') return std::nullopt;
        ++pos;
      }
    }
  }
  return g;
}

namespace guids {
namespace {
Guid parse(std::string_view text) { return Guid::from_string(text).value_or(Guid{}); }
}  // namespace
Guid efi_global_variable() { return parse("8be4df61-93ca-11d2-aa0d-00e098032b8c"); }
Guid image_security_database() { return parse("d719b2cb-3d3a-4596-a3bc-dad00e67656f"); }
Guid cert_sha256() { return parse("c1c41626-504c-4092-aca9-41f936934328"); }
Guid cert_x509() { return parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072"); }
Guid shim_lock() { return parse("605dab50-e046-4300-abb6-3dd810dd8b23"); }
}  // namespace guids

}  // namespace attestd::evidence::eventlog
