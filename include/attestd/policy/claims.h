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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::policy {

// One extending event of the measured-boot log, as policy sees it: owned values, no bytes to parse
// (boot_events.h builds them from a parsed log). Decoded fields are filled by type and are
// trustworthy only when `data_bound` (digest_check.h: the digest is a hash of that data); for the
// other types they only describe what was measured, and rules compare digests instead.
struct BootEvent {
  size_t index = 0;  // position in the log, the Spec ID header being 0
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::map<evidence::HashAlg, evidence::Digest> digests;  // every bank the event has
  bool data_bound = false;
  // EV_IPL, EV_EFI_ACTION, EV_ACTION, EV_S_CRTM_VERSION, ... as UTF-8.
  std::optional<std::string> text;
  // UEFI_VARIABLE_DATA: the GUID (canonical text), the name and VariableData.
  std::optional<std::string> variable_guid;
  std::optional<std::string> variable_name;
  std::vector<uint8_t> variable_data;
  // For a variable holding EFI_SIGNATURE_LISTs (PK, KEK, db, dbx): how many signatures, and the
  // EFI_CERT_SHA256 ones (UEFI 2.10 §32.4.1). Empty when the data is not such a list.
  size_t signature_count = 0;
  std::vector<std::vector<uint8_t>> signature_sha256;
  // UEFI_IMAGE_LOAD_EVENT device path as text (may be empty).
  std::optional<std::string> image_path;
  std::optional<uint32_t> tag_id;     // EV_EVENT_TAG
  std::optional<uint32_t> separator;  // EV_SEPARATOR value
  // A one-line description for messages and listings: the image path, variable name or text.
  std::string description;
};

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
  // The extending events of the log when it parsed (EV_NO_ACTION left out), in log order. Event-level
  // rules read them only when event_log_verified and only in PCRs of event_log_verified_pcrs.
  // Shared and immutable: the service computes them once per distinct log and keeps them.
  std::shared_ptr<const std::vector<BootEvent>> boot_events;
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
