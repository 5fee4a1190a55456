// Responder public keys for SPDM and NVIDIA signature checks, taken from X.509 certificates with
// OpenSSL. Only the key is extracted: validating the certificate chain is evidence/x509's job.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <span>

#include "attestd/evidence/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::spdm {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
// An owned OpenSSL public key. Verification functions take the raw EVP_PKEY* (borrowed for the
// call) so that callers can cache one key for many reports.
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// The subject public key of one DER certificate that must fill `der` exactly. Errors:
// spdm.key.invalid (does not decode, trailing bytes, no usable key).
std::expected<PkeyPtr, Error> public_key_from_certificate_der(std::span<const uint8_t> der);

// The public key of the FIRST certificate of a PEM bundle: for NVML's GPU/NVSwitch chains that is
// the leaf (FORMATS-SPDM.md section 7.1: leaf first, root last). Errors: spdm.key.invalid.
std::expected<PkeyPtr, Error> first_public_key_from_pem(std::span<const uint8_t> pem);

}  // namespace attestd::evidence::spdm
