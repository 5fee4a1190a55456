// TPM2_Quote verification (TPM 2.0 Part 3, 18.4): signature, magic, type, qualifying data, PCR
// digest and clock safety, with every failure reported.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/pcr_values.h"
#include "attestd/evidence/tpm/attest.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/signature.h"

namespace attestd::evidence::tpm {

// What a quote says, for policy. Only meaningful when the verification is valid.
struct QuoteClaims {
  ClockInfo clock;
  uint64_t firmware_version = 0;
  std::vector<uint8_t> qualified_signer;
  std::vector<PcrSelection> selections;
  std::vector<uint8_t> extra_data;
  std::vector<uint8_t> pcr_digest;
};

struct QuoteVerification {
  bool valid = false;           // true only when reasons is empty
  std::vector<Error> reasons;   // every failure, in check order
  QuoteClaims claims;           // filled whenever the TPMS_ATTEST could be decoded
};

// Verifies a TPM2_Quote: `attest_bytes` is the TPMS_ATTEST the TPM signed, `sig` its signature,
// `expected_nonce` the qualifying data given to TPM2_Quote (the binding; may be empty) and `pcrs`
// the values of every quoted PCR. Reasons, all collected:
//   tpm.quote.malformed / tpm.quote.trailing_bytes   the TPMS_ATTEST does not decode
//   tpm.quote.signature_invalid                      signature, key type or key scheme
//   tpm.quote.bad_magic / tpm.quote.wrong_type       not TPM-generated / not a quote
//   tpm.quote.nonce_mismatch                         extraData differs from expected_nonce
//   tpm.quote.pcr_missing / tpm.quote.pcr_value_invalid  a selected PCR has no usable value
//   tpm.quote.pcr_digest_mismatch                    H_sigHash(selected PCRs) != pcrDigest
//   tpm.quote.not_safe                               clockInfo.safe is NO
// Spans are only read during the call.
QuoteVerification verify_quote(const PublicKey& ak, std::span<const uint8_t> attest_bytes, const Signature& sig,
                               std::span<const uint8_t> expected_nonce, const PcrValues& pcrs);

// As above with the TPMT_SIGNATURE bytes; a signature that does not decode adds
// tpm.quote.signature_malformed and the other checks still run.
QuoteVerification verify_quote(const PublicKey& ak, std::span<const uint8_t> attest_bytes,
                               std::span<const uint8_t> tpmt_signature, std::span<const uint8_t> expected_nonce,
                               const PcrValues& pcrs);

// pcrDigest of a quote: H_alg(value of each selected PCR, banks in selection order, PCRs ascending
// within a bank) (Part 3, 18.4.1). Fails with tpm.quote.pcr_missing / tpm.quote.pcr_value_invalid
// naming the first PCR that has no usable value.
std::expected<Digest, Error> compute_pcr_digest(HashAlg alg, const std::vector<PcrSelection>& selections,
                                                const PcrValues& pcrs);

}  // namespace attestd::evidence::tpm
