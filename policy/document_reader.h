// Strict reading of the JSON documents of the policy layer (reference sets, policies): every
// problem is recorded with its JSON Pointer and reading goes on, so one PUT reports every error.
// Internal to policy/. Never throws: values are type-checked before nlohmann's accessors are used.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "attestd/evidence/error.h"
#include "attestd/policy/document.h"

namespace attestd::policy::detail {

// The ids one document kind reports (reasons.h).
struct DocumentIds {
  std::string_view malformed;
  std::string_view unknown_key;
  std::string_view missing_key;
  std::string_view invalid_value;
  std::string_view unsupported_version;
};

// Parses `text` as one JSON value, refusing nesting deeper than kMaxDocumentDepth (checked before
// nlohmann sees the text) and duplicate object keys (nlohmann keeps the last one silently, and
// two readers that disagree on which duplicate counts is how policy confusion starts).
std::expected<nlohmann::json, evidence::Error> parse_json_text(std::string_view text, std::string_view malformed_id);

// JSON Pointer (RFC 6901) of a member or element below `parent`.
std::string child(const std::string& parent, std::string_view key);
std::string child(const std::string& parent, size_t index);

class DocumentReader {
 public:
  explicit DocumentReader(const DocumentIds& ids) : ids_(ids) {}

  void fail(std::string_view id, const std::string& pointer, std::string_view message);
  void invalid(const std::string& pointer, std::string_view message) { fail(ids_.invalid_value, pointer, message); }

  // False (and an error) unless `value` is an object; reports each key outside `allowed`.
  bool object(const nlohmann::json& value, const std::string& pointer, std::initializer_list<std::string_view> allowed);
  // The member `key` of object `obj`, or nullptr; `required` members that are absent are reported.
  const nlohmann::json* member(const nlohmann::json& obj, const std::string& pointer, std::string_view key,
                               bool required);

  std::optional<std::string> string(const nlohmann::json& value, const std::string& pointer);
  std::optional<std::string> name(const nlohmann::json& value, const std::string& pointer);
  std::optional<bool> boolean(const nlohmann::json& value, const std::string& pointer);
  // An integer (not a float such as 1.0) within [min, max].
  std::optional<int64_t> integer(const nlohmann::json& value, const std::string& pointer, int64_t min, int64_t max);
  // An object key that must be a decimal integer within [min, max], without sign or leading zeros.
  std::optional<uint32_t> index_key(std::string_view key, const std::string& pointer, uint32_t min, uint32_t max);
  // Hex of exactly `size` bytes, or (size 0) of 1..max_size bytes; no "0x" prefix.
  std::optional<std::basic_string<uint8_t>> hex(const nlohmann::json& value, const std::string& pointer, size_t size,
                                                size_t max_size);

  // The optional "version" member of the top-level object must be kFormatVersion.
  void version(const nlohmann::json& document);

  [[nodiscard]] bool ok() const { return errors_.empty(); }
  DocumentErrors take() { return std::move(errors_); }

 private:
  DocumentIds ids_;
  DocumentErrors errors_;
};

}  // namespace attestd::policy::detail
