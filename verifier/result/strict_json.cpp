#include "strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace attestd::result::detail {

std::optional<nlohmann::json> parse_json_strict(std::string_view text) {
  // One set of member names per open object; the callback sees every key before its value.
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        open_objects.emplace_back();
        break;
      case Event::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Event::key:
        if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (value.is_discarded() || duplicate) return std::nullopt;
  return value;
}

}  // namespace attestd::result::detail
