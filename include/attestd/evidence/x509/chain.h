// Certificate path validation (RFC 5280 6.1) of a device chain to one pinned root, at a
// verification time given by the caller, through OpenSSL's X509_STORE_CTX.
//
// Profile: no default trust paths; the pinned root is the only trust anchor; no partial chains;
// X509_V_FLAG_X509_STRICT is NOT set, because the NVIDIA Device Identity CA encodes its notBefore
// (2021) as GeneralizedTime where RFC 5280 4.1.2.5 requires UTCTime, and OpenSSL's strict mode
// refuses it ("format error in certificate's notBefore field") — NVIDIA's own verifiers do not
// set it either. Revocation (OCSP/CRL) is not checked here: it needs the network.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/x509/certificate.h"

namespace attestd::evidence::x509 {

struct ChainValidation {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every distinct failure, leaf-most first
};

// Validates `chain` (leaf first, as NVML returns it) to `root` at time `at`.
//
// If the last certificate is self-issued it is the presented root: NVIDIA's verifiers drop it and
// use their bundled copy; we do the same when it is byte-identical to `root`, and add
// gpu.cert.untrusted_root when it is not. The remaining certificates are the leaf and the
// untrusted intermediates. Reasons, all collected (distinct ids, messages name the certificate):
//   gpu.cert.chain_too_long      more than max_certs certificates
//   gpu.cert.chain_too_short     nothing but the root
//   gpu.cert.untrusted_root      a different self-signed root
//   gpu.cert.chain_invalid       a certificate is not issued by the next one / no path to root / CA
//                                constraints violated (RFC 5280 6.1.3, 6.1.4)
//   gpu.cert.signature_invalid   a certificate signature does not verify
//   gpu.cert.expired / gpu.cert.not_yet_valid  `at` outside a validity period (RFC 5280 6.1.3 (a)(2))
//   gpu.cert.time_out_of_range   `at` before 1950 or after 9999-12-31T23:59:59Z
// The certificates are only read during the call.
ChainValidation validate_chain(std::span<const Certificate> chain, const Certificate& root,
                               std::chrono::sys_seconds at, size_t max_certs = kMaxChainLength);

}  // namespace attestd::evidence::x509
