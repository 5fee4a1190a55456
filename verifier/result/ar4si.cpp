#include "attestd/result/ar4si.h"

namespace attestd::result {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kAffirming:
      return "affirming";
    case Status::kNone:
      return "none";
    case Status::kWarning:
      return "warning";
    case Status::kContraindicated:
      return "contraindicated";
  }
  return "none";
}

std::optional<Status> parse_status(std::string_view s) {
  for (const Status st : {Status::kAffirming, Status::kNone, Status::kWarning, Status::kContraindicated}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

Status tier_of(int8_t code) {
  // draft-ietf-rats-ar4si §2.3.1 ranges.
  const int c = code;
  if (c >= -1 && c <= 1) return Status::kNone;
  if ((c >= 2 && c <= 31) || (c >= -32 && c <= -2)) return Status::kAffirming;
  if ((c >= 32 && c <= 95) || (c >= -96 && c <= -33)) return Status::kWarning;
  return Status::kContraindicated;
}

Status TrustVector::worst_tier() const {
  Status worst = Status::kAffirming;
  for (const auto& claim : {instance_identity, configuration, executables, file_system, hardware, runtime_opaque,
                            storage_opaque, sourced_data}) {
    if (claim && *claim != ar4si::kNoClaim) worst = worse(worst, tier_of(*claim));
  }
  return worst;
}

namespace {

enum class Claim { kInstanceIdentity, kConfiguration, kExecutables, kHardware };

struct Rule {
  enum class Match { kExact, kPrefix, kSuffix, kContains } match;
  std::string_view pattern;
  Claim claim;
  int8_t code;
};

// The mapping documented in ar4si.h; the first matching rule wins for a reason.
constexpr Rule kRules[] = {
    {Rule::Match::kSuffix, ".signature_invalid", Claim::kInstanceIdentity, ar4si::kCryptoValidationFailed},
    {Rule::Match::kSuffix, ".nonce_mismatch", Claim::kInstanceIdentity, ar4si::kCryptoValidationFailed},
    {Rule::Match::kExact, "tpm.quote.pcr_digest_mismatch", Claim::kInstanceIdentity, ar4si::kCryptoValidationFailed},
    {Rule::Match::kExact, "spdm.key.mismatch", Claim::kInstanceIdentity, ar4si::kCryptoValidationFailed},
    {Rule::Match::kExact, "spdm.requester_context_mismatch", Claim::kInstanceIdentity, ar4si::kCryptoValidationFailed},
    {Rule::Match::kExact, "gpu.cert.expired", Claim::kInstanceIdentity, ar4si::kUntrustworthyInstance},
    {Rule::Match::kExact, "gpu.cert.not_yet_valid", Claim::kInstanceIdentity, ar4si::kUntrustworthyInstance},
    {Rule::Match::kPrefix, "gpu.cert.", Claim::kInstanceIdentity, ar4si::kUnrecognizedInstance},
    {Rule::Match::kPrefix, "spdm.cert_chain.", Claim::kInstanceIdentity, ar4si::kUnrecognizedInstance},
    {Rule::Match::kPrefix, "eventlog.replay.", Claim::kExecutables, ar4si::kCryptoValidationFailed},
    {Rule::Match::kExact, "eventlog.event.digest_mismatch", Claim::kExecutables, ar4si::kCryptoValidationFailed},
    {Rule::Match::kPrefix, "policy.golden.", Claim::kExecutables, ar4si::kContraindicatedRuntime},
    // Event-level measured-boot rules (policy/reasons.h, issue 5).
    {Rule::Match::kPrefix, "policy.boot_application.", Claim::kExecutables, ar4si::kContraindicatedRuntime},
    {Rule::Match::kPrefix, "policy.eventlog.", Claim::kExecutables, ar4si::kContraindicatedRuntime},
    {Rule::Match::kPrefix, "secureboot.", Claim::kConfiguration, ar4si::kUnsupportableConfig},
    {Rule::Match::kPrefix, "policy.dbx.", Claim::kConfiguration, ar4si::kUnsupportableConfig},
    {Rule::Match::kPrefix, "policy.kernel_cmdline.", Claim::kConfiguration, ar4si::kUnsupportableConfig},
    {Rule::Match::kExact, "policy.gpu.driver_too_old", Claim::kHardware, ar4si::kContraindicatedHardware},
    {Rule::Match::kExact, "policy.gpu.vbios_too_old", Claim::kHardware, ar4si::kContraindicatedHardware},
    {Rule::Match::kExact, "policy.gpu.version_unknown", Claim::kHardware, ar4si::kUnrecognizedHardware},
    {Rule::Match::kExact, "gpu.measurement.mismatch", Claim::kHardware, ar4si::kContraindicatedHardware},
    {Rule::Match::kExact, "gpu.measurement.missing", Claim::kHardware, ar4si::kUnrecognizedHardware},
    {Rule::Match::kExact, "tpm.quote.not_safe", Claim::kConfiguration, ar4si::kUnsafeConfig},
    {Rule::Match::kSuffix, ".malformed", Claim::kInstanceIdentity, ar4si::kUnexpectedEvidence},
    {Rule::Match::kSuffix, ".trailing_bytes", Claim::kInstanceIdentity, ar4si::kUnexpectedEvidence},
    {Rule::Match::kSuffix, ".unsupported", Claim::kInstanceIdentity, ar4si::kUnexpectedEvidence},
    {Rule::Match::kSuffix, ".truncated", Claim::kInstanceIdentity, ar4si::kUnexpectedEvidence},
    {Rule::Match::kContains, ".parse.", Claim::kInstanceIdentity, ar4si::kUnexpectedEvidence},
};

bool matches(const Rule& r, std::string_view id) {
  switch (r.match) {
    case Rule::Match::kExact:
      return id == r.pattern;
    case Rule::Match::kPrefix:
      return id.starts_with(r.pattern);
    case Rule::Match::kSuffix:
      return id.ends_with(r.pattern);
    case Rule::Match::kContains:
      return id.find(r.pattern) != std::string_view::npos;
  }
  return false;
}

// Keeps the worse code: by tier first, then the larger magnitude (99 "crypto failed" over 96).
void lower(std::optional<int8_t>& slot, int8_t code) {
  if (!slot) {
    slot = code;
    return;
  }
  const Status a = tier_of(*slot);
  const Status b = tier_of(code);
  if (b > a || (b == a && code > *slot)) slot = code;
}

}  // namespace

TrustVector derive_trust_vector(EvidenceKind kind, Status status, std::span<const std::string> reason_ids) {
  TrustVector v;
  if (status == Status::kAffirming && reason_ids.empty()) {
    v.instance_identity = ar4si::kTrustworthyInstance;
    v.hardware = ar4si::kGenuineHardware;
    v.configuration = ar4si::kApprovedConfig;
    if (kind == EvidenceKind::kTpm) v.executables = ar4si::kApprovedBoot;
    return v;
  }
  for (const auto& id : reason_ids) {
    for (const auto& rule : kRules) {
      if (!matches(rule, id)) continue;
      switch (rule.claim) {
        case Claim::kInstanceIdentity:
          lower(v.instance_identity, rule.code);
          break;
        case Claim::kConfiguration:
          lower(v.configuration, rule.code);
          break;
        case Claim::kExecutables:
          lower(v.executables, rule.code);
          break;
        case Claim::kHardware:
          lower(v.hardware, rule.code);
          break;
      }
      break;
    }
  }
  return v;
}

}  // namespace attestd::result
