// Verification of signed SPDM measurements (DSP0274 1.1 - 1.3): transcript structure, bindings
// (nonce, RequesterContext, slot, version) and the signature, with every failure reported.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/spdm/algorithms.h"
#include "attestd/evidence/spdm/measurement_block.h"
#include "attestd/evidence/spdm/signature.h"
#include "attestd/evidence/spdm/transcript.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::spdm {

struct MeasurementsVerifyOptions {
  // The binding the requester put in the signed GET_MEASUREMENTS; nullopt: not checked (the
  // claims then say nonce_checked = false). Borrowed for the call.
  std::optional<std::span<const uint8_t>> expected_nonce;
  // Algorithms for a 1.0/1.1 transcript given without its VCA; ignored when the VCA is present.
  std::optional<NegotiatedAlgorithms> algorithms;
  // Tests force the wrong recipe with this; production leaves by_version.
  SigningRecipe recipe = SigningRecipe::by_version;
};

// What the signed MEASUREMENTS says, for policy. Meaningful only when the verification is valid;
// filled as far as the evidence could be parsed.
struct MeasurementsClaims {
  NegotiatedAlgorithms algorithms;
  uint8_t operation = 0;        // request Param2
  uint8_t slot_id = 0;
  uint8_t content_changed = 0;  // 1.2+: 0 not supported, 1 changed, 2 no change detected
  std::vector<uint8_t> requester_nonce;
  bool nonce_checked = false;
  bool nonce_matches = false;
  std::vector<uint8_t> responder_nonce;
  std::vector<uint8_t> requester_context;  // 1.3+
  std::vector<uint8_t> opaque_data;
  std::vector<uint8_t> signature;
  std::vector<MeasurementClaim> measurements;  // blocks of the signed response, in order
  size_t exchanges = 0;                        // GET_MEASUREMENTS/MEASUREMENTS pairs in L1/L2
};

struct MeasurementsVerification {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every failure, in check order
  MeasurementsClaims claims;
};

// Verifies one transcript whose last exchange is signed with `responder_key` (the leaf key of the
// slot the request names; borrowed for the call). Checks, all collected:
//   algorithms: the VCA parses (spdm.vca.*, spdm.parse.*) or options.algorithms is given, 1.2+
//     has its VCA (spdm.transcript.missing_vca); BaseAsym/BaseHash verifiable
//     (spdm.algorithm_unsupported)
//   every exchange: request and response parse (spdm.parse.*, spdm.measurements.*); versions equal
//     the negotiated one (spdm.version_mismatch, clause 9.1); only the last is signed
//     (spdm.transcript.unexpected_message / spdm.measurements.not_signed); count-only and
//     single-index answers have the blocks asked for (spdm.measurements.block_count_mismatch /
//     index_mismatch); blocks use the negotiated specification and digest size
//     (spdm.measurements.specification_mismatch / digest_size_mismatch); unsigned 1.2+ responses
//     have ContentChanged 0 (spdm.measurements.content_changed_unsigned)
//   signed exchange: requester nonce == expected (spdm.nonce_mismatch), RequesterContext echoed
//     (spdm.requester_context_mismatch), SlotID == SlotIDParam (spdm.measurements.slot_mismatch)
//   signature over L1/L2 by the version's recipe (spdm.measurements.signature_invalid,
//     spdm.key.mismatch)
MeasurementsVerification verify_measurements(const Transcript& transcript, EVP_PKEY* responder_key,
                                             const MeasurementsVerifyOptions& options);

}  // namespace attestd::evidence::spdm
