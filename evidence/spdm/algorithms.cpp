// Negotiated-algorithm sizes and names (DSP0274 1.3 Table 21).
#include "attestd/evidence/spdm/algorithms.h"

#include <fmt/format.h>

#include <bit>

#include "attestd/evidence/spdm/constants.h"
#include "attestd/evidence/spdm/reasons.h"

namespace attestd::evidence::spdm {

NegotiatedAlgorithms nvidia_report_algorithms() {
  NegotiatedAlgorithms a;
  a.version = kVersion11;
  a.measurement_specification = kMeasurementSpecDmtf;
  a.measurement_hash = kMeasHashSha384;
  a.base_asym = kAsymEcdsaP384;
  a.base_hash = kHashSha384;
  return a;
}

std::expected<HashAlg, Error> base_hash_alg(uint32_t sel) {
  switch (sel) {
    case kHashSha256: return HashAlg::sha256;
    case kHashSha384: return HashAlg::sha384;
    case kHashSha512: return HashAlg::sha512;
    default: break;
  }
  return std::unexpected(Error{kAlgorithmUnsupported,
                               fmt::format("BaseHashSel 0x{:x} is not exactly one of SHA-256/384/512", sel)});
}

std::optional<size_t> signature_size(uint32_t sel) {
  switch (sel) {
    case kAsymRsassa2048:
    case kAsymRsapss2048: return 256;
    case kAsymRsassa3072:
    case kAsymRsapss3072: return 384;
    case kAsymRsassa4096:
    case kAsymRsapss4096: return 512;
    case kAsymEcdsaP256: return 64;
    case kAsymEcdsaP384: return 96;
    case kAsymEcdsaP521: return 132;
    case kAsymSm2: return 64;
    case kAsymEd25519: return 64;
    case kAsymEd448: return 114;
    default: return std::nullopt;
  }
}

std::optional<size_t> measurement_digest_size(uint32_t algo) {
  switch (algo) {
    case kMeasHashRawOnly: return 0;
    case kMeasHashSha256:
    case kMeasHashSha3_256:
    case kMeasHashSm3: return 32;
    case kMeasHashSha384:
    case kMeasHashSha3_384: return 48;
    case kMeasHashSha512:
    case kMeasHashSha3_512: return 64;
    default: return std::nullopt;
  }
}

std::string_view base_asym_name(uint32_t sel) {
  switch (sel) {
    case kAsymRsassa2048: return "RSASSA-2048";
    case kAsymRsapss2048: return "RSAPSS-2048";
    case kAsymRsassa3072: return "RSASSA-3072";
    case kAsymRsapss3072: return "RSAPSS-3072";
    case kAsymEcdsaP256: return "ECDSA-P256";
    case kAsymRsassa4096: return "RSASSA-4096";
    case kAsymRsapss4096: return "RSAPSS-4096";
    case kAsymEcdsaP384: return "ECDSA-P384";
    case kAsymEcdsaP521: return "ECDSA-P521";
    case kAsymSm2: return "SM2";
    case kAsymEd25519: return "Ed25519";
    case kAsymEd448: return "Ed448";
    default: return "unknown";
  }
}

std::string version_name(uint8_t v) { return fmt::format("{}.{}", v >> 4, v & 0x0f); }

}  // namespace attestd::evidence::spdm
