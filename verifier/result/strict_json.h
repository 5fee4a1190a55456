// Internal: JSON parsing for untrusted JOSE input that never throws and refuses duplicate member
// names (RFC 7515 §5.2 step 4, RFC 7519 §4, RFC 7517 §4: a parser that kept either duplicate would
// let two implementations see two different tokens).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attestd::result::detail {

// The parsed value, or nullopt if text is not exactly one JSON value or an object repeats a name.
std::optional<nlohmann::json> parse_json_strict(std::string_view text);

}  // namespace attestd::result::detail
