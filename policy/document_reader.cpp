#include "document_reader.h"

#include <algorithm>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/json_depth.h"

namespace attestd::policy {

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace attestd::policy

namespace attestd::policy::detail {

namespace {

std::string where(const std::string& pointer) { return pointer.empty() ? std::string("(document)") : pointer; }

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

std::expected<nlohmann::json, evidence::Error> parse_json_text(std::string_view text, std::string_view malformed_id) {
  if (evidence::json_nesting_depth(text) > kMaxDocumentDepth) {
    return std::unexpected(evidence::Error{
        malformed_id, fmt::format("(document): objects and arrays nest deeper than {} levels", kMaxDocumentDepth)});
  }
  // Object keys seen so far, one set per open object; the parser reports keys in document order.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  const nlohmann::json::parser_callback_t on_event = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                                                         nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && !duplicate) duplicate = key;
    }
    return true;
  };
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return std::unexpected(evidence::Error{malformed_id, "(document): not valid JSON"});
  }
  if (duplicate) {
    return std::unexpected(
        evidence::Error{malformed_id, fmt::format("(document): the key \"{}\" appears twice in one object", *duplicate)});
  }
  return value;
}

std::string child(const std::string& parent, std::string_view key) {
  std::string out = parent;
  out.push_back('/');
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string child(const std::string& parent, size_t index) { return fmt::format("{}/{}", parent, index); }

void DocumentReader::fail(std::string_view id, const std::string& pointer, std::string_view message) {
  errors_.push_back(evidence::Error{id, fmt::format("{}: {}", where(pointer), message)});
}

bool DocumentReader::object(const nlohmann::json& value, const std::string& pointer,
                            std::initializer_list<std::string_view> allowed) {
  if (!value.is_object()) {
    invalid(pointer, "must be an object");
    return false;
  }
  for (const auto& [key, member_value] : value.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || key == name;
    if (!known) fail(ids_.unknown_key, child(pointer, key), "unknown key");
  }
  return true;
}

const nlohmann::json* DocumentReader::member(const nlohmann::json& obj, const std::string& pointer,
                                             std::string_view key, bool required) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) fail(ids_.missing_key, child(pointer, key), "required key is missing");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> DocumentReader::string(const nlohmann::json& value, const std::string& pointer) {
  if (!value.is_string()) {
    invalid(pointer, "must be a string");
    return std::nullopt;
  }
  return value.get_ref<const std::string&>();
}

std::optional<std::string> DocumentReader::name(const nlohmann::json& value, const std::string& pointer) {
  auto text = string(value, pointer);
  if (!text) return std::nullopt;
  if (!is_valid_name(*text)) {
    invalid(pointer, fmt::format("\"{}\" is not a valid name (1-{} of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
                                 *text, kMaxNameLength));
    return std::nullopt;
  }
  return text;
}

std::optional<bool> DocumentReader::boolean(const nlohmann::json& value, const std::string& pointer) {
  if (!value.is_boolean()) {
    invalid(pointer, "must be true or false");
    return std::nullopt;
  }
  return value.get<bool>();
}

std::optional<int64_t> DocumentReader::integer(const nlohmann::json& value, const std::string& pointer, int64_t min,
                                               int64_t max) {
  // is_number_integer covers signed and unsigned; a value above INT64_MAX is unsigned only.
  if (!value.is_number_integer()) {
    invalid(pointer, "must be an integer");
    return std::nullopt;
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    invalid(pointer, fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  const auto n = value.get<int64_t>();
  if (n < min || n > max) {
    invalid(pointer, fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<uint32_t> DocumentReader::index_key(std::string_view key, const std::string& pointer, uint32_t min,
                                                  uint32_t max) {
  const auto bad = [&] {
    invalid(pointer, fmt::format("\"{}\" is not an index between {} and {} (decimal, no leading zeros)", key, min, max));
    return std::nullopt;
  };
  if (key.empty() || key.size() > 3 || (key.size() > 1 && key.front() == '0')) return bad();
  uint32_t n = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (n < min || n > max) return bad();
  return n;
}

std::optional<std::basic_string<uint8_t>> DocumentReader::hex(const nlohmann::json& value, const std::string& pointer,
                                                              size_t size, size_t max_size) {
  auto text = string(value, pointer);
  if (!text) return std::nullopt;
  // Checked here rather than left to from_hex, which also accepts a "0x" prefix that the schema
  // does not allow: the published schema and this parser must accept the same documents.
  bool digits = !text->empty() && text->size() % 2 == 0;
  for (char c : *text) digits = digits && is_hex_digit(c);
  auto bytes = digits ? evidence::from_hex(*text) : std::nullopt;
  if (!bytes) {
    invalid(pointer, "must be a non-empty even number of hex digits");
    return std::nullopt;
  }
  if (size != 0 && bytes->size() != size) {
    invalid(pointer, fmt::format("must be {} hex digits ({} bytes), got {}", size * 2, size, text->size()));
    return std::nullopt;
  }
  if (size == 0 && bytes->size() > max_size) {
    invalid(pointer, fmt::format("must be at most {} bytes, got {}", max_size, bytes->size()));
    return std::nullopt;
  }
  return bytes;
}

void DocumentReader::version(const nlohmann::json& document) {
  const auto* v = member(document, "", "version", false);
  if (v == nullptr) return;
  const std::string pointer = "/version";
  if (!v->is_number_integer()) {
    invalid(pointer, "must be an integer");
    return;
  }
  if (!v->is_number_unsigned() || v->get<uint64_t>() != static_cast<uint64_t>(kFormatVersion)) {
    fail(ids_.unsupported_version, pointer,
         fmt::format("format version {} is not supported (this build reads version {})", v->dump(), kFormatVersion));
  }
}

}  // namespace attestd::policy::detail
