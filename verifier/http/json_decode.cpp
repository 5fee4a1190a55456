#include "json_decode.h"

#include <fmt/format.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#if !defined(__clang__)  // clang has no -Wuseless-cast and warns about the unknown option
#pragma GCC diagnostic ignored "-Wuseless-cast"
#endif
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace attestd::server::detail {

namespace {

// Bodies up to this size reuse the thread's parser (its buffers grow to the largest body seen);
// larger ones get a parser of their own, so one big request does not pin megabytes per thread.
constexpr size_t kReusedParserCapacity = 64 * 1024;

struct DuplicateKey {
  std::string key;
};

// Recursion is bounded: simdjson refused anything deeper than max_depth.
std::expected<nlohmann::json, DuplicateKey> convert(simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      for (auto [key, value] : simdjson::dom::object(e)) {
        auto v = convert(value);
        if (!v) return v;
        if (!out.emplace(std::string(key), std::move(*v)).second) return std::unexpected(DuplicateKey{std::string(key)});
      }
      return out;
    }
    case T::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      for (auto value : simdjson::dom::array(e)) {
        auto v = convert(value);
        if (!v) return v;
        out.push_back(std::move(*v));
      }
      return out;
    }
    case T::STRING: return nlohmann::json(std::string(std::string_view(e)));
    case T::INT64: {
      // nlohmann's own parser stores every non-negative integer as unsigned; code that asks
      // is_number_unsigned() must see the same model whichever parser ran.
      const auto v = int64_t(e);
      return v >= 0 ? nlohmann::json(static_cast<uint64_t>(v)) : nlohmann::json(v);
    }
    case T::UINT64: return nlohmann::json(uint64_t(e));
    case T::DOUBLE: return nlohmann::json(double(e));
    case T::BOOL: return nlohmann::json(bool(e));
    case T::NULL_VALUE: return nlohmann::json(nullptr);
  }
  return nlohmann::json(nullptr);
}

std::expected<nlohmann::json, JsonDecodeError> parse_with(simdjson::dom::parser& parser, std::string_view text,
                                                         size_t max_depth) {
  simdjson::dom::element root;
  // realloc_if_needed: the body string has no SIMDJSON_PADDING after it, so simdjson copies it.
  if (auto error = parser.parse(text.data(), text.size(), true).get(root); error) {
    if (error == simdjson::DEPTH_ERROR) {
      return std::unexpected(JsonDecodeError{true, fmt::format("JSON nested deeper than {} levels", max_depth)});
    }
    return std::unexpected(JsonDecodeError{false, fmt::format("malformed JSON body: {}", simdjson::error_message(error))});
  }
  auto out = convert(root);
  if (!out) {
    return std::unexpected(JsonDecodeError{false, fmt::format("malformed JSON body: duplicate key \"{}\"", out.error().key)});
  }
  return std::move(*out);
}

JsonDecodeError out_of_memory() { return {false, "out of memory parsing the JSON body"}; }

}  // namespace

std::expected<nlohmann::json, JsonDecodeError> decode_json(std::string_view text, size_t max_depth) {
  // simdjson counts the document itself as a level.
  const size_t depth = max_depth + 1;
  if (text.size() <= kReusedParserCapacity) {
    thread_local simdjson::dom::parser parser;
    if (parser.max_depth() != depth) {
      if (parser.allocate(kReusedParserCapacity, depth) != simdjson::SUCCESS) return std::unexpected(out_of_memory());
    }
    return parse_with(parser, text, max_depth);
  }
  simdjson::dom::parser parser;
  if (parser.allocate(text.size(), depth) != simdjson::SUCCESS) return std::unexpected(out_of_memory());
  return parse_with(parser, text, max_depth);
}

}  // namespace attestd::server::detail
