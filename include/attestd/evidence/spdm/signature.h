// SPDM signatures over a transcript (DSP0274 1.2+ clause 15 "signature generation";
// FORMATS-SPDM.md sections 5.2 and 5.4): the 1.0/1.1 recipe Sign(Hash(L1L2)) and the 1.2+ recipe
// Sign(Hash(combined_spdm_prefix || context || Hash(L1L2))), ECDSA r||s big-endian, RSASSA and
// RSAPSS.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::spdm {

// The signing context of MEASUREMENTS (DSP0274 1.2 Table 47 / clause 15).
inline constexpr std::string_view kMeasurementsSigningContext = "responder-measurements signing";
// combined_spdm_prefix: 4 x 16 bytes; the context is left-padded with zeros to 36 bytes.
inline constexpr size_t kCombinedPrefixSize = 64;
inline constexpr size_t kPaddedContextSize = 36;

// Which recipe a signature follows. by_version picks the one the negotiated version mandates;
// the other two exist so that tests can show that the wrong one fails.
enum class SigningRecipe : uint8_t {
  by_version,          // <= 1.1: hash_of_transcript, >= 1.2: signing_context
  hash_of_transcript,  // 1.0 / 1.1: signature over Hash(L1L2)
  signing_context,     // 1.2+: signature over Hash(prefix || context || Hash(L1L2))
};

struct SignatureParams {
  uint8_t version = 0;     // negotiated SPDMVersion; its minor digit goes into the prefix
  uint32_t base_asym = 0;  // BaseAsymSel
  HashAlg base_hash = HashAlg::sha384;
  SigningRecipe recipe = SigningRecipe::by_version;
  std::string_view context = kMeasurementsSigningContext;
};

// The 1.2+ message M = "dmtf-spdm-v1.X.*" x 4 || zero pad || context || transcript_hash
// (FORMATS-SPDM.md section 5.2). `context` must be at most 36 bytes (longer is cut).
std::vector<uint8_t> signing_context_message(uint8_t version, std::string_view context,
                                             std::span<const uint8_t> transcript_hash);

// Verifies `signature` (SigLen bytes of BaseAsymSel, r||s big-endian for ECDSA) over the
// transcript given in pieces (their concatenation is L1L2, VCA included for 1.2+) with `key`.
// Errors: spdm.algorithm_unsupported (SM2, EdDSA, not one bit), spdm.key.mismatch (key type or
// size differs from BaseAsymSel), spdm.measurements.signature_invalid. `key` and the spans are
// only used during the call; `key` may be shared between threads.
std::expected<void, Error> verify_transcript_signature(EVP_PKEY* key, const SignatureParams& params,
                                                       std::span<const std::span<const uint8_t>> transcript,
                                                       std::span<const uint8_t> signature);

}  // namespace attestd::evidence::spdm
