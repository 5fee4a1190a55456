// EK certificates (TCG EK Credential Profile for TPM Family 2.0, 2.x): decoding as TPMs store them in
// NV (DER, often followed by 0xFF padding up to the NV index size), validation to a tenant's trusted
// TPM manufacturer CAs at a given time, the profile's basic checks, and the TPM identity the
// certificate names, as claims.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/x509/certificate.h"

namespace attestd::evidence::tpm {

// TCG OIDs (TCG EK Credential Profile 2.x, "Object Identifiers").
inline constexpr std::string_view kOidTcgKpEkCertificate = "2.23.133.8.1";  // tcg-kp-EKCertificate
inline constexpr std::string_view kOidTpmManufacturer = "2.23.133.2.1";     // tcg-at-tpmManufacturer
inline constexpr std::string_view kOidTpmModel = "2.23.133.2.2";            // tcg-at-tpmModel
inline constexpr std::string_view kOidTpmVersion = "2.23.133.2.3";          // tcg-at-tpmVersion

// Limits on what a tenant uploads as its trusted TPM CAs.
inline constexpr size_t kMaxEkCaBundleSize = 4 * 1024 * 1024;
inline constexpr size_t kMaxEkCaCertificates = 1024;
// Longest path from an EK certificate to a trust anchor, anchor included.
inline constexpr size_t kMaxEkChainDepth = 8;

// Decodes an EK certificate: DER exactly as read from the TPM's NV index (0x01C00002 RSA,
// 0x01C0000A ECC P-256, ...), where whatever follows the certificate's outer SEQUENCE is accepted
// only if every byte of it is 0xFF (the unwritten part of the index); or one PEM CERTIFICATE block.
// Fails with tpm.ek.cert_malformed (naming the offset of the first non-padding byte when that is
// the problem).
std::expected<x509::Certificate, Error> parse_ek_certificate(std::span<const uint8_t> bytes);

// Decodes a PEM bundle of trusted TPM manufacturer CAs (roots, or intermediates a tenant chooses to
// trust). Text outside the CERTIFICATE blocks (the "# Certificate: ..." comments of
// tpm-ca-certificates bundles) is ignored; blocks may follow each other without a newline (keylime's
// tpm_cert_store files concatenated). Fails with tpm.ek.cert_malformed naming the block, or when
// the bundle exceeds kMaxEkCaBundleSize / kMaxEkCaCertificates or holds no certificate.
std::expected<std::vector<x509::Certificate>, Error> parse_ek_ca_bundle(std::string_view pem);

// What an EK certificate says about the TPM (TCG EK Credential Profile 2.x, "Subject Alternative
// Name": a directoryName with tcg-at-tpmManufacturer / Model / Version). Each is nullopt when
// absent.
struct EkCertificateClaims {
  std::optional<std::string> manufacturer;  // as written, e.g. "id:53544D20"
  std::optional<uint32_t> manufacturer_id;  // "id:" + 8 hex digits decoded (TCG vendor id, "STM ")
  std::optional<std::string> model;         // e.g. "ST33HTPHAHB4", "swtpm"
  std::optional<std::string> version;       // as written, e.g. "id:00490004"
  std::optional<uint32_t> version_id;       // decoded like manufacturer_id (firmware version)
  bool ek_eku = false;                      // extendedKeyUsage lists tcg-kp-EKCertificate
  std::string issuer;                       // RFC 2253
  std::vector<uint8_t> serial;              // big-endian magnitude
  std::chrono::sys_seconds not_before{}, not_after{};
};

struct EkCertificateValidation {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every distinct failure
  EkCertificateClaims claims;  // filled whatever the verdict, from the certificate alone
};

// Validates `ek_cert` at time `at` (RFC 5280 6.1 through OpenSSL) to one of `trusted_roots`, using
// any of `intermediates` (untrusted, in any order; the host's NV chain or the tenant's intermediate
// bundle). A trusted certificate need not be self-signed: a tenant may pin a manufacturer
// intermediate (X509_V_FLAG_PARTIAL_CHAIN). No network: AIA URLs are not fetched, revocation is not
// checked. Then the TCG EK profile basics. Reasons, all collected:
//   tpm.ek.cert_no_trust_anchor        trusted_roots is empty
//   tpm.ek.cert_time_out_of_range      `at` before 1950 or after 9999 (RFC 5280 4.1.2.5)
//   tpm.ek.cert_untrusted              no path to a trusted certificate (unknown issuer, foreign root)
//   tpm.ek.cert_chain_invalid          CA constraints, path length, unhandled critical extension
//   tpm.ek.cert_signature_invalid      a signature on the path does not verify
//   tpm.ek.cert_expired / tpm.ek.cert_not_yet_valid   `at` outside a validity period on the path
//   tpm.ek.cert_is_ca                  basicConstraints cA TRUE (the EK profile's "Basic Constraints": an EK is no CA)
//   tpm.ek.cert_wrong_eku              an extendedKeyUsage without tcg-kp-EKCertificate (profile "Extended Key Usage")
//   tpm.ek.cert_malformed              an EK profile extension does not decode or is repeated
// The certificates are only read during the call.
EkCertificateValidation validate_ek_certificate(const x509::Certificate& ek_cert,
                                                std::span<const x509::Certificate> trusted_roots,
                                                std::span<const x509::Certificate> intermediates,
                                                std::chrono::sys_seconds at);

// Checks that the EK public area and the certificate's subject public key are the same key (RSA:
// modulus and exponent; ECC: curve and point). Fails with tpm.ek.key_mismatch.
std::expected<void, Error> check_ek_certificate_key(const PublicKey& ek, const x509::Certificate& ek_cert);

}  // namespace attestd::evidence::tpm
