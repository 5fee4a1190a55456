// Reference-set documents (golden-values/schema/reference-set.schema.json). Structure only: what the
// values mean for an attestation is decided in appraisal.cpp.
#include "attestd/policy/reference_set.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/pcr_values.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/reasons.h"
#include "document_reader.h"

namespace attestd::policy {

namespace {

constexpr detail::DocumentIds kIds{kReferenceSetMalformed, kReferenceSetUnknownKey, kReferenceSetMissingKey,
                                   kReferenceSetInvalidValue, kReferenceSetUnsupportedVersion};

// A non-empty list of distinct hex values, each `size` bytes (or 1..max_size bytes when size is 0).
// A duplicate is refused: it is a copy-and-paste slip that hides which alternative was meant.
std::vector<std::basic_string<uint8_t>> read_alternatives(detail::DocumentReader& reader, const nlohmann::json& value,
                                                          const std::string& pointer, size_t size, size_t max_size) {
  std::vector<std::basic_string<uint8_t>> out;
  if (!value.is_array() || value.empty()) {
    reader.invalid(pointer, "must be a non-empty array of hex strings (the allowed alternatives)");
    return out;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = detail::child(pointer, i);
    auto bytes = reader.hex(value[i], at, size, max_size);
    if (!bytes) continue;
    if (std::find(out.begin(), out.end(), *bytes) != out.end()) {
      reader.invalid(at, "duplicate alternative");
      continue;
    }
    out.push_back(std::move(*bytes));
  }
  return out;
}

void read_pcrs(detail::DocumentReader& reader, const nlohmann::json& pcrs, ReferenceSet& out) {
  const std::string pointer = "/pcrs";
  if (!pcrs.is_object()) {
    reader.invalid(pointer, "must be an object of banks (\"sha256\": {...})");
    return;
  }
  for (const auto& [bank_name, bank] : pcrs.items()) {
    const std::string bank_pointer = detail::child(pointer, bank_name);
    const auto alg = evidence::hash_alg_from_name(bank_name);
    if (!alg) {
      reader.invalid(bank_pointer, fmt::format("\"{}\" is not a PCR bank (sha1, sha256, sha384, sha512, sm3_256)", bank_name));
      continue;
    }
    if (!bank.is_object()) {
      reader.invalid(bank_pointer, "must be an object of PCR indices (\"0\": [...])");
      continue;
    }
    for (const auto& [index_key, values] : bank.items()) {
      const std::string index_pointer = detail::child(bank_pointer, index_key);
      // PCR indices 0-23: the PC Client platform's PCR set (TCG PC Client PTP, 4.6.1).
      const auto index = reader.index_key(index_key, index_pointer, 0, evidence::kPcrCount - 1);
      auto alternatives = read_alternatives(reader, values, index_pointer, evidence::digest_size(*alg), 0);
      if (!index) continue;
      auto& digests = out.pcrs[*alg][*index];
      for (const auto& bytes : alternatives) digests.emplace_back(std::span<const uint8_t>(bytes.data(), bytes.size()));
    }
  }
}

void read_gpu(detail::DocumentReader& reader, const nlohmann::json& gpu, ReferenceSet& out) {
  const std::string pointer = "/gpu";
  if (!gpu.is_object()) {
    reader.invalid(pointer, "must be an object of GPU models (\"GH100\": {...})");
    return;
  }
  for (const auto& [model, indices] : gpu.items()) {
    const std::string model_pointer = detail::child(pointer, model);
    if (!is_valid_name(model)) {
      reader.invalid(model_pointer, fmt::format("\"{}\" is not a valid GPU model name", model));
      continue;
    }
    if (!indices.is_object()) {
      reader.invalid(model_pointer, "must be an object of SPDM measurement indices (\"1\": [...])");
      continue;
    }
    for (const auto& [index_key, values] : indices.items()) {
      const std::string index_pointer = detail::child(model_pointer, index_key);
      const auto index = reader.index_key(index_key, index_pointer, kMinSpdmIndex, kMaxSpdmIndex);
      auto alternatives = read_alternatives(reader, values, index_pointer, 0, kMaxGpuMeasurementSize);
      if (!index) continue;
      auto& golden = out.gpu[model][*index];
      for (auto& bytes : alternatives) golden.emplace_back(bytes.begin(), bytes.end());
    }
  }
}

std::string event_key(const ReferenceEvent& e) {
  std::string key = fmt::format("{}/{}", e.pcr, e.type);
  for (const auto& [alg, d] : e.digests) key += fmt::format("/{}:{}", evidence::hash_alg_name(alg), d.hex());
  return key;
}

void read_events(detail::DocumentReader& reader, const nlohmann::json& events, ReferenceSet& out) {
  const std::string pointer = "/events";
  if (!events.is_array()) {
    reader.invalid(pointer, "must be an array of events ({\"pcr\": 4, \"type\": \"EV_...\", \"digests\": {...}})");
    return;
  }
  if (events.size() > kMaxReferenceEvents) {
    reader.invalid(pointer, fmt::format("lists {} events; at most {} are accepted", events.size(), kMaxReferenceEvents));
    return;
  }
  std::set<std::string> seen;  // event_key of every event read: a sorted set, not a scan per event
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string at = detail::child(pointer, i);
    const auto& e = events[i];
    if (!reader.object(e, at, {"pcr", "type", "digests", "description"})) continue;
    ReferenceEvent ref;
    bool ok = true;
    if (const auto* pcr = reader.member(e, at, "pcr", true)) {
      const auto n = reader.integer(*pcr, at + "/pcr", 0, evidence::kPcrCount - 1);
      ok = ok && n.has_value();
      if (n) ref.pcr = static_cast<uint32_t>(*n);
    } else {
      ok = false;
    }
    if (const auto* type = reader.member(e, at, "type", true)) {
      const auto name = reader.string(*type, at + "/type");
      const auto value = name ? event_type_from_name(*name) : std::nullopt;
      if (name && !value) reader.invalid(at + "/type", fmt::format("\"{}\" is not an event type (EV_... or 0x...)", *name));
      ok = ok && value.has_value();
      if (value) ref.type = *value;
    } else {
      ok = false;
    }
    if (const auto* digests = reader.member(e, at, "digests", true)) {
      const std::string dp = at + "/digests";
      if (!digests->is_object() || digests->empty()) {
        reader.invalid(dp, "must be a non-empty object of banks (\"sha256\": \"<hex>\")");
        ok = false;
      } else {
        for (const auto& [bank_name, hex] : digests->items()) {
          const std::string bp = detail::child(dp, bank_name);
          const auto alg = evidence::hash_alg_from_name(bank_name);
          if (!alg) {
            reader.invalid(bp, fmt::format("\"{}\" is not a bank (sha1, sha256, sha384, sha512, sm3_256)", bank_name));
            ok = false;
            continue;
          }
          auto bytes = reader.hex(hex, bp, evidence::digest_size(*alg), 0);
          ok = ok && bytes.has_value();
          if (bytes) ref.digests.emplace(*alg, evidence::Digest(std::span<const uint8_t>(bytes->data(), bytes->size())));
        }
      }
    } else {
      ok = false;
    }
    if (const auto* description = reader.member(e, at, "description", false)) {
      if (auto d = reader.string(*description, at + "/description")) ref.description = std::move(*d);
    }
    if (!ok) continue;
    if (!seen.insert(event_key(ref)).second) {
      reader.invalid(at, "duplicate event (same PCR, type and digests as an earlier one)");
      continue;
    }
    out.events.push_back(std::move(ref));
  }
}

}  // namespace

nlohmann::json to_json(const ReferenceSet& set) {
  nlohmann::json doc = {{"version", kFormatVersion}, {"name", set.name}};
  if (!set.description.empty()) doc["description"] = set.description;
  if (!set.pcrs.empty()) {
    nlohmann::json pcrs = nlohmann::json::object();
    for (const auto& [bank, indices] : set.pcrs) {
      nlohmann::json b = nlohmann::json::object();
      for (const auto& [index, values] : indices) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& d : values) list.push_back(d.hex());
        b[std::to_string(index)] = std::move(list);
      }
      pcrs[std::string(evidence::hash_alg_name(bank))] = std::move(b);
    }
    doc["pcrs"] = std::move(pcrs);
  }
  if (!set.gpu.empty()) {
    nlohmann::json gpu = nlohmann::json::object();
    for (const auto& [model, indices] : set.gpu) {
      nlohmann::json m = nlohmann::json::object();
      for (const auto& [index, values] : indices) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& v : values) list.push_back(evidence::to_hex(v));
        m[std::to_string(index)] = std::move(list);
      }
      gpu[model] = std::move(m);
    }
    doc["gpu"] = std::move(gpu);
  }
  if (!set.events.empty()) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : set.events) {
      nlohmann::json digests = nlohmann::json::object();
      for (const auto& [alg, d] : e.digests) digests[std::string(evidence::hash_alg_name(alg))] = d.hex();
      nlohmann::json item = {{"pcr", e.pcr}, {"type", evidence::eventlog::is_known_event_type(e.type)
                                                                   ? std::string(evidence::eventlog::event_type_name(e.type))
                                                                   : fmt::format("{:#010x}", e.type)}, {"digests", digests}};
      if (!e.description.empty()) item["description"] = e.description;
      events.push_back(std::move(item));
    }
    doc["events"] = std::move(events);
  }
  return doc;
}

std::expected<ReferenceSet, DocumentErrors> parse_reference_set_json(const nlohmann::json& document) {
  detail::DocumentReader reader(kIds);
  if (!document.is_object()) {
    return std::unexpected(DocumentErrors{{kReferenceSetMalformed, "(document): must be a JSON object"}});
  }
  reader.object(document, "", {"version", "name", "description", "pcrs", "gpu", "events"});
  reader.version(document);

  ReferenceSet out;
  if (const auto* name = reader.member(document, "", "name", true)) {
    if (auto n = reader.name(*name, "/name")) out.name = std::move(*n);
  }
  if (const auto* description = reader.member(document, "", "description", false)) {
    if (auto d = reader.string(*description, "/description")) out.description = std::move(*d);
  }
  if (const auto* pcrs = reader.member(document, "", "pcrs", false)) read_pcrs(reader, *pcrs, out);
  if (const auto* gpu = reader.member(document, "", "gpu", false)) read_gpu(reader, *gpu, out);
  if (const auto* events = reader.member(document, "", "events", false)) read_events(reader, *events, out);

  // Parse, then commit (STYLE 4): a document with any error yields no reference set at all.
  if (!reader.ok()) return std::unexpected(reader.take());
  return out;
}

std::expected<ReferenceSet, DocumentErrors> parse_reference_set(std::string_view json_text) {
  auto document = detail::parse_json_text(json_text, kReferenceSetMalformed);
  if (!document) return std::unexpected(DocumentErrors{std::move(document.error())});
  return parse_reference_set_json(*document);
}

}  // namespace attestd::policy
