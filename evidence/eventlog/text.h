// Text in event data (internal): UTF-16LE and ASCII/UTF-8 strings as firmware logs them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace attestd::evidence::eventlog {

// UTF-16LE (surrogate pairs combined) to UTF-8; nullopt on an odd length or an unpaired surrogate.
std::optional<std::string> utf16le_to_utf8(std::span<const uint8_t> bytes);

// The bytes as text if they are valid UTF-8 without control characters other than tab, CR and LF,
// after removing trailing NULs; nullopt otherwise.
std::optional<std::string> printable_utf8(std::span<const uint8_t> bytes);

// The bytes as text if they are UTF-16LE (even length, trailing NUL characters removed) without
// control characters other than tab, CR and LF; nullopt otherwise.
std::optional<std::string> printable_utf16le(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::eventlog
