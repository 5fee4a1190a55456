// Command-line patterns of "kernel_cmdline": {"matches": ...}, in RE2 syntax: linear time and no
// recursion, so a hostile pattern or command line cannot stall or overflow the stack as
// std::regex can. Internal to policy/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace attestd::policy {

// nullopt when `pattern` compiles; else RE2's error text.
std::optional<std::string> check_pattern(std::string_view pattern);

// True when `text` matches `pattern` as a whole; false as well when the pattern does not compile.
bool full_match(std::string_view pattern, std::string_view text);

}  // namespace attestd::policy
