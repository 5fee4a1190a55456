// Reading the files named on the command line.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace attestd::cli {

// The whole file, or a message naming the file and the OS error.
std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path);

// Exit codes shared by every command.
inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

}  // namespace attestd::cli
