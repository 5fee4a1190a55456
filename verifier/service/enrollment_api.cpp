// Credential activation (issue 4): POST /v1/hosts/{id}/enrollment answers a TPM2_MakeCredential
// blob for the host's EK and AK; POST /v1/hosts/{id}/enrollment/{eid}/activate with the secret the
// TPM recovered makes the AK trusted.
#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "api_context.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/tpm/credential.h"
#include "attestd/evidence/tpm/ek_certificate.h"
#include "attestd/evidence/tpm/enrollment.h"
#include "attestd/evidence/tpm/public_key.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;
namespace tpm = evidence::tpm;

Problem evidence_problem(int status, const std::vector<evidence::Error>& reasons, std::string detail) {
  Problem p = Problem::make(status, std::string(reasons.front().id), std::move(detail));
  p.reasons.clear();
  for (const auto& r : reasons) p.reasons.push_back(server::to_reason(r));
  return p;
}

HandlerResult begin(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  const std::string host_id(*request.param("id"));
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  auto ak_bytes = bytes_field(*body, "ak_public", true);
  if (!ak_bytes) return std::unexpected(ak_bytes.error());
  auto ek_bytes = bytes_field(*body, "ek_public", true);
  if (!ek_bytes) return std::unexpected(ek_bytes.error());
  auto ek_cert_bytes = bytes_field(*body, "ek_certificate", true);
  if (!ek_cert_bytes) return std::unexpected(ek_cert_bytes.error());

  std::vector<evidence::Error> reasons;
  // The AK must be a restricted signing key bound to this TPM (TPM 2.0 Part 1 §25.2).
  auto ak = tpm::parse_tpm2b_public(**ak_bytes);
  if (!ak) return std::unexpected(evidence_problem(422, {ak.error()}, "ak_public is not a TPM2B_PUBLIC"));
  const auto ak_check = tpm::check_attestation_key(*ak);
  reasons.insert(reasons.end(), ak_check.reasons.begin(), ak_check.reasons.end());

  auto ek = tpm::parse_ek_public(**ek_bytes);
  if (!ek) return std::unexpected(evidence_problem(422, {ek.error()}, "ek_public is not an endorsement key"));
  const auto ek_check = tpm::check_endorsement_key(*ek);
  reasons.insert(reasons.end(), ek_check.reasons.begin(), ek_check.reasons.end());

  // The EK certificate chains to a manufacturer root the tenant trusts and certifies this EK.
  auto ek_cert = tpm::parse_ek_certificate(**ek_cert_bytes);
  if (!ek_cert) {
    reasons.push_back(ek_cert.error());
  } else {
    auto roots = ctx.store->list_tpm_roots(*scope);
    if (!roots) return std::unexpected(store_problem(roots.error()));
    std::vector<evidence::x509::Certificate> trusted;
    for (const auto& r : *roots) {
      if (auto c = evidence::x509::parse_certificate_der(r.der)) trusted.push_back(std::move(*c));
    }
    const auto at = std::chrono::floor<std::chrono::seconds>(ctx.now());
    const auto validation = tpm::validate_ek_certificate(*ek_cert, trusted, {}, at);
    reasons.insert(reasons.end(), validation.reasons.begin(), validation.reasons.end());
    if (auto same = tpm::check_ek_certificate_key(ek->key(), *ek_cert); !same) reasons.push_back(same.error());
  }
  if (!reasons.empty()) return std::unexpected(evidence_problem(422, reasons, "enrollment refused"));

  std::array<uint8_t, 32> secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return std::unexpected(Problem::internal("enrollment.random_failed", "no randomness"));
  }
  auto credential = tpm::make_credential(*ek, ak->name(), secret, tpm::system_random());
  if (!credential) return std::unexpected(evidence_problem(422, {credential.error()}, "MakeCredential failed"));

  store::NewEnrollment e;
  SHA256(secret.data(), secret.size(), e.secret_sha256.data());
  e.ak_public = std::move(**ak_bytes);
  e.ak_name.assign(ak->name().begin(), ak->name().end());
  e.ek_certificate = std::move(**ek_cert_bytes);
  const auto rc = ctx.request_context(request);
  e.expires_at = rc.now + std::chrono::duration_cast<std::chrono::milliseconds>(ctx.options.enrollment_lifetime);
  auto enrollment = ctx.store->begin_enrollment(*scope, host_id, e, rc);
  if (!enrollment) return std::unexpected(store_problem(enrollment.error()));
  return Response::json(201, {{"enrollment_id", enrollment->id},
                              {"credential", base64_encode(tpm::to_tpm2_tools_credential_file(*credential))},
                              {"credential_blob", base64_encode(credential->credential_blob)},
                              {"encrypted_secret", base64_encode(credential->encrypted_secret)},
                              {"expires_at", iso8601(std::chrono::system_clock::time_point(
                                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                     enrollment->expires_at.time_since_epoch())))}});
}

HandlerResult activate(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  auto secret = bytes_field(*body, "secret", true);
  if (!secret) return std::unexpected(secret.error());
  store::Sha256 sha{};
  SHA256((*secret)->data(), (*secret)->size(), sha.data());
  auto host = ctx.store->activate_enrollment(*scope, *request.param("id"), *request.param("eid"), sha,
                                             ctx.request_context(request));
  if (!host) return std::unexpected(store_problem(host.error()));
  return Response::json(200, {{"host_id", host->host_id}, {"trusted", host->trusted},
                              {"ak_name", evidence::to_hex(host->ak_name)}});
}

}  // namespace

void add_enrollment_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  const auto who = server::Access::roles({server::Role::attester, server::Role::admin});
  routes.push_back({Method::post, "/v1/hosts/{id}/enrollment", who, [ctx](const Request& r) { return begin(*ctx, r); }});
  routes.push_back({Method::post, "/v1/hosts/{id}/enrollment/{eid}/activate", who,
                    [ctx](const Request& r) { return activate(*ctx, r); }});
}

}  // namespace attestd::service
