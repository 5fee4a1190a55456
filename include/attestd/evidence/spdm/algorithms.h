// What the negotiated SPDM algorithms mean for a verifier: hash functions, digest and signature
// sizes (DSP0274 1.3 clause 10.5, Table 21; FORMATS-SPDM.md section 4.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::spdm {

// The selections of an ALGORITHMS response together with the negotiated version.
struct NegotiatedAlgorithms {
  uint8_t version = 0;                 // SPDMVersion byte of the connection (0x10 .. 0x13)
  uint8_t measurement_specification = 0;
  uint8_t other_params = 0;            // OtherParamsSelection (1.2+; 0 before)
  uint32_t measurement_hash = 0;       // MeasurementHashAlgo, one bit
  uint32_t base_asym = 0;              // BaseAsymSel, one bit
  uint32_t base_hash = 0;              // BaseHashSel, one bit
};

// What NVIDIA GPU and NVSwitch reports use (FORMATS-SPDM.md section 7.2): SPDM 1.1, DMTF
// measurements, SHA-384 measurement digests, ECDSA P-384 with SHA-384.
NegotiatedAlgorithms nvidia_report_algorithms();

// The hash for BaseHashSel; spdm.algorithm_unsupported unless exactly one of SHA-256/384/512 is
// selected (SHA-3 and SM3 are not offered by our OpenSSL build path).
std::expected<HashAlg, Error> base_hash_alg(uint32_t base_hash_sel);

// Signature size S for BaseAsymSel (FORMATS-SPDM.md section 3 table: 64/96/132 ECDSA, 256/384/512
// RSA, 64 Ed25519, 114 Ed448, 64 SM2); nullopt unless exactly one bit is set.
std::optional<size_t> signature_size(uint32_t base_asym_sel);

// Digest size of digest-form measurement values for MeasurementHashAlgo; 0 for raw-bit-stream-only
// (0x1), nullopt unless exactly one bit is set.
std::optional<size_t> measurement_digest_size(uint32_t measurement_hash_algo);

// "ECDSA-P384", "RSASSA-3072", ... for messages; "unknown" otherwise.
std::string_view base_asym_name(uint32_t base_asym_sel);

// "1.1", "1.2", ... for messages.
std::string version_name(uint8_t version);

}  // namespace attestd::evidence::spdm
