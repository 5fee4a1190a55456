// Verification times given on the command line.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace attestd::cli {

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or with a numeric offset ("+02:00"); an empty string
// means now. Fails with a message for anything else.
std::expected<std::chrono::sys_seconds, std::string> parse_time_arg(std::string_view text);

}  // namespace attestd::cli
