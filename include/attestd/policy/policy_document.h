// Policy documents (issues 4 and 5): the evidence a host must present, the reference sets
// whose golden values apply, the PCRs that must equal them, the GPUs allowed, the maximum evidence
// age, the hosts it applies to by label and the keys a passing host may receive.
// Format: golden-values/schema/policy.schema.json; golden-values/README.md explains each key.
//
//   {"version": 1, "name": "prod-gpu", "description": "...",
//    "require": {"tpm": true, "event_log": true, "gpus": {"min": 1, "max": 8}},
//    "reference_sets": ["sb-shim-grub", "gh100-535"],
//    "pcrs": {"sha256": [0, 1, 2, 3, 4, 5, 6, 7]},
//    "gpu": {"models": ["GH100"], "measurements": "reference"},
//    "max_age_seconds": 300,
//    "hosts": {"labels": {"role": "gpu-node"}},
//    "keys": ["model-weights"],
//    "secure_boot": "required", "dbx": {"must_contain": ["<sha256>"]},
//    "boot_applications": {"only_from": "sb-shim-grub"},
//    "kernel_cmdline": {"equals": "..."} | {"matches": "<RE2>"} | {"only_from": "sb-shim-grub"},
//    "events": {"pcrs": [0, 1, 2, 3, 4, 5, 6, 7], "only_from": "sb-shim-grub"}}
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attestd/evidence/hash_alg.h"
#include "attestd/policy/document.h"

namespace attestd::policy {

// Upper bounds that catch typos rather than limit real machines.
inline constexpr uint32_t kMaxGpuCount = 1024;
inline constexpr int64_t kMaxAgeLimitSeconds = 7 * 24 * 3600;

using Labels = std::map<std::string, std::string>;

// How GPU measurements are judged.
enum class GpuMeasurements {
  reference,  // against the GPU golden values of the policy's reference sets, by model and index
  rim,        // by the evidence layer's comparison with NVIDIA's signed RIMs (GpuClaim::rim)
  none,       // not at all: only the device identity and model are appraised
};

std::string_view to_string(GpuMeasurements mode);

// An inclusive range; max nullopt means unbounded. {n, n} is "exactly n".
struct GpuCount {
  uint32_t min = 0;
  std::optional<uint32_t> max = 0;
};

struct GpuRules {
  std::vector<std::string> models;  // non-empty, exact model names (GpuClaim::model)
  GpuMeasurements measurements = GpuMeasurements::reference;
  // Lowest driver and VBIOS versions accepted (version_order.h compares them); nullopt: any.
  std::optional<std::string> min_driver;
  std::optional<std::string> min_vbios;
};

// Longest "kernel_cmdline": {"matches": ...} pattern accepted (RE2 syntax, whole-string match).
inline constexpr size_t kMaxPatternLength = 1024;

// "kernel_cmdline": {"equals": "..."} | {"matches": "<RE2>"} | {"only_from": "<reference set>"}.
struct KernelCmdlineRule {
  enum class Mode { equals, matches, only_from };
  Mode mode = Mode::equals;
  std::string value;  // the command line, the pattern, or the reference set name
};

// "events": {"pcrs": [...], "only_from": "<reference set>"}: every event of the verified log in one
// of these PCRs must be one the set lists (except those a more specific rule judges: boot
// applications and drivers under "boot_applications", the command line under "kernel_cmdline");
// every governed PCR 0-7 must hold a separator and, when PCR 5 is governed, the log must hold
// "Exit Boot Services Invocation".
struct EventRules {
  std::vector<uint32_t> pcrs;  // ascending, unique, 0-23
  std::string only_from;
};

struct Policy {
  std::string name;
  std::string description;

  bool require_tpm = true;
  bool require_event_log = true;
  GpuCount require_gpus;

  std::vector<std::string> reference_sets;  // unique names, document order
  // bank -> PCR indices (0-23) that must equal a golden value; indices ascending and unique.
  std::map<evidence::HashAlg, std::vector<uint32_t>> pcrs;
  // Present whenever require_gpus admits a GPU (enforced by the parser).
  std::optional<GpuRules> gpu;
  std::chrono::seconds max_age{0};
  // nullopt: the policy applies only to hosts bound to it by name. An empty map applies to every
  // host (see selection.h).
  std::optional<Labels> host_labels;
  std::vector<std::string> keys;  // unique key names a passing host may receive (issue 6)

  // Event-level measured-boot rules (issue 5); each is off when absent.
  bool secure_boot_required = false;                        // "secure_boot": "required"
  std::vector<std::basic_string<uint8_t>> dbx_must_contain;  // "dbx": {"must_contain": [SHA-256 ...]}
  std::optional<std::string> boot_applications_only_from;   // "boot_applications": {"only_from": SET}
  std::optional<KernelCmdlineRule> kernel_cmdline;
  std::optional<EventRules> events;

  // The names of the keys a passing host may receive, for the key broker.
  [[nodiscard]] const std::vector<std::string>& releasable_keys() const { return keys; }
  // True when a rule reads the events of the log (not only PCR values).
  [[nodiscard]] bool has_event_rules() const {
    return secure_boot_required || !dbx_must_contain.empty() || boot_applications_only_from || kernel_cmdline || events;
  }
};

// Parses a policy document strictly: unknown or duplicate keys, wrong types, out-of-range numbers
// and contradictions (PCRs without a TPM, GPUs allowed without GPU rules, golden values required
// without reference sets) are errors. Returns every problem found; nothing is borrowed.
std::expected<Policy, DocumentErrors> parse_policy(std::string_view json_text);
std::expected<Policy, DocumentErrors> parse_policy_json(const nlohmann::json& document);

}  // namespace attestd::policy
