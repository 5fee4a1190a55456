// Appraisal of claims against a policy (issue 4's first model). Every rule is checked and every
// failure recorded (STYLE 8); the verdict is derived from the reasons only at the end.
#include "attestd/policy/appraisal.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attestd/evidence/digest.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/version_order.h"
#include "measured_boot.h"

namespace attestd::policy {

namespace {

constexpr Ar4siDimension kIdentity = Ar4siDimension::instance_identity;

class Reasons {
 public:
  void add(std::string_view id, std::string message, std::string_view submod, std::optional<Ar4siDimension> dimension,
           Verdict verdict = Verdict::contraindicated) {
    list_.push_back(Reason{id, std::move(message), std::string(submod), dimension, verdict, std::nullopt});
  }
  // An evidence failure, passed through unchanged with the submodule it came from.
  void evidence(const evidence::Error& error, std::string_view submod) {
    add(error.id, error.message, submod, dimension_of_evidence_reason(error.id));
  }
  void push(Reason reason) { list_.push_back(std::move(reason)); }
  std::vector<Reason> take() { return std::move(list_); }

 private:
  std::vector<Reason> list_;
};

// Passes every evidence reason through, and refuses evidence marked unverified without a reason
// (a caller that broke the Claims contract must not produce a pass).
void pass_through_evidence(const Claims& claims, Reasons& out) {
  for (const auto& error : claims.reasons) out.evidence(error, "");
  if (claims.tpm) {
    const TpmClaims& tpm = *claims.tpm;
    for (const auto& error : tpm.quote_reasons) out.evidence(error, kTpmSubmod);
    if (!tpm.quote_verified && tpm.quote_reasons.empty()) {
      out.add(kUnverified, "the TPM quote did not verify, and no reason was given", kTpmSubmod, kIdentity);
    }
    for (const auto& error : tpm.event_log_reasons) out.evidence(error, kTpmSubmod);
    if (tpm.event_log_present && !tpm.event_log_verified && tpm.event_log_reasons.empty()) {
      out.add(kUnverified, "the event log did not replay to the quoted PCRs, and no reason was given", kTpmSubmod,
              Ar4siDimension::executables);
    }
  }
  for (size_t i = 0; i < claims.gpus.size(); ++i) {
    const GpuClaim& gpu = claims.gpus[i];
    const std::string submod = gpu_submod(i);
    for (const auto& error : gpu.reasons) out.evidence(error, submod);
    if (!gpu.verified && gpu.reasons.empty()) {
      out.add(kUnverified, fmt::format("GPU {} ({}) did not verify, and no reason was given", i, gpu.model), submod,
              kIdentity);
    }
  }
}

void check_freshness(const Policy& policy, const Claims& claims, std::chrono::sys_seconds now, Reasons& out) {
  if (!claims.evidence_time) {
    out.add(kStale, "the evidence has no time, so its age cannot be bounded", "", std::nullopt);
    return;
  }
  const auto age = now - *claims.evidence_time;
  if (age < std::chrono::seconds(0)) {
    // Our own challenge cannot be issued after now; a clock that went backwards must not pass.
    out.add(kStale, fmt::format("the evidence time is {} s after now", -age.count()), "", std::nullopt);
  } else if (age > policy.max_age) {
    out.add(kStale, fmt::format("the evidence is {} s old; policy {} allows {} s", age.count(), policy.name,
                                policy.max_age.count()),
            "", std::nullopt);
  }
}

std::string describe(const GpuCount& count) {
  if (count.max && *count.max == count.min) return fmt::format("exactly {}", count.min);
  if (!count.max) return fmt::format("at least {}", count.min);
  return fmt::format("between {} and {}", count.min, *count.max);
}

void check_required_evidence(const Policy& policy, const Claims& claims, Reasons& out) {
  if (policy.require_tpm && !claims.tpm) {
    out.add(kTpmMissing, fmt::format("policy {} requires TPM evidence and none was given", policy.name), kTpmSubmod,
            kIdentity);
  }
  if (policy.require_event_log && (!claims.tpm || !claims.tpm->event_log_present)) {
    out.add(kEventLogMissing, fmt::format("policy {} requires a measured-boot event log and none was given", policy.name),
            kTpmSubmod, Ar4siDimension::executables);
  }
  const size_t n = claims.gpus.size();
  const GpuCount& want = policy.require_gpus;
  if (n < want.min || (want.max && n > *want.max)) {
    out.add(kGpuCount, fmt::format("{} GPU(s) presented; policy {} requires {}", n, policy.name, describe(want)), "",
            Ar4siDimension::hardware);
  }
}

// The reference sets the policy names, in the policy's order; a name missing from `available` is a
// reason. With several supplied sets of one name the first counts (names are unique per tenant).
std::vector<const ReferenceSet*> used_reference_sets(const Policy& policy,
                                                     std::span<const ReferenceSet* const> available, Reasons& out) {
  std::vector<const ReferenceSet*> used;
  for (const auto& name : policy.reference_sets) {
    const auto it =
        std::find_if(available.begin(), available.end(), [&](const ReferenceSet* s) { return s->name == name; });
    if (it == available.end()) {
      out.add(kReferenceSetMissing, fmt::format("policy {} names reference set {}, which is not available", policy.name, name),
              "", std::nullopt);
    } else {
      used.push_back(*it);
    }
  }
  return used;
}

std::string set_names(const std::vector<const ReferenceSet*>& sets) {
  std::vector<std::string_view> names;
  for (const auto* s : sets) names.push_back(s->name);
  return names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "));
}

// The alternatives every used set lists for one PCR or GPU index. A fleet's set holds thousands of
// them, so matching scans the sets' own lists (linear in their size) instead of building their
// union per request (quadratic: 10,000 values cost 10 ms per attestation that way).
template <typename Value>
struct GoldenAlternatives {
  std::vector<const std::vector<Value>*> lists;  // one per set that governs the value

  bool empty() const {
    return std::all_of(lists.begin(), lists.end(), [](const auto* l) { return l->empty(); });
  }
  bool allows(const Value& got) const {
    return std::any_of(lists.begin(), lists.end(),
                       [&](const auto* l) { return std::find(l->begin(), l->end(), got) != l->end(); });
  }
  // For a mismatch reason: the first kShown distinct alternatives in set order, and how many more
  // there are, so that one reason stays readable and small whatever the set's size.
  template <typename Hex>
  std::string describe(Hex hex) const {
    constexpr size_t kShown = 8;
    std::vector<std::string> shown;
    std::unordered_set<std::string> seen;
    for (const auto* l : lists) {
      for (const auto& v : *l) {
        auto h = hex(v);
        if (seen.insert(h).second && shown.size() < kShown) shown.push_back(std::move(h));
      }
    }
    std::string out = fmt::format("{}", fmt::join(shown, ", "));
    if (seen.size() > shown.size()) out += fmt::format(" and {} more", seen.size() - shown.size());
    return out;
  }
};

template <typename Value, typename Lookup>
GoldenAlternatives<Value> golden_alternatives(const std::vector<const ReferenceSet*>& sets, Lookup lookup) {
  GoldenAlternatives<Value> out;
  for (const auto* set : sets) {
    if (const std::vector<Value>* values = lookup(*set)) out.lists.push_back(values);
  }
  return out;
}

void check_pcrs(const Policy& policy, const std::vector<const ReferenceSet*>& sets, const TpmClaims& tpm, Reasons& out) {
  for (const auto& [bank, indices] : policy.pcrs) {
    const std::string_view bank_name = evidence::hash_alg_name(bank);
    const auto quoted_bank = tpm.pcrs.find(bank);
    for (const uint32_t index : indices) {
      const Ar4siDimension dimension = dimension_of_pcr(index);
      const auto allowed = golden_alternatives<evidence::Digest>(sets, [&](const ReferenceSet& s) -> const std::vector<evidence::Digest>* {
        const auto b = s.pcrs.find(bank);
        if (b == s.pcrs.end()) return nullptr;
        const auto i = b->second.find(index);
        return i == b->second.end() ? nullptr : &i->second;
      });
      if (allowed.empty()) {
        // Fail closed: a PCR the policy governs but no golden value describes cannot pass.
        out.add(kPcrUnknown,
                fmt::format("{} PCR {} has no golden value in reference sets {}", bank_name, index, set_names(sets)),
                kTpmSubmod, dimension);
      }
      const evidence::Digest* got = nullptr;
      if (quoted_bank != tpm.pcrs.end()) {
        const auto q = quoted_bank->second.find(index);
        if (q != quoted_bank->second.end()) got = &q->second;
      }
      if (got == nullptr) {
        out.add(kPcrNotQuoted, fmt::format("{} PCR {} is governed by policy {} but was not quoted", bank_name, index, policy.name),
                kTpmSubmod, dimension);
        continue;
      }
      if (!allowed.empty() && !allowed.allows(*got)) {
        out.add(kPcrMismatch,
                fmt::format("{} PCR {} is {}; allowed: {}", bank_name, index, got->hex(),
                            allowed.describe([](const evidence::Digest& d) { return d.hex(); })),
                kTpmSubmod, dimension);
      }
    }
  }
}

void check_gpu_reference(const std::vector<const ReferenceSet*>& sets, const GpuClaim& gpu, const std::string& submod,
                         Reasons& out) {
  // Indices any used set governs for this model, ascending; indices the report has beyond them are
  // not judged, as NVIDIA's verifiers do with indices a RIM leaves inactive.
  std::set<uint32_t> governed;
  for (const auto* set : sets) {
    const auto model = set->gpu.find(gpu.model);
    if (model == set->gpu.end()) continue;
    for (const auto& [index, values] : model->second) governed.insert(index);
  }
  if (governed.empty()) {
    out.add(kGpuUnknown, fmt::format("no reference set ({}) has golden values for GPU model {}", set_names(sets), gpu.model),
            submod, Ar4siDimension::executables);
    return;
  }
  for (const uint32_t index : governed) {
    const auto allowed = golden_alternatives<GpuMeasurement>(sets, [&](const ReferenceSet& s) -> const std::vector<GpuMeasurement>* {
      const auto m = s.gpu.find(gpu.model);
      if (m == s.gpu.end()) return nullptr;
      const auto i = m->second.find(index);
      return i == m->second.end() ? nullptr : &i->second;
    });
    const auto got = gpu.measurements.find(index);
    if (got == gpu.measurements.end()) {
      out.add(kGpuMeasurementMismatch, fmt::format("GPU model {} measurement index {} is missing from the report", gpu.model, index),
              submod, Ar4siDimension::executables);
      continue;
    }
    if (!allowed.allows(got->second)) {
      out.add(kGpuMeasurementMismatch,
              fmt::format("GPU model {} measurement index {} is {}; allowed: {}", gpu.model, index,
                          evidence::to_hex(got->second),
                          allowed.describe([](const GpuMeasurement& v) { return evidence::to_hex(v); })),
              submod, Ar4siDimension::executables);
    }
  }
}

void check_gpu_rim(const GpuClaim& gpu, const std::string& submod, Reasons& out) {
  if (!gpu.rim) {
    out.add(kGpuRimNotCompared, fmt::format("GPU model {} measurements were not compared with its RIMs", gpu.model), submod,
            Ar4siDimension::executables);
    return;
  }
  if (gpu.rim->match) return;
  for (const uint32_t index : gpu.rim->mismatching_spdm_indices) {
    out.add(kGpuMeasurementMismatch,
            fmt::format("GPU model {} measurement index {} does not match its RIM (RIM index {})", gpu.model, index,
                        index == 0 ? 0 : index - 1),
            submod, Ar4siDimension::executables);
  }
  if (gpu.rim->mismatching_spdm_indices.empty()) {
    out.add(kGpuMeasurementMismatch, fmt::format("GPU model {} measurements do not match its RIMs", gpu.model), submod,
            Ar4siDimension::executables);
  }
}

void check_gpu_version(const std::optional<std::string>& have, const std::optional<std::string>& minimum,
                       std::string_view what, std::string_view too_old, const GpuClaim& gpu, const std::string& submod,
                       Reasons& out) {
  if (!minimum) return;
  const auto order = have ? compare_versions(*have, *minimum) : std::nullopt;
  if (!order) {
    out.add(kGpuVersionUnknown,
            fmt::format("GPU model {} {} version is {}; the policy requires at least {}", gpu.model, what,
                        have ? fmt::format("unreadable (\"{}\")", *have) : std::string("unknown"), *minimum),
            submod, Ar4siDimension::hardware);
  } else if (*order < 0) {
    out.add(too_old, fmt::format("GPU model {} {} version {} is older than {}", gpu.model, what, *have, *minimum), submod,
            Ar4siDimension::hardware);
  }
}

void check_gpus(const Policy& policy, const std::vector<const ReferenceSet*>& sets, const Claims& claims, Reasons& out) {
  if (!policy.gpu) return;  // the policy admits no GPU; check_required_evidence reported any
  const GpuRules& rules = *policy.gpu;
  for (size_t i = 0; i < claims.gpus.size(); ++i) {
    const GpuClaim& gpu = claims.gpus[i];
    if (!gpu.verified) continue;  // an unverified model or measurement says nothing
    const std::string submod = gpu_submod(i);
    if (std::find(rules.models.begin(), rules.models.end(), gpu.model) == rules.models.end()) {
      out.add(kGpuModelNotAllowed,
              fmt::format("GPU model {} is not allowed by policy {} (allowed: {})", gpu.model, policy.name,
                          fmt::join(rules.models, ", ")),
              submod, Ar4siDimension::hardware);
    }
    check_gpu_version(gpu.driver_version, rules.min_driver, "driver", kGpuDriverTooOld, gpu, submod, out);
    check_gpu_version(gpu.vbios_version, rules.min_vbios, "VBIOS", kGpuVbiosTooOld, gpu, submod, out);
    switch (rules.measurements) {
      case GpuMeasurements::reference: check_gpu_reference(sets, gpu, submod, out); break;
      case GpuMeasurements::rim: check_gpu_rim(gpu, submod, out); break;
      case GpuMeasurements::none: break;
    }
  }
}

Verdict verdict_of(const std::vector<Reason>& reasons, const std::string* submod) {
  Verdict v = Verdict::affirming;
  for (const auto& r : reasons) {
    if (submod == nullptr || r.submod.empty() || r.submod == *submod) v = worse(v, r.verdict);
  }
  return v;
}

// Submodules, the dimensions each passed check vouches for, then every reason folded in.
void assemble(const Policy* policy, const Claims& claims, Appraisal& a) {
  const bool tpm_submod = claims.tpm.has_value() || (policy != nullptr && policy->require_tpm);
  if (tpm_submod) {
    auto& tpm = a.submods[std::string(kTpmSubmod)];
    if (claims.tpm && claims.tpm->quote_verified) {
      tpm.dimensions[kIdentity] = Verdict::affirming;
      if (policy != nullptr) {
        for (const auto& [bank, indices] : policy->pcrs) {
          for (const uint32_t index : indices) tpm.dimensions[dimension_of_pcr(index)] = Verdict::affirming;
        }
        // Event-level rules vouch for what ran and how it was configured.
        if (policy->has_event_rules()) {
          tpm.dimensions[Ar4siDimension::executables] = Verdict::affirming;
          tpm.dimensions[Ar4siDimension::configuration] = Verdict::affirming;
        }
      }
    }
  }
  for (size_t i = 0; i < claims.gpus.size(); ++i) {
    auto& gpu = a.submods[gpu_submod(i)];
    if (!claims.gpus[i].verified) continue;
    gpu.dimensions[kIdentity] = Verdict::affirming;
    gpu.dimensions[Ar4siDimension::hardware] = Verdict::affirming;
    if (policy != nullptr && policy->gpu && policy->gpu->measurements != GpuMeasurements::none) {
      gpu.dimensions[Ar4siDimension::executables] = Verdict::affirming;
    }
  }
  for (auto& [name, submod] : a.submods) {
    submod.verdict = verdict_of(a.reasons, &name);
    for (const auto& r : a.reasons) {
      if (!(r.submod.empty() || r.submod == name)) continue;
      submod.reason_ids.emplace_back(r.id);
      if (!r.dimension) continue;
      const auto it = submod.dimensions.find(*r.dimension);
      submod.dimensions[*r.dimension] = it == submod.dimensions.end() ? r.verdict : worse(it->second, r.verdict);
    }
  }
  a.verdict = verdict_of(a.reasons, nullptr);
}

}  // namespace

std::string gpu_submod(size_t index) { return fmt::format("gpu{}", index); }

Ar4siDimension dimension_of_evidence_reason(std::string_view id) {
  // The log fails to explain the quoted measurements, or measurements differ from the vendor's:
  // what ran is in doubt. Everything else (signatures, chains, nonces, structure) means the
  // evidence cannot be attributed to the enrolled instance.
  if (id.starts_with("eventlog.") || id.starts_with("gpu.measurement.") || id.starts_with("rim.")) {
    return Ar4siDimension::executables;
  }
  return kIdentity;
}

Ar4siDimension dimension_of_pcr(uint32_t index) {
  // Code measurements: TCG PC Client PFP 1.05, 3.3.4 (PCR 0 firmware, 2 option ROM / driver code,
  // 4 boot manager code); Linux TPM PCR registry (uapi-group.org): 9 files grub/the kernel loads,
  // 10 IMA, 11 unified kernel image, 13 system extensions; DRTM: 17 launch code, 18 trusted OS
  // start-up code. The others hold configuration and data (1, 3, 5, 6, 7 per PFP; 8 grub
  // commands, 12 kernel command line, 14 shim MOK, 15 system identity, 16 debug, 19-23).
  switch (index) {
    case 0: case 2: case 4: case 9: case 10: case 11: case 13: case 17: case 18:
      return Ar4siDimension::executables;
    default:
      return Ar4siDimension::configuration;
  }
}

Appraisal appraise(const Policy& policy, std::span<const ReferenceSet> reference_sets, const Claims& claims,
                   std::chrono::sys_seconds now) {
  std::vector<const ReferenceSet*> pointers;
  pointers.reserve(reference_sets.size());
  for (const auto& s : reference_sets) pointers.push_back(&s);
  return appraise_by_reference(policy, pointers, claims, now);
}

Appraisal appraise_by_reference(const Policy& policy, std::span<const ReferenceSet* const> reference_sets,
                                const Claims& claims, std::chrono::sys_seconds now) {
  Reasons reasons;
  pass_through_evidence(claims, reasons);
  check_freshness(policy, claims, now, reasons);
  check_required_evidence(policy, claims, reasons);
  const auto sets = used_reference_sets(policy, reference_sets, reasons);
  // Golden values are compared only with verified values (see appraisal.h).
  if (claims.tpm && claims.tpm->quote_verified) {
    check_pcrs(policy, sets, *claims.tpm, reasons);
    for (auto& r : appraise_measured_boot(policy, sets, *claims.tpm)) reasons.push(std::move(r));
  }
  check_gpus(policy, sets, claims, reasons);

  Appraisal a;
  a.policy_name = policy.name;
  a.reasons = reasons.take();
  assemble(&policy, claims, a);
  if (a.verdict == Verdict::affirming && claims.tee_key_bound) a.releasable_keys = policy.keys;
  return a;
}

Appraisal appraise_without_policy(const Claims& claims, const evidence::Error& why) {
  Reasons reasons;
  // "No policy, no pass": the verdict is at best none; bad evidence still reads contraindicated.
  reasons.add(why.id, why.message, "", std::nullopt, Verdict::none);
  pass_through_evidence(claims, reasons);
  Appraisal a;
  a.reasons = reasons.take();
  assemble(nullptr, claims, a);
  return a;
}

}  // namespace attestd::policy
