// RFC 5280 6.1 path validation through OpenSSL, collecting every error the verifier meets.
#include "attestd/evidence/x509/chain.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "attestd/evidence/x509/reasons.h"
#include "ossl.h"

namespace attestd::evidence::x509 {

namespace {

using detail::StoreCtxPtr;
using detail::StorePtr;
using detail::X509StackPtr;

// RFC 5280 4.1.2.5: UTCTime covers 1950..2049, GeneralizedTime up to 9999; OpenSSL cannot compare a
// time outside that range and then reports a valid chain.
constexpr std::chrono::sys_seconds kEarliestTime{std::chrono::sys_days{std::chrono::year{1950} / 1 / 1}};
constexpr std::chrono::sys_seconds kLatestTime{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} +
                                               std::chrono::seconds{86399}};

struct Collected {
  int depth;
  int error;
  std::string subject;
};

// Index of the per-context slot holding our collector.
int collector_index() {
  static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records every error and lets OpenSSL go on, so that one run lists all of them; the verdict is
// computed from the collected errors, never from the return value alone.
int collect_cb(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  auto* out = static_cast<std::vector<Collected>*>(X509_STORE_CTX_get_ex_data(ctx, collector_index()));
  const int error = X509_STORE_CTX_get_error(ctx);
  std::string subject;
  if (X509* cert = X509_STORE_CTX_get_current_cert(ctx); cert != nullptr) {
    if (char* line = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0); line != nullptr) {
      subject = line;
      OPENSSL_free(line);
    }
  }
  if (out != nullptr) out->push_back({X509_STORE_CTX_get_error_depth(ctx), error, std::move(subject)});
  return 1;
}

std::string_view reason_for(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return kCertExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return kCertNotYetValid;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return kCertSignatureInvalid;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return kCertUntrustedRoot;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
      return kCertMalformed;
    default:
      // Issuer not found (UNABLE_TO_GET_ISSUER_CERT[_LOCALLY], UNABLE_TO_VERIFY_LEAF_SIGNATURE),
      // invalid CA, path length, key usage, name constraints ...
      return kCertChainInvalid;
  }
}

void add_reason(std::vector<Error>& reasons, std::string_view id, std::string message) {
  const bool seen = std::ranges::any_of(reasons, [&](const Error& e) { return e.id == id; });
  if (!seen) reasons.push_back(Error{id, std::move(message)});
}

}  // namespace

ChainValidation validate_chain(std::span<const Certificate> chain, const Certificate& root,
                               std::chrono::sys_seconds at, size_t max_certs) {
  ChainValidation result;
  auto& reasons = result.reasons;

  if (at < kEarliestTime || at > kLatestTime) {
    add_reason(reasons, kCertTimeOutOfRange,
               fmt::format("verification time {} s since the epoch is outside 1950..9999 (RFC 5280 4.1.2.5)",
                           at.time_since_epoch().count()));
    return result;
  }
  if (chain.size() > max_certs) {
    add_reason(reasons, kCertChainTooLong, fmt::format("{} certificates, at most {}", chain.size(), max_certs));
    return result;
  }

  // The presented root (a self-issued last certificate) is replaced by the pinned one.
  std::span<const Certificate> path = chain;
  if (!path.empty() && path.back().self_issued()) {
    if (!(path.back() == root)) {
      add_reason(reasons, kCertUntrustedRoot,
                 fmt::format("the chain ends in '{}', which is not the pinned root '{}'", path.back().subject(),
                             root.subject()));
    }
    path = path.first(path.size() - 1);
  }
  if (path.empty()) {
    add_reason(reasons, kCertChainTooShort, "the chain holds no certificate besides the root");
    return result;
  }

  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509StackPtr untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted || X509_STORE_add_cert(store.get(), root.get()) != 1) {
    detail::clear_openssl_errors();
    add_reason(reasons, kCertChainInvalid, "cannot set up the X509 store");
    return result;
  }
  for (const Certificate& cert : path.subspan(1)) {
    if (sk_X509_push(untrusted.get(), cert.get()) <= 0) {
      add_reason(reasons, kCertChainInvalid, "cannot build the intermediate list");
      return result;
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), path.front().get(), untrusted.get()) != 1) {
    detail::clear_openssl_errors();
    add_reason(reasons, kCertChainInvalid, "cannot initialise the verification context");
    return result;
  }

  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at.time_since_epoch().count()));
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(max_certs));

  std::vector<Collected> collected;
  X509_STORE_CTX_set_ex_data(ctx.get(), collector_index(), &collected);
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_cb);
  const int rc = X509_verify_cert(ctx.get());
  detail::clear_openssl_errors();

  // RFC 5280 6.1.3 (a)(4): each certificate as presented must be issued by the next one. OpenSSL
  // builds its own path from the untrusted set, so the NVML order is checked here.
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (X509_check_issued(path[i + 1].get(), path[i].get()) != X509_V_OK) {
      add_reason(reasons, kCertChainInvalid,
                 fmt::format("certificate {} ('{}') is not issued by certificate {} ('{}')", i, path[i].subject(),
                             i + 1, path[i + 1].subject()));
    }
  }
  for (const Collected& c : collected) {
    add_reason(reasons, reason_for(c.error),
               fmt::format("depth {} ('{}'): {}", c.depth, c.subject, X509_verify_cert_error_string(c.error)));
  }
  if (rc != 1 && reasons.empty()) {
    add_reason(reasons, kCertChainInvalid,
               fmt::format("X509_verify_cert: {}", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  result.valid = reasons.empty();
  return result;
}

}  // namespace attestd::evidence::x509
