#include "attestd/policy/version_order.h"

#include <cstdint>
#include <vector>

namespace attestd::policy {

namespace {

std::optional<std::vector<uint64_t>> components(std::string_view text) {
  std::vector<uint64_t> out;
  size_t digits = 0;
  uint64_t value = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (digits == 0 || out.size() == kMaxVersionComponents) return std::nullopt;
      out.push_back(value);
      digits = 0;
      value = 0;
      continue;
    }
    const char c = text[i];
    uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint64_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (++digits > kMaxVersionComponentDigits) return std::nullopt;
    value = value * 16 + d;
  }
  return out;
}

}  // namespace

bool is_version_string(std::string_view text) { return components(text).has_value(); }

std::optional<int> compare_versions(std::string_view a, std::string_view b) {
  const auto x = components(a);
  const auto y = components(b);
  if (!x || !y) return std::nullopt;
  for (size_t i = 0; i < std::max(x->size(), y->size()); ++i) {
    const uint64_t u = i < x->size() ? (*x)[i] : 0;
    const uint64_t v = i < y->size() ? (*y)[i] : 0;
    if (u != v) return u < v ? -1 : 1;
  }
  return 0;
}

}  // namespace attestd::policy
