// TPMS_ATTEST (TPM 2.0 Part 2, Table 131), the structure a TPM signs in TPM2_Quote, TPM2_Certify,
// TPM2_CertifyCreation and the other attestation commands, decoded through libtss2-mu.
//
// Parsing checks structure only. Whether magic is TPM_GENERATED_VALUE and whether the type is the
// one expected is meaning, checked by the verifiers (quote.h) so that each gets its own reason id.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <variant>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::tpm {

// TPM_GENERATED_VALUE (Part 2, Table 7) and TPM_ST attestation tags (Part 2, Table 19).
inline constexpr uint32_t kTpmGeneratedValue = 0xff544347;
inline constexpr uint16_t kStAttestNv = 0x8014;
inline constexpr uint16_t kStAttestCommandAudit = 0x8015;
inline constexpr uint16_t kStAttestSessionAudit = 0x8016;
inline constexpr uint16_t kStAttestCertify = 0x8017;
inline constexpr uint16_t kStAttestQuote = 0x8018;
inline constexpr uint16_t kStAttestTime = 0x8019;
inline constexpr uint16_t kStAttestCreation = 0x801A;

// TPMS_CLOCK_INFO (Part 2, Table 120).
struct ClockInfo {
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
  friend bool operator==(const ClockInfo&, const ClockInfo&) = default;
};

// One TPMS_PCR_SELECTION (Part 2, Table 94).
struct PcrSelection {
  HashAlg alg = HashAlg::sha256;
  std::vector<uint32_t> pcrs;  // ascending, as the bitmap lists them
  friend bool operator==(const PcrSelection&, const PcrSelection&) = default;
};

// TPMS_QUOTE_INFO (Part 2, Table 126).
struct QuoteInfo {
  std::vector<PcrSelection> selections;  // in the order of the TPML_PCR_SELECTION
  std::vector<uint8_t> pcr_digest;
};

// TPMS_CERTIFY_INFO (Part 2, Table 125).
struct CertifyInfo {
  std::vector<uint8_t> name, qualified_name;
};

// TPMS_CREATION_INFO (Part 2, Table 128).
struct CreationInfo {
  std::vector<uint8_t> object_name, creation_hash;
};

struct Attest {
  uint32_t magic = 0;
  uint16_t type = 0;
  std::vector<uint8_t> qualified_signer, extra_data;
  ClockInfo clock;
  uint64_t firmware_version = 0;
  // monostate for the attestation types we decode but do not expose (audit, time, NV).
  std::variant<QuoteInfo, CertifyInfo, CreationInfo, std::monostate> attested;
};

// Decodes a TPMS_ATTEST (the TPM2B_ATTEST payload, as `tpm2_quote -m` writes it). Every byte must
// belong to the structure.
// Fails with tpm.attest.malformed (truncated, a size beyond a TPM2B maximum, an unknown
// attestation type, a PCR bank that is not a supported hash) or tpm.attest.trailing_bytes.
std::expected<Attest, Error> parse_attest(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::tpm
