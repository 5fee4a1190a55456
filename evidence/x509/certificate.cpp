// X.509 certificates through OpenSSL: DER and PEM decoding, names, serial, validity, extensions.
#include "attestd/evidence/x509/certificate.h"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/x509/reasons.h"
#include "der.h"
#include "ossl.h"

namespace attestd::evidence::x509 {

using detail::BioPtr;
using detail::BnPtr;
using detail::ObjPtr;
using detail::OsslStringPtr;
using detail::X509Ptr;

void PkeyFree::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

struct Certificate::Impl {
  X509Ptr x509;
  std::vector<uint8_t> der;
};

Certificate::Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;
Certificate::~Certificate() = default;

Certificate Certificate::share() const { return Certificate(impl_); }
X509* Certificate::get() const { return impl_->x509.get(); }
std::span<const uint8_t> Certificate::der() const { return impl_->der; }

struct CertificateAccess {
  static Certificate make(std::shared_ptr<const Certificate::Impl> impl) { return Certificate(std::move(impl)); }
};

bool operator==(const Certificate& a, const Certificate& b) { return std::ranges::equal(a.der(), b.der()); }

namespace {

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_openssl_errors();
  return std::unexpected(Error{id, std::move(message)});
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return {};
  // RFC 2253 order and escaping, UTF-8 kept as is.
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    detail::clear_openssl_errors();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

std::chrono::sys_seconds to_sys_seconds(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    detail::clear_openssl_errors();
    return std::chrono::sys_seconds{};
  }
  using namespace std::chrono;
  const year_month_day ymd{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                           day{static_cast<unsigned>(tm.tm_mday)}};
  return sys_days{ymd} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

}  // namespace

std::string Certificate::subject() const { return name_text(X509_get_subject_name(get())); }
std::string Certificate::issuer() const { return name_text(X509_get_issuer_name(get())); }

std::string Certificate::subject_common_name() const {
  const X509_NAME* name = X509_get_subject_name(get());
  const int pos = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (pos < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, pos));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0 || utf8 == nullptr) {
    detail::clear_openssl_errors();
    return {};
  }
  std::string out(static_cast<size_t>(len), '\0');
  std::copy_n(utf8, out.size(), out.begin());
  OPENSSL_free(utf8);
  return out;
}

std::vector<uint8_t> Certificate::serial() const {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(get()), nullptr));
  if (!bn) {
    detail::clear_openssl_errors();
    return {};
  }
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(bn.get())));
  if (!out.empty()) BN_bn2bin(bn.get(), out.data());
  return out;
}

std::string Certificate::serial_decimal() const {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(get()), nullptr));
  if (!bn) {
    detail::clear_openssl_errors();
    return {};
  }
  OsslStringPtr text(BN_bn2dec(bn.get()));
  return text ? std::string(text.get()) : std::string();
}

std::chrono::sys_seconds Certificate::not_before() const { return to_sys_seconds(X509_get0_notBefore(get())); }
std::chrono::sys_seconds Certificate::not_after() const { return to_sys_seconds(X509_get0_notAfter(get())); }

bool Certificate::self_issued() const {
  return X509_NAME_cmp(X509_get_subject_name(get()), X509_get_issuer_name(get())) == 0;
}

PkeyPtr Certificate::public_key() const {
  PkeyPtr key(X509_get_pubkey(get()));
  if (!key) detail::clear_openssl_errors();
  return key;
}

std::expected<std::optional<std::span<const uint8_t>>, Error> Certificate::extension(std::string_view oid) const {
  const std::string oid_text(oid);
  ObjPtr obj(OBJ_txt2obj(oid_text.c_str(), 1));
  if (!obj) return fail(kCertMalformed, fmt::format("'{}' is not a dotted OID", oid));
  const int pos = X509_get_ext_by_OBJ(get(), obj.get(), -1);
  if (pos < 0) return std::optional<std::span<const uint8_t>>{};
  if (X509_get_ext_by_OBJ(get(), obj.get(), pos) >= 0) {
    return fail(kCertDuplicateExtension,
                fmt::format("extension {} occurs more than once in '{}' (RFC 5280 4.2)", oid, subject()));
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(get(), pos));
  if (value == nullptr) return fail(kCertMalformed, fmt::format("extension {} has no value", oid));
  const int len = ASN1_STRING_length(value);
  return std::optional<std::span<const uint8_t>>(
      std::span<const uint8_t>(ASN1_STRING_get0_data(value), static_cast<size_t>(std::max(len, 0))));
}

std::expected<Certificate, Error> parse_certificate_der(std::span<const uint8_t> der) {
  if (der.empty()) return fail(kCertMalformed, "empty certificate");
  if (der.size() > kMaxCertificateSize) {
    return fail(kCertMalformed, fmt::format("certificate of {} bytes exceeds the {}-byte limit", der.size(),
                                            kMaxCertificateSize));
  }
  // RFC 5280 4.1: Certificate ::= SEQUENCE {...}; the outer TLV must span exactly the input.
  ByteReader r(der);
  ByteReader body;
  if (!der::read_expected(r, der::kTagSequence, body)) {
    return fail(kCertMalformed, "certificate is not a DER SEQUENCE");
  }
  if (!r.empty()) return fail(kCertMalformed, fmt::format("{} bytes after the certificate", r.remaining()));

  const unsigned char* p = der.data();
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509) return fail(kCertMalformed, "OpenSSL cannot decode the certificate");
  if (p != der.data() + der.size()) return fail(kCertMalformed, "certificate decoding did not consume every byte");

  auto impl = std::make_shared<Certificate::Impl>();
  impl->x509 = std::move(x509);
  impl->der.assign(der.begin(), der.end());
  return CertificateAccess::make(std::shared_ptr<const Certificate::Impl>(std::move(impl)));
}

namespace {

constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

size_t skip_space(std::string_view s, size_t pos) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  return pos;
}

// Decodes one PEM block (RFC 7468 5.1) with OpenSSL's base64 decoder; the label must be CERTIFICATE
// and no headers may be present.
std::expected<Certificate, Error> decode_block(std::string_view block, size_t index) {
  BioPtr bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!bio) return fail(kCertMalformed, "cannot allocate a BIO");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    return fail(kCertMalformed, fmt::format("PEM block {} does not decode", index));
  }
  OsslStringPtr name_owner(name);
  OsslStringPtr header_owner(header);
  detail::OsslBytesPtr data_owner(data);
  if (std::string_view(name) != "CERTIFICATE" || (header != nullptr && header[0] != '\0')) {
    return fail(kCertMalformed, fmt::format("PEM block {} is not a plain CERTIFICATE block", index));
  }
  auto cert = parse_certificate_der(std::span<const uint8_t>(data, static_cast<size_t>(len)));
  if (!cert) {
    return std::unexpected(Error{cert.error().id, fmt::format("PEM block {}: {}", index, cert.error().message)});
  }
  return cert;
}

}  // namespace

std::expected<std::vector<Certificate>, Error> parse_pem_chain(std::string_view pem, size_t max_certs) {
  if (pem.size() > kMaxPemSize) {
    return fail(kCertMalformed, fmt::format("PEM input of {} bytes exceeds the {}-byte limit", pem.size(), kMaxPemSize));
  }
  std::vector<Certificate> certs;
  size_t pos = skip_space(pem, 0);
  while (pos < pem.size()) {
    if (pem.substr(pos, kPemBegin.size()) != kPemBegin) {
      return fail(kCertMalformed, fmt::format("unexpected text at offset {} (expected '{}')", pos, kPemBegin));
    }
    const size_t end = pem.find(kPemEnd, pos + kPemBegin.size());
    if (end == std::string_view::npos) {
      return fail(kCertMalformed, fmt::format("PEM block {} has no END line", certs.size()));
    }
    if (certs.size() == max_certs) {
      return fail(kCertChainTooLong, fmt::format("more than {} certificates", max_certs));
    }
    const size_t block_end = end + kPemEnd.size();
    auto cert = decode_block(pem.substr(pos, block_end - pos), certs.size());
    if (!cert) return std::unexpected(cert.error());
    certs.push_back(std::move(*cert));
    pos = skip_space(pem, block_end);
  }
  if (certs.empty()) return fail(kCertMalformed, "no CERTIFICATE block");
  return certs;
}

std::expected<Certificate, Error> parse_certificate_pem(std::string_view pem) {
  auto certs = parse_pem_chain(pem, 1);
  if (!certs) return std::unexpected(certs.error());
  return std::move(certs->front());
}

}  // namespace attestd::evidence::x509
