// Verification of an NVIDIA RIM's enveloped XML-DSig signature (W3C XML Signature 1.1; NVIDIA's
// profile: c14n 1.1, ecdsa-sha384, sha384 digest, Reference URI="" with the enveloped-signature
// transform, certificate chain in ds:KeyInfo/ds:X509Data, leaf first) and of that chain to the
// pinned NVIDIA RIM root at a verification time given by the caller, through libxmlsec1 (OpenSSL).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/rim/rim.h"
#include "attestd/evidence/x509/certificate.h"

namespace attestd::evidence::rim {

struct RimVerification {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every failure, in check order
  // The decoded content whenever it decodes; trust it only when `valid`.
  std::optional<Rim> rim;
  // The ds:KeyInfo certificates, in document order (leaf first).
  std::vector<x509::Certificate> signing_chain;
};

// Verifies a RIM. Checks, all run and all reported:
//   rim.malformed              XML / SWID structure (parse_rim)
//   rim.signature_missing      no enveloped ds:Signature under the root, or several
//   rim.cert.*                 the ds:KeyInfo chain validated to `rim_root` at `at` (x509::validate_chain:
//                              expired / not_yet_valid / untrusted_root / malformed / chain_invalid)
//   rim.signature_invalid      the signature over the document, checked with the leaf key of the
//                              KeyInfo chain whatever the chain's state, so that an expired RIM that
//                              was also tampered with reports both
// When both pass, libxmlsec1 verifies once more with a keys manager that trusts `rim_root` and the
// same time (what `xmlsec1 --verify --trusted-pem ROOT --verification-time T` does); if it refuses,
// rim.cert.chain_invalid. The pinned-root chain check above is authoritative: xmlsec's X509 store also
// loads OpenSSL's default CA paths, so its acceptance alone would not prove the NVIDIA root.
// The text is only read during the call.
RimVerification verify_rim(std::string_view xml, const x509::Certificate& rim_root, std::chrono::sys_seconds at);

}  // namespace attestd::evidence::rim
