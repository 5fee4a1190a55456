// SPDM certificate-chain structure (DSP0274 1.3 clause 10.7.1, Table 33).
#include "attestd/evidence/spdm/cert_chain.h"

#include <openssl/crypto.h>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/hash.h"
#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;

namespace {

constexpr uint8_t kDerSequence = 0x30;

// One DER TLV with tag SEQUENCE (X.690 8.1.2 - 8.1.3): definite length, short form or long form
// of 1..4 length bytes. Returns the whole TLV (header and contents).
std::expected<std::span<const uint8_t>, Error> read_der_sequence(ByteReader& r, size_t ordinal, size_t offset) {
  const std::span<const uint8_t> at = r.rest();
  uint8_t tag = 0;
  uint8_t first = 0;
  if (!r.read_u8(tag) || !r.read_u8(first)) {
    return fail(kCertChainMalformed, fmt::format("certificate {} at byte {}: DER header cut short", ordinal, offset));
  }
  if (tag != kDerSequence) {
    return fail(kCertChainMalformed,
                fmt::format("certificate {} at byte {} starts with tag 0x{:02x}, not SEQUENCE", ordinal, offset, tag));
  }
  size_t length = first;
  size_t header = 2;
  if ((first & 0x80) != 0) {
    const size_t n = first & 0x7F;
    // 0x80 is the indefinite form, not allowed in DER; more than 4 length bytes cannot fit a u16 chain.
    if (n == 0 || n > 4) {
      return fail(kCertChainMalformed,
                  fmt::format("certificate {} at byte {}: DER length form 0x{:02x}", ordinal, offset, first));
    }
    length = 0;
    for (size_t i = 0; i < n; ++i) {
      uint8_t b = 0;
      if (!r.read_u8(b)) {
        return fail(kCertChainMalformed, fmt::format("certificate {} at byte {}: DER length cut short", ordinal, offset));
      }
      length = (length << 8) | b;
    }
    header += n;
  }
  if (!r.skip(length)) {
    return fail(kCertChainMalformed, fmt::format("certificate {} at byte {}: DER length {} runs past the chain "
                                                 "({} bytes remain)",
                                                 ordinal, offset, length, r.remaining()));
  }
  return at.first(header + length);
}

}  // namespace

std::expected<CertChain, Error> parse_cert_chain(std::span<const uint8_t> bytes, HashAlg base_hash) {
  ByteReader r(bytes);
  CertChain out;
  const size_t h = digest_size(base_hash);
  // Table 33: Length (2), Reserved (2), RootHash (H).
  if (!r.read_u16_le(out.length) || !r.read_u16_le(out.reserved) || !r.read_bytes(h, out.root_hash)) {
    return fail(kParseTruncated, fmt::format("certificate chain of {} bytes is shorter than its {}-byte header",
                                             bytes.size(), 4 + h));
  }
  // Table 33: Length is the total length of the chain including the header.
  if (out.length != bytes.size()) {
    return fail(kCertChainLengthMismatch,
                fmt::format("certificate chain Length is {}, the structure has {} bytes", out.length, bytes.size()));
  }
  // Table 33: Certificates: one or more ASN.1 DER X.509 v3 certificates, root first.
  while (!r.empty()) {
    auto cert = read_der_sequence(r, out.certificates.size(), r.position());
    if (!cert) return std::unexpected(cert.error());
    out.certificates.push_back(*cert);
  }
  if (out.certificates.empty()) return fail(kCertChainMalformed, "certificate chain holds no certificate");
  // Table 33: RootHash = hash of the root certificate (the first), with BaseHashSel.
  const Digest root = hash(base_hash, out.certificates.front());
  if (root.size() != h || CRYPTO_memcmp(root.bytes().data(), out.root_hash.data(), h) != 0) {
    return fail(kCertChainRootHashMismatch, fmt::format("RootHash {} differs from {}({}) of the first certificate",
                                                        to_hex(out.root_hash), hash_alg_name(base_hash), root.hex()));
  }
  return out;
}

std::expected<PkeyPtr, Error> leaf_public_key(const CertChain& chain) {
  if (chain.certificates.empty()) return std::unexpected(Error{kCertChainMalformed, "no certificate"});
  return public_key_from_certificate_der(chain.leaf());
}

}  // namespace attestd::evidence::spdm
