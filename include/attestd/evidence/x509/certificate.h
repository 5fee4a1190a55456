// X.509 certificates (RFC 5280) of device evidence: DER certificates and PEM bundles (RFC 7468) such
// as the chain NVML returns (leaf first), decoded by OpenSSL into objects owned by attestd.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace attestd::evidence::x509 {

// Limits on hostile input: larger inputs are refused with gpu.cert.malformed / chain_too_long.
inline constexpr size_t kMaxCertificateSize = 64 * 1024;
inline constexpr size_t kMaxPemSize = 1024 * 1024;
inline constexpr size_t kMaxChainLength = 10;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const;
};
// An OpenSSL public key owned by the caller.
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

class Certificate {
 public:
  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;
  ~Certificate();

  // A second reference to the same immutable certificate.
  [[nodiscard]] Certificate share() const;

  // The OpenSSL object, owned by this Certificate; valid while it lives. Never null.
  [[nodiscard]] X509* get() const;
  // The DER encoding as received. Borrowed: lives as long as this object.
  [[nodiscard]] std::span<const uint8_t> der() const;
  // Names in RFC 2253 form ("CN=GH100 A01 GSP FMC LF,O=NVIDIA Corporation,C=US,...").
  [[nodiscard]] std::string subject() const;
  [[nodiscard]] std::string issuer() const;
  // The subject's commonName (NVIDIA's hwmodel claim is the CN of chain[1]); empty if absent.
  [[nodiscard]] std::string subject_common_name() const;
  // serialNumber (RFC 5280 4.1.2.2): big-endian magnitude bytes, and as a decimal string (NVIDIA's
  // ueid claim is the leaf serial in decimal).
  [[nodiscard]] std::vector<uint8_t> serial() const;
  [[nodiscard]] std::string serial_decimal() const;
  // Validity (RFC 5280 4.1.2.5), to the second.
  [[nodiscard]] std::chrono::sys_seconds not_before() const;
  [[nodiscard]] std::chrono::sys_seconds not_after() const;
  // subject == issuer (RFC 5280 6.1: self-issued).
  [[nodiscard]] bool self_issued() const;
  // The subject public key, owned by the caller; null only if OpenSSL cannot decode it.
  [[nodiscard]] PkeyPtr public_key() const;
  // The value (extnValue contents) of the extension with this dotted OID, borrowed from this object;
  // nullopt when absent. Fails with gpu.cert.duplicate_extension when it occurs more than once.
  [[nodiscard]] std::expected<std::optional<std::span<const uint8_t>>, Error> extension(std::string_view oid) const;

  friend bool operator==(const Certificate& a, const Certificate& b);

  struct Impl;

 private:
  explicit Certificate(std::shared_ptr<const Impl> impl);
  friend struct CertificateAccess;
  std::shared_ptr<const Impl> impl_;
};

// Decodes one DER certificate; every byte must belong to it. Fails with gpu.cert.malformed.
std::expected<Certificate, Error> parse_certificate_der(std::span<const uint8_t> der);

// Decodes a PEM bundle of "CERTIFICATE" blocks in the given order (NVML: leaf first, root last).
// Only whitespace may surround the blocks; headers inside a block are refused. Fails with
// gpu.cert.malformed (naming the block) or gpu.cert.chain_too_long (more than max_certs blocks).
std::expected<std::vector<Certificate>, Error> parse_pem_chain(std::string_view pem,
                                                               size_t max_certs = kMaxChainLength);

// One "CERTIFICATE" PEM block (a pinned root); same failures.
std::expected<Certificate, Error> parse_certificate_pem(std::string_view pem);

}  // namespace attestd::evidence::x509
