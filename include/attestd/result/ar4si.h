// AR4SI trustworthiness claims and tiers (draft-ietf-rats-ar4si §2.3) as EAR carries them
// (draft-ietf-rats-ear §3: `ear.status` is a trust tier, `ear.trustworthiness-vector` maps claim
// names to AR4SI integer codes).
//
// Tiers of a code (draft-ietf-rats-ar4si §2.3.1, same ranges as Veraison's ear library):
//   none            -1 .. 1         (0 "no claim" is equivalent to omitting the claim)
//   affirming        2 .. 31,  -32 .. -2
//   warning         32 .. 95,  -96 .. -33
//   contraindicated 96 .. 127, -128 .. -97
//
// The codes attestd uses, with the draft's meaning per claim (§2.3.4 ff.):
//   general          -1 verifier malfunction, 0 no claim, 1 unexpected evidence,
//                    99 cryptographic validation of the evidence failed (valid for every claim)
//   instance-identity 2 recognized instance, not known compromised (AK trusted / device chain to the
//                       pinned root); 96 recognized but untrustworthy (expired device certificate);
//                       97 not recognized though it should be (unknown root, broken chain)
//   configuration     2 approved configuration; 3 no known vulnerabilities; 32 unsafe configuration;
//                       96 unsupportable configuration
//   executables       2 approved boot and run time; 3 approved boot (what PCR golden values prove);
//                       32 unsafe run time; 33 unrecognized run time; 96 contraindicated run time
//   file-system       2 approved; 32 unrecognized files; 96 contraindicated files
//   hardware          2 genuine; 32 genuine with known vulnerabilities; 96 contraindicated;
//                       97 unrecognized hardware or firmware
//   runtime-opaque    2 encrypted memory; 32 isolated memory; 96 visible memory
//   storage-opaque    2 secrets under hardware keys; 32 under software keys; 96 unencrypted
//   sourced-data      2 trusted sources; 32 untrusted sources; 96 contraindicated sources
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace attestd::result {

// An appraisal's trust tier, `ear.status` (draft-ietf-rats-ear §3.1). Declared in the order of
// worsening used to combine results: an appraisal that could not conclude (none) outranks an
// affirming one, so a missing or unappraised part can never hide behind an affirming part, and a
// finding (warning, contraindicated) outranks the absence of one.
enum class Status : uint8_t { kAffirming = 0, kNone = 1, kWarning = 2, kContraindicated = 3 };

// "affirming", "none", "warning", "contraindicated".
std::string_view to_string(Status s);
// The inverse; nullopt for anything else (case-sensitive, as in the draft's JSON serialisation).
std::optional<Status> parse_status(std::string_view s);
// The worse of two tiers in the order above.
constexpr Status worse(Status a, Status b) { return a < b ? b : a; }
// The tier of an AR4SI code.
Status tier_of(int8_t code);

namespace ar4si {
inline constexpr int8_t kVerifierMalfunction = -1;
inline constexpr int8_t kNoClaim = 0;
inline constexpr int8_t kUnexpectedEvidence = 1;
inline constexpr int8_t kCryptoValidationFailed = 99;

inline constexpr int8_t kTrustworthyInstance = 2;
inline constexpr int8_t kUntrustworthyInstance = 96;
inline constexpr int8_t kUnrecognizedInstance = 97;

inline constexpr int8_t kApprovedConfig = 2;
inline constexpr int8_t kNoConfigVulns = 3;
inline constexpr int8_t kUnsafeConfig = 32;
inline constexpr int8_t kUnsupportableConfig = 96;

inline constexpr int8_t kApprovedRuntime = 2;
inline constexpr int8_t kApprovedBoot = 3;
inline constexpr int8_t kUnsafeRuntime = 32;
inline constexpr int8_t kUnrecognizedRuntime = 33;
inline constexpr int8_t kContraindicatedRuntime = 96;

inline constexpr int8_t kApprovedFiles = 2;
inline constexpr int8_t kUnrecognizedFiles = 32;
inline constexpr int8_t kContraindicatedFiles = 96;

inline constexpr int8_t kGenuineHardware = 2;
inline constexpr int8_t kUnsafeHardware = 32;
inline constexpr int8_t kContraindicatedHardware = 96;
inline constexpr int8_t kUnrecognizedHardware = 97;

inline constexpr int8_t kEncryptedMemoryRuntime = 2;
inline constexpr int8_t kIsolatedMemoryRuntime = 32;
inline constexpr int8_t kVisibleMemoryRuntime = 96;

inline constexpr int8_t kHwKeysEncryptedSecrets = 2;
inline constexpr int8_t kSwKeysEncryptedSecrets = 32;
inline constexpr int8_t kUnencryptedSecrets = 96;

inline constexpr int8_t kTrustedSources = 2;
inline constexpr int8_t kUntrustedSources = 32;
inline constexpr int8_t kContraindicatedSources = 96;
}  // namespace ar4si

// `ear.trustworthiness-vector`: an absent claim is "no claim" (AR4SI: 0 and absence are equal).
struct TrustVector {
  std::optional<int8_t> instance_identity;
  std::optional<int8_t> configuration;
  std::optional<int8_t> executables;
  std::optional<int8_t> file_system;
  std::optional<int8_t> hardware;
  std::optional<int8_t> runtime_opaque;
  std::optional<int8_t> storage_opaque;
  std::optional<int8_t> sourced_data;

  // The worst tier among the claims made; kAffirming when there are none (no claim, no limit).
  [[nodiscard]] Status worst_tier() const;
  friend bool operator==(const TrustVector&, const TrustVector&) = default;
};

enum class EvidenceKind { kTpm, kGpu };

// The vector attestd reports for one submod, from its status and reason ids.
//
// Positive claims are made only for a clean appraisal (status affirming, no reason):
//   TPM: instance-identity 2 (enrolled AK), hardware 2 (genuine TPM through credential activation),
//        executables 3 (approved boot: the golden PCR values cover the boot chain, not the run
//        time), configuration 2 (approved configuration: Secure Boot and the like are in the PCRs)
//   GPU: instance-identity 2 (device key chained to the pinned root), hardware 2 (genuine hardware
//        and firmware measurements), configuration 2
// Otherwise each reason id that maps to a claim lowers it, the worse code winning per claim:
//   *.signature_invalid, *.nonce_mismatch, tpm.quote.pcr_digest_mismatch, spdm.key.mismatch,
//   spdm.requester_context_mismatch              -> instance-identity 99 (crypto validation failed)
//   gpu.cert.expired, gpu.cert.not_yet_valid      -> instance-identity 96 (untrustworthy instance)
//   other gpu.cert.*, spdm.cert_chain.*           -> instance-identity 97 (unrecognized instance)
//   eventlog.replay.*, eventlog.event.digest_mismatch -> executables 99 (log disagrees with quote)
//   policy.golden.*                               -> executables 96 (contraindicated run time)
//   gpu.measurement.mismatch                      -> hardware 96 (contraindicated firmware)
//   gpu.measurement.missing                       -> hardware 97 (unrecognized firmware)
//   tpm.quote.not_safe                            -> configuration 32 (unsafe configuration)
//   *.malformed, *.trailing_bytes, *.parse.*, *.unsupported, *.truncated
//                                                 -> instance-identity 1 (unexpected evidence)
// Unmapped reasons make no claim; the caller's status still applies (issue_ear never reports a
// status better than the vector's worst tier).
TrustVector derive_trust_vector(EvidenceKind kind, Status status, std::span<const std::string> reason_ids);

}  // namespace attestd::result
