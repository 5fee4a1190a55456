// JSON columns.
#include "json_text.h"

#include <fmt/format.h>

namespace attestd::store::sqlite {

Result<std::string> dump_json(const nlohmann::json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(StoreError{StoreErrorCode::invalid_argument, fmt::format("{}: {}", what, e.what())});
  }
}

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("{}: stored value is not JSON", what)});
  }
  return value;
}

Result<std::optional<std::string>> dump_names(const std::optional<std::vector<std::string>>& names,
                                              std::string_view what) {
  if (!names) return std::optional<std::string>();
  auto text = dump_json(nlohmann::json(*names), what);
  if (!text) return std::unexpected(std::move(text.error()));
  return std::optional<std::string>(std::move(*text));
}

Result<std::optional<std::vector<std::string>>> parse_names(const std::optional<std::string>& text,
                                                            std::string_view what) {
  if (!text) return std::optional<std::vector<std::string>>();
  auto value = parse_json(*text, what);
  if (!value) return std::unexpected(std::move(value.error()));
  std::vector<std::string> names;
  if (!value->is_array()) {
    return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("{}: stored value is not a list", what)});
  }
  for (const auto& item : *value) {
    if (!item.is_string()) {
      return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("{}: list holds a non-string", what)});
    }
    names.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

}  // namespace attestd::store::sqlite
