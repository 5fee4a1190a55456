// JSON columns: documents, labels, reasons and audit details are stored as JSON text (JSONB in a
// future PostgreSQL schema).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/store/error.h"

namespace attestd::store::sqlite {

// Serialises `value` compactly. invalid_argument when it holds a string that is not UTF-8.
Result<std::string> dump_json(const nlohmann::json& value, std::string_view what);

// Parses a stored column. internal when the text is not JSON (the row was damaged).
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what);

// An optional list of names (token restrictions) as a JSON array, NULL when absent.
Result<std::optional<std::string>> dump_names(const std::optional<std::vector<std::string>>& names,
                                              std::string_view what);
Result<std::optional<std::vector<std::string>>> parse_names(const std::optional<std::string>& text,
                                                            std::string_view what);

}  // namespace attestd::store::sqlite
