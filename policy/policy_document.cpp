// Policy documents (golden-values/schema/policy.schema.json). Structure and internal consistency
// only; whether the named reference sets exist is known at appraisal time (and fails closed there).
#include "attestd/policy/policy_document.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/evidence/pcr_values.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/version_order.h"
#include "document_reader.h"
#include "pattern.h"

namespace attestd::policy {

namespace {

constexpr detail::DocumentIds kIds{kDocumentMalformed, kDocumentUnknownKey, kDocumentMissingKey, kDocumentInvalidValue,
                                   kDocumentUnsupportedVersion};

// A JSON array of distinct names; the order of the document is kept.
std::vector<std::string> read_names(detail::DocumentReader& reader, const nlohmann::json& value,
                                    const std::string& pointer, bool non_empty) {
  std::vector<std::string> out;
  if (!value.is_array() || (non_empty && value.empty())) {
    reader.invalid(pointer, non_empty ? "must be a non-empty array of names" : "must be an array of names");
    return out;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = detail::child(pointer, i);
    auto name = reader.name(value[i], at);
    if (!name) continue;
    if (std::find(out.begin(), out.end(), *name) != out.end()) {
      reader.invalid(at, fmt::format("\"{}\" is listed twice", *name));
      continue;
    }
    out.push_back(std::move(*name));
  }
  return out;
}

// "gpus": n (exactly n) or {"min": a, "max": b} with either bound optional.
std::optional<GpuCount> read_gpu_count(detail::DocumentReader& reader, const nlohmann::json& value) {
  const std::string pointer = "/require/gpus";
  constexpr int64_t kMax = kMaxGpuCount;
  if (value.is_number()) {
    const auto n = reader.integer(value, pointer, 0, kMax);
    if (!n) return std::nullopt;
    return GpuCount{static_cast<uint32_t>(*n), static_cast<uint32_t>(*n)};
  }
  if (!reader.object(value, pointer, {"min", "max"})) return std::nullopt;
  if (value.empty()) {
    reader.invalid(pointer, "must give \"min\", \"max\" or both");
    return std::nullopt;
  }
  GpuCount count{0, std::nullopt};
  bool ok = true;
  if (const auto* min = reader.member(value, pointer, "min", false)) {
    const auto n = reader.integer(*min, pointer + "/min", 0, kMax);
    ok = ok && n.has_value();
    if (n) count.min = static_cast<uint32_t>(*n);
  }
  if (const auto* max = reader.member(value, pointer, "max", false)) {
    const auto n = reader.integer(*max, pointer + "/max", 0, kMax);
    ok = ok && n.has_value();
    if (n) count.max = static_cast<uint32_t>(*n);
  }
  if (!ok) return std::nullopt;
  if (count.max && count.min > *count.max) {
    reader.invalid(pointer, fmt::format("min {} is greater than max {}", count.min, *count.max));
    return std::nullopt;
  }
  return count;
}

void read_require(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/require";
  // Every requirement is spelled out: a policy that leaves "event_log" or "gpus" to a default
  // would say less than its author thinks.
  if (!reader.object(value, pointer, {"tpm", "event_log", "gpus"})) return;
  if (const auto* tpm = reader.member(value, pointer, "tpm", true)) {
    if (auto b = reader.boolean(*tpm, "/require/tpm")) out.require_tpm = *b;
  }
  if (const auto* log = reader.member(value, pointer, "event_log", true)) {
    if (auto b = reader.boolean(*log, "/require/event_log")) out.require_event_log = *b;
  }
  if (const auto* gpus = reader.member(value, pointer, "gpus", true)) {
    if (auto count = read_gpu_count(reader, *gpus)) out.require_gpus = *count;
  }
}

void read_pcrs(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/pcrs";
  if (!value.is_object()) {
    reader.invalid(pointer, "must be an object of banks (\"sha256\": [0, 1, ...])");
    return;
  }
  for (const auto& [bank_name, indices] : value.items()) {
    const std::string bank_pointer = detail::child(pointer, bank_name);
    const auto alg = evidence::hash_alg_from_name(bank_name);
    if (!alg) {
      reader.invalid(bank_pointer, fmt::format("\"{}\" is not a PCR bank (sha1, sha256, sha384, sha512, sm3_256)", bank_name));
      continue;
    }
    if (!indices.is_array()) {
      reader.invalid(bank_pointer, "must be an array of PCR indices");
      continue;
    }
    std::set<uint32_t> seen;
    for (size_t i = 0; i < indices.size(); ++i) {
      const std::string at = detail::child(bank_pointer, i);
      const auto n = reader.integer(indices[i], at, 0, evidence::kPcrCount - 1);
      if (!n) continue;
      if (!seen.insert(static_cast<uint32_t>(*n)).second) reader.invalid(at, fmt::format("PCR {} is listed twice", *n));
    }
    out.pcrs[*alg].assign(seen.begin(), seen.end());
  }
}

// A version string for min_driver / min_vbios: dot-separated components of hex digits
// ("550.144.03", "96.00.5E.00.01"), as version_order.h compares them.
std::optional<std::string> read_version(detail::DocumentReader& reader, const nlohmann::json& value,
                                        const std::string& pointer) {
  auto text = reader.string(value, pointer);
  if (!text) return std::nullopt;
  if (!is_version_string(*text)) {
    reader.invalid(pointer, fmt::format("\"{}\" is not a version (dot-separated hex or decimal numbers)", *text));
    return std::nullopt;
  }
  return text;
}

void read_gpu(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/gpu";
  if (!reader.object(value, pointer, {"models", "measurements", "min_driver", "min_vbios"})) return;
  GpuRules rules;
  bool ok = true;
  if (const auto* models = reader.member(value, pointer, "models", true)) {
    rules.models = read_names(reader, *models, "/gpu/models", /*non_empty=*/true);
  } else {
    ok = false;
  }
  if (const auto* mode = reader.member(value, pointer, "measurements", true)) {
    const auto text = reader.string(*mode, "/gpu/measurements");
    if (text == "reference") {
      rules.measurements = GpuMeasurements::reference;
    } else if (text == "rim") {
      rules.measurements = GpuMeasurements::rim;
    } else if (text == "none") {
      rules.measurements = GpuMeasurements::none;
    } else {
      ok = false;
      if (text) reader.invalid("/gpu/measurements", fmt::format("\"{}\" is not one of reference, rim, none", *text));
    }
  } else {
    ok = false;
  }
  if (const auto* v = reader.member(value, pointer, "min_driver", false)) {
    rules.min_driver = read_version(reader, *v, "/gpu/min_driver");
    ok = ok && rules.min_driver.has_value();
  }
  if (const auto* v = reader.member(value, pointer, "min_vbios", false)) {
    rules.min_vbios = read_version(reader, *v, "/gpu/min_vbios");
    ok = ok && rules.min_vbios.has_value();
  }
  if (ok) out.gpu = std::move(rules);
}

// {"only_from": "<set>"}: the only key of the rules that name one reference set.
std::optional<std::string> read_only_from(detail::DocumentReader& reader, const nlohmann::json& value,
                                          const std::string& pointer) {
  if (!reader.object(value, pointer, {"only_from"})) return std::nullopt;
  const auto* set = reader.member(value, pointer, "only_from", true);
  if (set == nullptr) return std::nullopt;
  return reader.name(*set, pointer + "/only_from");
}

void read_secure_boot(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const auto text = reader.string(value, "/secure_boot");
  if (text == "required") {
    out.secure_boot_required = true;
  } else if (text) {
    reader.invalid("/secure_boot", fmt::format("\"{}\" is not \"required\" (omit the key to not check)", *text));
  }
}

void read_dbx(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/dbx";
  if (!reader.object(value, pointer, {"must_contain"})) return;
  const auto* list = reader.member(value, pointer, "must_contain", true);
  if (list == nullptr) return;
  const std::string lp = pointer + "/must_contain";
  if (!list->is_array() || list->empty()) {
    reader.invalid(lp, "must be a non-empty array of SHA-256 hashes (EFI_CERT_SHA256 entries of dbx)");
    return;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = detail::child(lp, i);
    auto hash = reader.hex((*list)[i], at, 32, 0);
    if (!hash) continue;
    if (std::find(out.dbx_must_contain.begin(), out.dbx_must_contain.end(), *hash) != out.dbx_must_contain.end()) {
      reader.invalid(at, "listed twice");
      continue;
    }
    out.dbx_must_contain.push_back(std::move(*hash));
  }
}

void read_kernel_cmdline(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/kernel_cmdline";
  if (!reader.object(value, pointer, {"equals", "matches", "only_from"})) return;
  if (value.size() != 1) {
    reader.invalid(pointer, "must hold exactly one of \"equals\", \"matches\", \"only_from\"");
    return;
  }
  const auto it = value.begin();
  const std::string& key = it.key();
  const nlohmann::json& member = it.value();
  const std::string at = detail::child(pointer, key);
  KernelCmdlineRule rule;
  if (key == "only_from") {
    auto name = reader.name(member, at);
    if (!name) return;
    rule.mode = KernelCmdlineRule::Mode::only_from;
    rule.value = std::move(*name);
  } else {
    auto text = reader.string(member, at);
    if (!text) return;
    rule.mode = key == "equals" ? KernelCmdlineRule::Mode::equals : KernelCmdlineRule::Mode::matches;
    if (rule.mode == KernelCmdlineRule::Mode::matches) {
      if (text->size() > kMaxPatternLength) {
        reader.invalid(at, fmt::format("the pattern is longer than {} characters", kMaxPatternLength));
        return;
      }
      if (auto error = check_pattern(*text)) {
        reader.invalid(at, fmt::format("not a valid RE2 pattern: {}", *error));
        return;
      }
    }
    rule.value = std::move(*text);
  }
  out.kernel_cmdline = std::move(rule);
}

void read_events(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/events";
  if (!reader.object(value, pointer, {"pcrs", "only_from"})) return;
  EventRules rules;
  bool ok = true;
  if (const auto* pcrs = reader.member(value, pointer, "pcrs", true)) {
    const std::string pp = pointer + "/pcrs";
    if (!pcrs->is_array() || pcrs->empty()) {
      reader.invalid(pp, "must be a non-empty array of PCR indices");
      ok = false;
    } else {
      std::set<uint32_t> seen;
      for (size_t i = 0; i < pcrs->size(); ++i) {
        const std::string at = detail::child(pp, i);
        const auto n = reader.integer((*pcrs)[i], at, 0, evidence::kPcrCount - 1);
        if (!n) {
          ok = false;
          continue;
        }
        if (!seen.insert(static_cast<uint32_t>(*n)).second) reader.invalid(at, fmt::format("PCR {} is listed twice", *n));
      }
      rules.pcrs.assign(seen.begin(), seen.end());
    }
  } else {
    ok = false;
  }
  if (const auto* set = reader.member(value, pointer, "only_from", true)) {
    auto name = reader.name(*set, pointer + "/only_from");
    ok = ok && name.has_value();
    if (name) rules.only_from = std::move(*name);
  } else {
    ok = false;
  }
  if (ok) out.events = std::move(rules);
}

void read_hosts(detail::DocumentReader& reader, const nlohmann::json& value, Policy& out) {
  const std::string pointer = "/hosts";
  if (!reader.object(value, pointer, {"labels"})) return;
  const auto* labels = reader.member(value, pointer, "labels", true);
  if (labels == nullptr) return;
  if (!labels->is_object()) {
    reader.invalid("/hosts/labels", "must be an object of label names to string values");
    return;
  }
  Labels out_labels;
  for (const auto& [key, label_value] : labels->items()) {
    const std::string at = detail::child("/hosts/labels", key);
    if (key.empty()) {
      reader.invalid(at, "label names must not be empty");
      continue;
    }
    if (auto text = reader.string(label_value, at)) out_labels.emplace(key, std::move(*text));
  }
  out.host_labels = std::move(out_labels);
}

// Keys that are each valid but together describe a policy that cannot be applied as written.
// Runs only on a document without other errors: its checks read the parsed values.
void check_consistency(detail::DocumentReader& reader, const nlohmann::json& document, const Policy& p) {
  const auto inconsistent = [&](const std::string& pointer, std::string_view message) {
    reader.fail(kDocumentInconsistent, pointer, message);
  };
  const bool governs_pcrs = std::any_of(p.pcrs.begin(), p.pcrs.end(), [](const auto& bank) { return !bank.second.empty(); });
  if (!p.require_tpm && p.require_gpus.min == 0) {
    inconsistent("/require", "requires no evidence at all (neither a TPM nor a GPU): such a policy would pass anything");
  }
  if (governs_pcrs && !p.require_tpm) inconsistent("/pcrs", "PCRs are governed but require.tpm is false");
  if (p.require_event_log && !p.require_tpm) inconsistent("/require/event_log", "an event log requires require.tpm: true");
  const bool admits_gpus = !p.require_gpus.max || *p.require_gpus.max > 0;
  if (admits_gpus && !document.contains("gpu")) {
    inconsistent("/gpu", "require.gpus admits GPUs, so the policy must say which models and how to judge them");
  }
  if (p.has_event_rules() && !p.require_event_log) {
    inconsistent("/require/event_log", "event-level rules read the measured-boot log, so require.event_log must be true");
  }
  const auto named = [&](const std::string& set, const std::string& pointer) {
    if (std::find(p.reference_sets.begin(), p.reference_sets.end(), set) == p.reference_sets.end()) {
      inconsistent(pointer, fmt::format("reference set {} is not listed in reference_sets", set));
    }
  };
  if (p.boot_applications_only_from) named(*p.boot_applications_only_from, "/boot_applications/only_from");
  if (p.kernel_cmdline && p.kernel_cmdline->mode == KernelCmdlineRule::Mode::only_from) {
    named(p.kernel_cmdline->value, "/kernel_cmdline/only_from");
  }
  if (p.events) named(p.events->only_from, "/events/only_from");
  const bool needs_golden = governs_pcrs || (p.gpu && p.gpu->measurements == GpuMeasurements::reference);
  if (needs_golden && p.reference_sets.empty()) {
    inconsistent("/reference_sets",
                 "golden values are required (pcrs, or gpu.measurements \"reference\") but no reference set is named");
  }
}

}  // namespace

std::string_view to_string(GpuMeasurements mode) {
  switch (mode) {
    case GpuMeasurements::reference: return "reference";
    case GpuMeasurements::rim: return "rim";
    case GpuMeasurements::none: return "none";
  }
  return "unknown";
}

std::expected<Policy, DocumentErrors> parse_policy_json(const nlohmann::json& document) {
  detail::DocumentReader reader(kIds);
  if (!document.is_object()) {
    return std::unexpected(DocumentErrors{{kDocumentMalformed, "(document): must be a JSON object"}});
  }
  reader.object(document, "", {"version", "name", "description", "require", "reference_sets", "pcrs", "gpu",
                               "max_age_seconds", "hosts", "keys", "secure_boot", "dbx", "boot_applications",
                               "kernel_cmdline", "events"});
  reader.version(document);

  Policy out;
  if (const auto* name = reader.member(document, "", "name", true)) {
    if (auto n = reader.name(*name, "/name")) out.name = std::move(*n);
  }
  if (const auto* description = reader.member(document, "", "description", false)) {
    if (auto d = reader.string(*description, "/description")) out.description = std::move(*d);
  }
  if (const auto* require = reader.member(document, "", "require", true)) read_require(reader, *require, out);
  if (const auto* sets = reader.member(document, "", "reference_sets", false)) {
    out.reference_sets = read_names(reader, *sets, "/reference_sets", /*non_empty=*/false);
  }
  // Required even when empty: "pcrs": {} is a decision to check no PCR, never an omission.
  if (const auto* pcrs = reader.member(document, "", "pcrs", true)) read_pcrs(reader, *pcrs, out);
  if (const auto* gpu = reader.member(document, "", "gpu", false)) read_gpu(reader, *gpu, out);
  if (const auto* age = reader.member(document, "", "max_age_seconds", true)) {
    if (auto n = reader.integer(*age, "/max_age_seconds", 1, kMaxAgeLimitSeconds)) out.max_age = std::chrono::seconds(*n);
  }
  if (const auto* hosts = reader.member(document, "", "hosts", false)) read_hosts(reader, *hosts, out);
  if (const auto* keys = reader.member(document, "", "keys", false)) {
    out.keys = read_names(reader, *keys, "/keys", /*non_empty=*/false);
  }
  if (const auto* v = reader.member(document, "", "secure_boot", false)) read_secure_boot(reader, *v, out);
  if (const auto* v = reader.member(document, "", "dbx", false)) read_dbx(reader, *v, out);
  if (const auto* v = reader.member(document, "", "boot_applications", false)) {
    out.boot_applications_only_from = read_only_from(reader, *v, "/boot_applications");
  }
  if (const auto* v = reader.member(document, "", "kernel_cmdline", false)) read_kernel_cmdline(reader, *v, out);
  if (const auto* v = reader.member(document, "", "events", false)) read_events(reader, *v, out);
  if (reader.ok()) check_consistency(reader, document, out);

  if (!reader.ok()) return std::unexpected(reader.take());
  return out;
}

std::expected<Policy, DocumentErrors> parse_policy(std::string_view json_text) {
  auto document = detail::parse_json_text(json_text, kDocumentMalformed);
  if (!document) return std::unexpected(DocumentErrors{std::move(document.error())});
  return parse_policy_json(*document);
}

}  // namespace attestd::policy
