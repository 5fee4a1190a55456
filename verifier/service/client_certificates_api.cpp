// POST, GET /v1/hosts/{id}/certificates and DELETE /v1/hosts/{id}/certificates/{cid}: a tenant
// admin registers, lists and revokes the TLS client certificates a host may authenticate with
// instead of a bearer token (issue 8). Registration refuses what would be a poor credential.
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>

#include "api_context.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/ossl_ptr.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

constexpr int kMinRsaBits = 2048;

Problem refused(std::string id, std::string detail) { return Problem::unprocessable(std::move(id), std::move(detail)); }

std::optional<store::Timestamp> to_timestamp(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::from_time_t(timegm(&tm)));
}

// RSA of at least 2048 bits, or ECDSA on P-256 or P-384: what the server's TLS stack verifies
// well. Anything else (smaller RSA, other curves, DSA, EdDSA) is refused rather than judged.
std::optional<Problem> weak_key(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return refused("host.certificate.weak_key", "the certificate's public key cannot be read");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
        return refused("host.certificate.weak_key",
                       fmt::format("RSA keys must have at least {} bits, this one has {}", kMinRsaBits,
                                   EVP_PKEY_get_bits(key)));
      }
      return std::nullopt;
    case EVP_PKEY_EC: {
      std::array<char, 64> group{};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1) {
        return refused("host.certificate.weak_key", "the EC key's curve cannot be read");
      }
      int nid = OBJ_sn2nid(group.data());
      if (nid == NID_undef) nid = EC_curve_nist2nid(group.data());
      if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1) {
        return refused("host.certificate.weak_key",
                       fmt::format("EC keys must be on P-256 or P-384, not {}", group.data()));
      }
      return std::nullopt;
    }
    default: return refused("host.certificate.weak_key", "only RSA (2048 bits or more) and ECDSA P-256/P-384 keys");
  }
}

// The one certificate of a PEM text, checked: a leaf (no CA:TRUE), not expired at `now`, a
// strong key. Refusals are 422 with host.certificate.{invalid,ca,expired,weak_key}.
std::expected<store::NewClientCertificate, Problem> checked_certificate(const std::string& pem, store::Timestamp now) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::unexpected(Problem::internal("api.internal", "out of memory"));
  ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return std::unexpected(refused("host.certificate.invalid", "\"certificate\" is not a PEM X.509 certificate"));
  }
  // One certificate, not a chain: what is registered is exactly what the host presents.
  if (ossl::X509Ptr more(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)); more) {
    return std::unexpected(refused("host.certificate.invalid", "give exactly one certificate, not a chain"));
  }
  ERR_clear_error();
  int critical = 0;
  auto* constraints =
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr));
  const bool ca = constraints != nullptr && constraints->ca != 0;
  BASIC_CONSTRAINTS_free(constraints);
  if (ca) {
    return std::unexpected(
        refused("host.certificate.ca", "a CA certificate (basicConstraints CA:TRUE) is no host credential"));
  }
  const auto not_before = to_timestamp(X509_get0_notBefore(cert.get()));
  const auto not_after = to_timestamp(X509_get0_notAfter(cert.get()));
  if (!not_before || !not_after) {
    return std::unexpected(refused("host.certificate.invalid", "the certificate's validity cannot be read"));
  }
  // RFC 5280 §4.1.2.5: notAfter is the last instant of validity.
  if (*not_after < now) return std::unexpected(refused("host.certificate.expired", "the certificate has expired"));
  if (*not_after < *not_before) {
    return std::unexpected(refused("host.certificate.invalid", "the certificate's validity period is empty"));
  }
  if (auto weak = weak_key(cert.get())) return std::unexpected(std::move(*weak));

  store::NewClientCertificate out;
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return std::unexpected(refused("host.certificate.invalid", "the certificate cannot be encoded"));
  out.der.assign(der, der + len);
  OPENSSL_free(der);
  SHA256(out.der.data(), out.der.size(), out.der_sha256.data());
  out.not_before = *not_before;
  out.not_after = *not_after;
  return out;
}

nlohmann::json certificate_json(const store::ClientCertificate& c) {
  return {{"certificate_id", c.id},
          {"host_id", c.host_id},
          {"sha256", evidence::to_hex(c.der_sha256)},
          {"not_before", iso8601(c.not_before)},
          {"not_after", iso8601(c.not_after)},
          {"created_at", iso8601(c.created_at)},
          {"revoked_at", c.revoked_at ? nlohmann::json(iso8601(*c.revoked_at)) : nlohmann::json(nullptr)}};
}

// {certificate: PEM} → 201 with the registered certificate.
HandlerResult add_certificate(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  for (const auto& [key, value] : body->items()) {
    if (key != "certificate") return std::unexpected(bad_body(fmt::format("unknown field \"{}\"", key)));
  }
  auto pem = string_field(*body, "certificate");
  if (!pem) return std::unexpected(pem.error());
  const auto rc = ctx.request_context(request);
  auto cert = checked_certificate(*pem, rc.now);
  if (!cert) return std::unexpected(cert.error());
  auto added = ctx.store->add_client_certificate(*scope, *request.param("id"), *cert, rc);
  if (!added) {
    if (added.error().code == store::StoreErrorCode::conflict) {
      return std::unexpected(Problem::conflict("host.certificate.registered", added.error().message));
    }
    return std::unexpected(store_problem(added.error()));
  }
  return Response::json(201, certificate_json(*added));
}

HandlerResult list_certificates(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto certs = ctx.store->list_client_certificates(*scope, *request.param("id"));
  if (!certs) return std::unexpected(store_problem(certs.error()));
  nlohmann::json out = {{"certificates", nlohmann::json::array()}};
  for (const auto& c : *certs) out["certificates"].push_back(certificate_json(c));
  return Response::json(200, out);
}

HandlerResult revoke_certificate(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto revoked = ctx.store->revoke_client_certificate(*scope, *request.param("id"), *request.param("cid"),
                                                      ctx.request_context(request));
  if (!revoked) return std::unexpected(store_problem(revoked.error()));
  return Response::json(200, certificate_json(*revoked));
}

}  // namespace

void add_client_certificate_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  const auto admin = server::Access::roles({server::Role::admin});
  routes.push_back({Method::post, "/v1/hosts/{id}/certificates", admin,
                    [ctx](const Request& r) { return add_certificate(*ctx, r); }});
  routes.push_back({Method::get, "/v1/hosts/{id}/certificates", admin,
                    [ctx](const Request& r) { return list_certificates(*ctx, r); }});
  routes.push_back({Method::delete_, "/v1/hosts/{id}/certificates/{cid}", admin,
                    [ctx](const Request& r) { return revoke_certificate(*ctx, r); }});
}

}  // namespace attestd::service
