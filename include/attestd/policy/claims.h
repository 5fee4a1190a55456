// Claims: what the verifiers established about one attestation, the only input of appraisal
// (STYLE 5: policy sees claims, never raw bytes). The service fills them from verified evidence.
//
// Contract: a `*_verified` flag is true only when the verifier found no problem; when it is false
// the verifier's reasons go beside it. Values that a failed verification produced are untrusted and
// are not appraised against golden values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::policy {

struct TpmClaims {
  // The quote verified: signature by the host's registered AK, nonce = binding, PCR digest equal
  // to the hash of `pcrs`, clock safe.
  bool quote_verified = false;
  std::vector<evidence::Error> quote_reasons;  // why not (tpm.* ids)
  evidence::PcrValues pcrs;                    // the quoted values, every quoted bank

  bool event_log_present = false;
  // The log replayed to the quoted value of every quoted PCR it touches (compare_replay ok()).
  bool event_log_verified = false;
  std::vector<evidence::Error> event_log_reasons;  // why not (eventlog.* ids)
  // Quoted PCRs the log explains, per bank (ReplayComparison::verified); for event-level policy.
  std::map<evidence::HashAlg, std::vector<uint32_t>> event_log_verified_pcrs;
};

// The evidence layer's comparison of a GPU's measurements with its driver and VBIOS RIMs.
struct RimComparison {
  bool match = false;
  std::vector<uint32_t> mismatching_spdm_indices;  // ascending
};

struct GpuClaim {
  // Device model as golden values and policies name it ("GH100"); compared exactly.
  std::string model;
  // Report signature, certificate chain to the pinned NVIDIA root, nonce = binding, FWID binding.
  // Not the RIM comparison: that goes into `rim`, and the policy decides whether it counts.
  bool verified = false;
  std::vector<evidence::Error> reasons;  // why not (gpu.*, spdm.*, x509.* ids)
  // SPDM measurement index -> measurement value bytes.
  std::map<uint32_t, std::vector<uint8_t>> measurements;
  std::optional<std::string> driver_version;
  std::optional<std::string> vbios_version;
  std::optional<RimComparison> rim;  // nullopt when no RIM comparison took place
};

struct Claims {
  std::optional<TpmClaims> tpm;  // nullopt: no TPM evidence was submitted
  std::vector<GpuClaim> gpus;    // in submission order: gpus[i] is EAR submodule "gpu<i>"
  // The earliest time the evidence can have been produced: when the challenge whose nonce it
  // binds was issued. nullopt: unknown, which never passes a max_age rule.
  std::optional<std::chrono::sys_seconds> evidence_time;
  // The TPM (and every GPU) signed SHA-256(nonce ‖ thumbprint(tee_pubkey)): keys may be released.
  bool tee_key_bound = false;
  // Failures not tied to one piece of evidence (the key binding, a foreign challenge, ...).
  std::vector<evidence::Error> reasons;
};

}  // namespace attestd::policy
