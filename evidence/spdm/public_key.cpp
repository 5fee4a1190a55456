// Public keys from certificates (OpenSSL d2i_X509 / PEM_read_bio_X509).
#include "attestd/evidence/spdm/public_key.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <limits>

#include "attestd/evidence/spdm/reasons.h"
#include "ossl.h"

namespace attestd::evidence::spdm {

void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

namespace {

std::expected<PkeyPtr, Error> key_of(X509* cert) {
  PkeyPtr key(X509_get_pubkey(cert));
  if (!key) {
    ERR_clear_error();
    return std::unexpected(Error{kKeyInvalid, "the certificate's public key does not decode"});
  }
  return key;
}

}  // namespace

std::expected<PkeyPtr, Error> public_key_from_certificate_der(std::span<const uint8_t> der) {
  if (der.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return std::unexpected(Error{kKeyInvalid, "certificate too large"});
  }
  const unsigned char* p = der.data();
  detail::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    ERR_clear_error();
    return std::unexpected(Error{kKeyInvalid, fmt::format("{}-byte certificate does not decode as DER X.509", der.size())});
  }
  const auto used = static_cast<size_t>(p - der.data());
  if (used != der.size()) {
    return std::unexpected(Error{kKeyInvalid, fmt::format("certificate ends at byte {} of {}", used, der.size())});
  }
  return key_of(cert.get());
}

std::expected<PkeyPtr, Error> first_public_key_from_pem(std::span<const uint8_t> pem) {
  if (pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return std::unexpected(Error{kKeyInvalid, "PEM bundle too large"});
  }
  detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::unexpected(Error{kKeyInvalid, "cannot read the PEM bundle"});
  detail::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return std::unexpected(Error{kKeyInvalid, "no PEM certificate in the bundle"});
  }
  return key_of(cert.get());
}

}  // namespace attestd::evidence::spdm
