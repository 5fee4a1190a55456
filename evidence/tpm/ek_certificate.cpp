// EK certificates: NV padding, CA bundles, RFC 5280 path validation to TPM manufacturer CAs through
// OpenSSL, and the TCG EK Credential Profile basics.
#include "attestd/evidence/tpm/ek_certificate.h"

#include <fmt/format.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/tpm/enroll_reasons.h"
#include "ossl.h"

namespace attestd::evidence::tpm {

namespace {

using StorePtr = std::unique_ptr<X509_STORE, detail::OsslDeleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, detail::OsslDeleter<X509_STORE_CTX_free>>;
inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), detail::OsslDeleter<free_x509_stack>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, detail::OsslDeleter<BASIC_CONSTRAINTS_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, detail::OsslDeleter<EXTENDED_KEY_USAGE_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, detail::OsslDeleter<GENERAL_NAMES_free>>;

// X.690 8.1.2 / 8.1.3: the outer Certificate SEQUENCE tag and its length octets.
constexpr uint8_t kTagSequence = 0x30;
constexpr uint8_t kLengthLongForm = 0x80;
constexpr size_t kMaxLengthOctets = 4;
// The byte an unwritten NV index reads as.
constexpr uint8_t kNvPadding = 0xFF;

// RFC 5280 4.1.2.5: OpenSSL cannot compare times outside UTCTime/GeneralizedTime and then passes.
constexpr std::chrono::sys_seconds kEarliestTime{std::chrono::sys_days{std::chrono::year{1950} / 1 / 1}};
constexpr std::chrono::sys_seconds kLatestTime{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} +
                                               std::chrono::seconds{86399}};

constexpr std::string_view kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kPemEnd = "-----END CERTIFICATE-----";

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_openssl_errors();
  return std::unexpected(Error{id, std::move(message)});
}

void add_reason(std::vector<Error>& reasons, std::string_view id, std::string message) {
  const bool seen = std::ranges::any_of(reasons, [&](const Error& e) { return e.id == id; });
  if (!seen) reasons.push_back(Error{id, std::move(message)});
}

// The size of the DER TLV that starts `bytes` (X.690 8.1.3: short form, or long form with 1..4
// length octets). nullopt when it is not a SEQUENCE or runs past the end.
std::optional<size_t> outer_sequence_size(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  uint8_t tag = 0;
  uint8_t first = 0;
  if (!r.read_u8(tag) || tag != kTagSequence || !r.read_u8(first)) return std::nullopt;
  size_t length = first;
  if ((first & kLengthLongForm) != 0) {
    const size_t octets = first & 0x7Fu;
    if (octets == 0 || octets > kMaxLengthOctets) return std::nullopt;  // indefinite or too long
    length = 0;
    for (size_t i = 0; i < octets; ++i) {
      uint8_t b = 0;
      if (!r.read_u8(b)) return std::nullopt;
      length = (length << 8) | b;
    }
  }
  if (length > r.remaining()) return std::nullopt;
  return r.position() + length;
}

std::string oid_text(const ASN1_OBJECT* obj) {
  std::array<char, 128> buf{};
  const int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), obj, 1);
  if (n <= 0 || static_cast<size_t>(n) >= buf.size()) return {};
  return std::string(buf.data(), static_cast<size_t>(n));
}

std::optional<std::string> utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0 || out == nullptr) {
    detail::clear_openssl_errors();
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(len), '\0');
  std::copy_n(out, text.size(), text.begin());
  OPENSSL_free(out);
  return text;
}

// "id:" followed by exactly 8 hex digits (TCG EK profile, tpmManufacturer / tpmVersion), as a u32.
std::optional<uint32_t> decode_id(std::string_view text) {
  constexpr std::string_view kPrefix = "id:";
  if (text.size() != kPrefix.size() + 8 || text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto bytes = from_hex(text.substr(kPrefix.size()));
  if (!bytes || bytes->size() != 4) return std::nullopt;
  return (static_cast<uint32_t>((*bytes)[0]) << 24) | (static_cast<uint32_t>((*bytes)[1]) << 16) |
         (static_cast<uint32_t>((*bytes)[2]) << 8) | static_cast<uint32_t>((*bytes)[3]);
}

// Reads extension `nid` decoded by OpenSSL. nullopt-with-ok when absent; an error when it is
// repeated (RFC 5280 4.2) or does not decode.
template <typename Ptr>
std::expected<Ptr, Error> extension(X509* cert, int nid, std::string_view what) {
  int crit = 0;
  void* raw = X509_get_ext_d2i(cert, nid, &crit, nullptr);
  Ptr value(static_cast<typename Ptr::element_type*>(raw));
  if (!value && crit == -2) {
    return fail(kEkCertMalformed, fmt::format("the {} extension occurs more than once (RFC 5280 4.2)", what));
  }
  if (!value && crit != -1) return fail(kEkCertMalformed, fmt::format("the {} extension does not decode", what));
  detail::clear_openssl_errors();
  return value;
}

// Sets `slot` from a SAN attribute; a second value of the same attribute is refused.
bool set_once(std::optional<std::string>& slot, std::optional<std::string> value) {
  if (slot) return false;
  slot = std::move(value);
  return true;
}

// TCG EK profile basics and claims. Adds reasons for what is wrong; the claims keep what decoded.
void profile_checks(const x509::Certificate& cert, EkCertificateClaims& claims, std::vector<Error>& reasons) {
  X509* x = cert.get();
  claims.issuer = cert.issuer();
  claims.serial = cert.serial();
  claims.not_before = cert.not_before();
  claims.not_after = cert.not_after();

  // Basic Constraints: an EK certificate is an end-entity certificate.
  if (auto bc = extension<BasicConstraintsPtr>(x, NID_basic_constraints, "basicConstraints"); !bc) {
    add_reason(reasons, bc.error().id, bc.error().message);
  } else if (*bc && (*bc)->ca != 0) {
    add_reason(reasons, kEkCertIsCa,
               fmt::format("'{}' has basicConstraints cA TRUE: a CA certificate, not an EK certificate", cert.subject()));
  }

  // Extended Key Usage: when present it must list tcg-kp-EKCertificate.
  if (auto eku = extension<EkuPtr>(x, NID_ext_key_usage, "extendedKeyUsage"); !eku) {
    add_reason(reasons, eku.error().id, eku.error().message);
  } else if (*eku) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku->get()); ++i) {
      if (oid_text(sk_ASN1_OBJECT_value(eku->get(), i)) == kOidTcgKpEkCertificate) claims.ek_eku = true;
    }
    if (!claims.ek_eku) {
      add_reason(reasons, kEkCertWrongEku,
                 fmt::format("extendedKeyUsage does not list tcg-kp-EKCertificate ({})", kOidTcgKpEkCertificate));
    }
  }

  // Subject Alternative Name: directoryName attributes tcg-at-tpmManufacturer / Model / Version.
  auto san = extension<GeneralNamesPtr>(x, NID_subject_alt_name, "subjectAltName");
  if (!san) {
    add_reason(reasons, san.error().id, san.error().message);
    return;
  }
  if (!*san) return;
  bool repeated = false;
  bool undecodable = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(san->get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(san->get(), i);
    if (gn->type != GEN_DIRNAME) continue;
    const X509_NAME* dir = gn->d.directoryName;
    for (int j = 0; j < X509_NAME_entry_count(dir); ++j) {
      const X509_NAME_ENTRY* entry = X509_NAME_get_entry(dir, j);
      const std::string oid = oid_text(X509_NAME_ENTRY_get_object(entry));
      std::optional<std::string>* slot = nullptr;
      if (oid == kOidTpmManufacturer) slot = &claims.manufacturer;
      if (oid == kOidTpmModel) slot = &claims.model;
      if (oid == kOidTpmVersion) slot = &claims.version;
      if (slot == nullptr) continue;
      auto value = utf8(X509_NAME_ENTRY_get_data(entry));
      if (!value) {
        undecodable = true;
        continue;
      }
      if (!set_once(*slot, std::move(value))) repeated = true;
    }
  }
  if (repeated) add_reason(reasons, kEkCertMalformed, "subjectAltName names a TPM attribute more than once");
  if (undecodable) add_reason(reasons, kEkCertMalformed, "a TPM attribute of subjectAltName is not a string");
  if (claims.manufacturer) claims.manufacturer_id = decode_id(*claims.manufacturer);
  if (claims.version) claims.version_id = decode_id(*claims.version);
}

struct Collected {
  int depth;
  int error;
  std::string subject;
};

int collector_index() {
  static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records every error and lets OpenSSL go on, so that one run lists all of them.
int collect_cb(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  auto* out = static_cast<std::vector<Collected>*>(X509_STORE_CTX_get_ex_data(ctx, collector_index()));
  std::string subject;
  if (X509* cert = X509_STORE_CTX_get_current_cert(ctx); cert != nullptr) {
    if (char* line = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0); line != nullptr) {
      subject = line;
      OPENSSL_free(line);
    }
  }
  if (out != nullptr) out->push_back({X509_STORE_CTX_get_error_depth(ctx), X509_STORE_CTX_get_error(ctx), std::move(subject)});
  return 1;
}

std::string_view reason_for(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return kEkCertExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return kEkCertNotYetValid;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return kEkCertSignatureInvalid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return kEkCertUntrusted;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_INVALID_EXTENSION:
      return kEkCertMalformed;
    default:
      // Invalid CA, path length, key usage, unhandled critical extension, chain too long ...
      return kEkCertChainInvalid;
  }
}

void validate_path(const x509::Certificate& ek_cert, std::span<const x509::Certificate> trusted_roots,
                   std::span<const x509::Certificate> intermediates, std::chrono::sys_seconds at,
                   std::vector<Error>& reasons) {
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509StackPtr untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted) {
    detail::clear_openssl_errors();
    add_reason(reasons, kEkCertChainInvalid, "cannot set up the X509 store");
    return;
  }
  for (const x509::Certificate& root : trusted_roots) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
      detail::clear_openssl_errors();  // a duplicate anchor is harmless
    }
  }
  for (const x509::Certificate& cert : intermediates) {
    if (sk_X509_push(untrusted.get(), cert.get()) <= 0) {
      add_reason(reasons, kEkCertChainInvalid, "cannot build the intermediate list");
      return;
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), ek_cert.get(), untrusted.get()) != 1) {
    detail::clear_openssl_errors();
    add_reason(reasons, kEkCertChainInvalid, "cannot initialise the verification context");
    return;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at.time_since_epoch().count()));
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxEkChainDepth));
  // A tenant may trust a manufacturer intermediate directly; only certificates in trusted_roots
  // can end a path, never an untrusted intermediate.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);

  std::vector<Collected> collected;
  X509_STORE_CTX_set_ex_data(ctx.get(), collector_index(), &collected);
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_cb);
  const int rc = X509_verify_cert(ctx.get());
  const int final_error = X509_STORE_CTX_get_error(ctx.get());
  detail::clear_openssl_errors();

  for (const Collected& c : collected) {
    add_reason(reasons, reason_for(c.error),
               fmt::format("depth {} ('{}'): {}", c.depth, c.subject, X509_verify_cert_error_string(c.error)));
  }
  if (rc != 1 && collected.empty()) {
    add_reason(reasons, kEkCertChainInvalid, fmt::format("X509_verify_cert: {}", X509_verify_cert_error_string(final_error)));
  }
}

}  // namespace

std::expected<x509::Certificate, Error> parse_ek_certificate(std::span<const uint8_t> bytes) {
  size_t start = 0;
  while (start < bytes.size() && (bytes[start] == ' ' || bytes[start] == '\t' || bytes[start] == '\r' || bytes[start] == '\n')) {
    ++start;
  }
  const auto rest = bytes.subspan(start);
  if (rest.size() >= kPemBegin.size() && std::equal(kPemBegin.begin(), kPemBegin.end(), rest.begin(),
                                                    [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; })) {
    const std::string pem(bytes.begin(), bytes.end());
    auto cert = x509::parse_certificate_pem(pem);
    if (!cert) return fail(kEkCertMalformed, fmt::format("EK certificate PEM: {}", cert.error().message));
    return cert;
  }

  if (bytes.size() > x509::kMaxCertificateSize) {
    return fail(kEkCertMalformed, fmt::format("EK certificate of {} bytes exceeds the {}-byte limit", bytes.size(),
                                              x509::kMaxCertificateSize));
  }
  const auto size = outer_sequence_size(bytes);
  if (!size) return fail(kEkCertMalformed, "EK certificate does not start with a complete DER SEQUENCE");
  // What follows the certificate in an NV read is the unwritten rest of the index: 0xFF only.
  const auto padding = bytes.subspan(*size);
  if (const auto bad = std::ranges::find_if(padding, [](uint8_t b) { return b != kNvPadding; }); bad != padding.end()) {
    return fail(kEkCertMalformed,
                fmt::format("byte 0x{:02x} at offset {} after the {}-byte certificate: only 0xFF padding may follow", *bad,
                            *size + static_cast<size_t>(bad - padding.begin()), *size));
  }
  auto cert = x509::parse_certificate_der(bytes.first(*size));
  if (!cert) return fail(kEkCertMalformed, fmt::format("EK certificate: {}", cert.error().message));
  return cert;
}

std::expected<std::vector<x509::Certificate>, Error> parse_ek_ca_bundle(std::string_view pem) {
  if (pem.size() > kMaxEkCaBundleSize) {
    return fail(kEkCertMalformed, fmt::format("CA bundle of {} bytes exceeds the {}-byte limit", pem.size(), kMaxEkCaBundleSize));
  }
  std::vector<x509::Certificate> certs;
  for (size_t pos = pem.find(kPemBegin); pos != std::string_view::npos; pos = pem.find(kPemBegin, pos)) {
    const size_t end = pem.find(kPemEnd, pos + kPemBegin.size());
    if (end == std::string_view::npos) {
      return fail(kEkCertMalformed, fmt::format("CA bundle block {} has no END line", certs.size()));
    }
    if (certs.size() == kMaxEkCaCertificates) {
      return fail(kEkCertMalformed, fmt::format("CA bundle holds more than {} certificates", kMaxEkCaCertificates));
    }
    const size_t block_end = end + kPemEnd.size();
    auto cert = x509::parse_certificate_pem(pem.substr(pos, block_end - pos));
    if (!cert) {
      return fail(kEkCertMalformed, fmt::format("CA bundle block {}: {}", certs.size(), cert.error().message));
    }
    certs.push_back(std::move(*cert));
    pos = block_end;
  }
  if (certs.empty()) return fail(kEkCertMalformed, "CA bundle holds no CERTIFICATE block");
  return certs;
}

EkCertificateValidation validate_ek_certificate(const x509::Certificate& ek_cert,
                                                std::span<const x509::Certificate> trusted_roots,
                                                std::span<const x509::Certificate> intermediates,
                                                std::chrono::sys_seconds at) {
  EkCertificateValidation result;
  auto& reasons = result.reasons;
  if (trusted_roots.empty()) {
    add_reason(reasons, kEkCertNoTrustAnchor, "no trusted TPM manufacturer CA was given");
  } else if (at < kEarliestTime || at > kLatestTime) {
    add_reason(reasons, kEkCertTimeOutOfRange,
               fmt::format("verification time {} s since the epoch is outside 1950..9999 (RFC 5280 4.1.2.5)",
                           at.time_since_epoch().count()));
  } else {
    validate_path(ek_cert, trusted_roots, intermediates, at, reasons);
  }
  profile_checks(ek_cert, result.claims, reasons);
  result.valid = reasons.empty();
  return result;
}

std::expected<void, Error> check_ek_certificate_key(const PublicKey& ek, const x509::Certificate& ek_cert) {
  const x509::PkeyPtr cert_key = ek_cert.public_key();
  if (!cert_key) return fail(kEkKeyMismatch, "the EK certificate's public key does not decode");
  if (EVP_PKEY_eq(ek.evp(), cert_key.get()) != 1) {
    return fail(kEkKeyMismatch, fmt::format("the EK public key is not the key certified by '{}' serial {}",
                                            ek_cert.issuer(), to_hex(ek_cert.serial())));
  }
  detail::clear_openssl_errors();
  return {};
}

}  // namespace attestd::evidence::tpm
