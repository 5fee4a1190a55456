// Stable reason ids of the TPM 2.0 part of the evidence layer.
//
// Each id names one kind of failure; the Error that carries it also has a message naming the
// offending value. Ids are part of the API (verdicts, audit log, metrics, problem+json): never
// rename one once shipped, only add.
#pragma once

#include <string_view>

namespace attestd::evidence::tpm {

// Public keys (TPM2B_PUBLIC, TPMT_PUBLIC, PEM, DER SubjectPublicKeyInfo).
inline constexpr std::string_view kKeyMalformed = "tpm.key.malformed";
inline constexpr std::string_view kKeyTrailingBytes = "tpm.key.trailing_bytes";
inline constexpr std::string_view kKeyUnsupported = "tpm.key.unsupported";
// Well-formed but not a usable public key: point not on the curve, even modulus, bad exponent.
inline constexpr std::string_view kKeyInvalid = "tpm.key.invalid";

// TPMS_ATTEST structure (any attestation type).
inline constexpr std::string_view kAttestMalformed = "tpm.attest.malformed";
inline constexpr std::string_view kAttestTrailingBytes = "tpm.attest.trailing_bytes";

// TPMT_SIGNATURE structure and signature checks.
inline constexpr std::string_view kSignatureMalformed = "tpm.signature.malformed";
inline constexpr std::string_view kSignatureTrailingBytes = "tpm.signature.trailing_bytes";
inline constexpr std::string_view kSignatureUnsupported = "tpm.signature.unsupported";
inline constexpr std::string_view kSignatureInvalid = "tpm.signature.invalid";
// An RSA signature given to an ECC key or the reverse.
inline constexpr std::string_view kSignatureKeyMismatch = "tpm.signature.key_mismatch";
// The key's TPMT_PUBLIC fixes a scheme/hash and the signature uses another.
inline constexpr std::string_view kSignatureSchemeNotAllowed = "tpm.signature.scheme_not_allowed";

// TPM2_Quote verification (TPM 2.0 Part 3, 18.4).
inline constexpr std::string_view kQuoteMalformed = "tpm.quote.malformed";
inline constexpr std::string_view kQuoteTrailingBytes = "tpm.quote.trailing_bytes";
inline constexpr std::string_view kQuoteBadMagic = "tpm.quote.bad_magic";
inline constexpr std::string_view kQuoteWrongType = "tpm.quote.wrong_type";
inline constexpr std::string_view kQuoteNonceMismatch = "tpm.quote.nonce_mismatch";
inline constexpr std::string_view kQuoteSignatureInvalid = "tpm.quote.signature_invalid";
inline constexpr std::string_view kQuoteSignatureMalformed = "tpm.quote.signature_malformed";
inline constexpr std::string_view kQuotePcrMissing = "tpm.quote.pcr_missing";
// A PCR value was given for a selected PCR but its length is not the bank's digest size.
inline constexpr std::string_view kQuotePcrValueInvalid = "tpm.quote.pcr_value_invalid";
inline constexpr std::string_view kQuotePcrDigestMismatch = "tpm.quote.pcr_digest_mismatch";
inline constexpr std::string_view kQuoteNotSafe = "tpm.quote.not_safe";

// The binary PCR file of tpm2_quote -o / tpm2_checkquote -f.
inline constexpr std::string_view kPcrFileMalformed = "tpm.pcr_file.malformed";
inline constexpr std::string_view kPcrFileTrailingBytes = "tpm.pcr_file.trailing_bytes";
inline constexpr std::string_view kPcrFileUnsupportedHash = "tpm.pcr_file.unsupported_hash";
// The number of PCR values does not match the number of selected PCRs, or a value's size does
// not match its bank.
inline constexpr std::string_view kPcrFileCountMismatch = "tpm.pcr_file.count_mismatch";

}  // namespace attestd::evidence::tpm
