#include "pattern.h"

#include <re2/re2.h>

namespace attestd::policy {

namespace {

RE2::Options options() {
  RE2::Options o;
  o.set_log_errors(false);
  // Bounds the compiled program: a pattern of kMaxPatternLength characters fits well inside.
  o.set_max_mem(8 << 20);
  return o;
}

}  // namespace

std::optional<std::string> check_pattern(std::string_view pattern) {
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options());
  if (re.ok()) return std::nullopt;
  return re.error();
}

bool full_match(std::string_view pattern, std::string_view text) {
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options());
  if (!re.ok()) return false;
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), re);
}

}  // namespace attestd::policy
