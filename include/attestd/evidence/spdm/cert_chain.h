// The SPDM certificate-chain structure (DSP0274 1.3 clause 10.7.1, Table 33; FORMATS-SPDM.md
// section 4.2): Length (u16 LE), Reserved (u16), RootHash (BaseHash size), then DER X.509
// certificates root (or first CA) first, leaf last.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/spdm/public_key.h"

namespace attestd::evidence::spdm {

struct CertChain {
  uint16_t length = 0;
  uint16_t reserved = 0;
  std::span<const uint8_t> root_hash;
  std::vector<std::span<const uint8_t>> certificates;  // DER, root first, leaf last

  [[nodiscard]] std::span<const uint8_t> leaf() const { return certificates.back(); }
};

// Parses the structure and splits the certificates by their DER SEQUENCE headers (tag 0x30,
// definite length). Checks: Length equals the size of `bytes` (spdm.cert_chain.length_mismatch);
// every certificate header is well-formed and inside the chain, at least one certificate
// (spdm.cert_chain.malformed); RootHash == base_hash(certificates[0])
// (spdm.cert_chain.root_hash_mismatch). Reserved is recorded, not checked. Spans borrow from
// `bytes`. The certificates' contents and signatures are not examined here.
std::expected<CertChain, Error> parse_cert_chain(std::span<const uint8_t> bytes, HashAlg base_hash);

// The public key of the chain's leaf (its last certificate), for verify_measurements. Errors:
// spdm.key.invalid.
std::expected<PkeyPtr, Error> leaf_public_key(const CertChain& chain);

}  // namespace attestd::evidence::spdm
