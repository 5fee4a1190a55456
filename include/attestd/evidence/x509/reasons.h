// Stable reason ids of the X.509 part of the evidence layer (device certificate chains).
//
// Each id names one kind of failure; the Error that carries it also has a message naming the
// certificate (position and subject) and the value at fault. Ids are part of the API (verdicts,
// audit log, metrics, problem+json): never rename one once shipped, only add.
#pragma once

#include <string_view>

namespace attestd::evidence::x509 {

// A PEM block or DER certificate does not decode (RFC 7468 / RFC 5280 4.1), or trailing bytes.
inline constexpr std::string_view kCertMalformed = "gpu.cert.malformed";
// More certificates than the limit (kMaxChainLength) were given.
inline constexpr std::string_view kCertChainTooLong = "gpu.cert.chain_too_long";
// No certificate other than the trust anchor: nothing to validate (e.g. a chain that is only the root).
inline constexpr std::string_view kCertChainTooShort = "gpu.cert.chain_too_short";
// A certificate is not issued by the next one, or no path leads to the pinned root
// (RFC 5280 6.1.3 (a)(4) issuer name chaining), or a CA constraint is violated.
inline constexpr std::string_view kCertChainInvalid = "gpu.cert.chain_invalid";
// The chain ends in a self-signed certificate that is not the pinned root.
inline constexpr std::string_view kCertUntrustedRoot = "gpu.cert.untrusted_root";
// The verification time is after a certificate's notAfter (RFC 5280 6.1.3 (a)(2)).
inline constexpr std::string_view kCertExpired = "gpu.cert.expired";
// The verification time is before a certificate's notBefore (RFC 5280 6.1.3 (a)(2)).
inline constexpr std::string_view kCertNotYetValid = "gpu.cert.not_yet_valid";
// A certificate's signature does not verify with its issuer's key (RFC 5280 6.1.3 (a)(1)).
inline constexpr std::string_view kCertSignatureInvalid = "gpu.cert.signature_invalid";
// The verification time cannot be compared with X.509 times (before 1950 or after 9999-12-31,
// RFC 5280 4.1.2.5): OpenSSL would silently accept it.
inline constexpr std::string_view kCertTimeOutOfRange = "gpu.cert.time_out_of_range";

// Leaf extensions (TCG DICE Attestation Architecture 6.1; NVIDIA's Hopper FWID extension).
inline constexpr std::string_view kCertFwidMissing = "gpu.cert.fwid_missing";
inline constexpr std::string_view kCertFwidMalformed = "gpu.cert.fwid_malformed";
inline constexpr std::string_view kCertUeidMalformed = "gpu.cert.ueid_malformed";
// RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
inline constexpr std::string_view kCertDuplicateExtension = "gpu.cert.duplicate_extension";

}  // namespace attestd::evidence::x509
