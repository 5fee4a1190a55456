// POST /v1/attestations (attester): parse → verify → appraise → verdict, EAR, and the nonce
// consumed exactly once together with the stored result (DESIGN.md §1).
// GET /v1/attestations/{id}.
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>

#include "api_context.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/evidence/gpu/gpu_verification.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/x509/reasons.h"
#include "attestd/broker/key_broker.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/pcr_json.h"
#include "attestd/policy/policy_document.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/reference_set.h"
#include "attestd/policy/selection.h"
#include "attestd/result/ar4si.h"
#include "attestd/result/binding.h"
#include "attestd/result/ear.h"
#include "attestd/result/jwk.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;
namespace tpm = evidence::tpm;
namespace el = evidence::eventlog;

// Bounds on what one attestation may carry (issue 11 makes these configurable).
constexpr size_t kMaxGpus = 16;

std::string sha256_hex(std::span<const uint8_t> bytes) {
  std::array<uint8_t, 32> d{};
  SHA256(bytes.data(), bytes.size(), d.data());
  return evidence::to_hex(d);
}

std::chrono::system_clock::time_point to_system(store::Timestamp t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(t.time_since_epoch()));
}

store::Verdict to_store(policy::Verdict v) {
  switch (v) {
    case policy::Verdict::affirming: return store::Verdict::affirming;
    case policy::Verdict::warning: return store::Verdict::warning;
    case policy::Verdict::contraindicated: return store::Verdict::contraindicated;
    case policy::Verdict::none: return store::Verdict::none;
  }
  return store::Verdict::none;
}

result::Status to_status(policy::Verdict v) {
  switch (v) {
    case policy::Verdict::affirming: return result::Status::kAffirming;
    case policy::Verdict::warning: return result::Status::kWarning;
    case policy::Verdict::contraindicated: return result::Status::kContraindicated;
    case policy::Verdict::none: return result::Status::kNone;
  }
  return result::Status::kNone;
}

// Evidence of one TPM: the quote under the host's enrolled AK, then the event log against it.
std::expected<policy::TpmClaims, Problem> verify_tpm(VerifiedLogCache& log_cache, const nlohmann::json& t,
                                                     const store::Host& host,
                                                     std::span<const uint8_t> binding,
                                                     std::map<std::string, std::string>& digests) {
  if (!t.is_object()) return std::unexpected(bad_body("\"tpm\" must be an object"));
  auto quote = bytes_field(t, "quote", true);
  if (!quote) return std::unexpected(quote.error());
  auto sig = bytes_field(t, "signature", true);
  if (!sig) return std::unexpected(sig.error());
  auto log = bytes_field(t, "event_log", false);
  if (!log) return std::unexpected(log.error());
  const auto pcrs_it = t.find("pcrs");
  if (pcrs_it == t.end()) return std::unexpected(bad_body("\"tpm.pcrs\" is required"));
  auto pcrs = policy::pcr_values_from_json(*pcrs_it);
  if (!pcrs) return std::unexpected(bad_body("\"tpm.pcrs\": " + pcrs.error()));
  digests["tpm.quote"] = sha256_hex(**quote);
  digests["tpm.signature"] = sha256_hex(**sig);

  policy::TpmClaims claims;
  claims.pcrs = *pcrs;
  auto ak = tpm::load_public_key(host.ak_public);
  if (!ak) {
    claims.quote_reasons.push_back(ak.error());
  } else {
    auto verification = tpm::verify_quote(*ak, **quote, **sig, binding, *pcrs);
    claims.quote_verified = verification.valid;
    claims.quote_reasons = std::move(verification.reasons);
  }
  if (*log) {
    LogDigest log_digest{};
    SHA256((*log)->data(), (*log)->size(), log_digest.data());
    digests["tpm.event_log"] = evidence::to_hex(log_digest);
    claims.event_log_present = true;
    auto verified = log_cache.get(**log, log_digest);
    if (!verified && verified.error().id == el::kParseTooManyEvents) {
      // A limit of this service, not a finding about the host: refused like an oversized body
      // (no verdict, the challenge stays usable), as every other limit is.
      return std::unexpected(Problem::make(413, std::string(verified.error().id), verified.error().message));
    }
    if (!verified) {
      claims.event_log_reasons.push_back(verified.error());
    } else {
      const VerifiedLog& v = **verified;
      claims.event_log_reasons = v.replay.reasons;
      claims.event_log_reasons.insert(claims.event_log_reasons.end(), v.digest_reasons.begin(), v.digest_reasons.end());
      // Compared with the quoted values: if the quote failed, its reasons already fail the TPM.
      auto cmp = el::compare_replay(v.replay, *pcrs);
      claims.event_log_reasons.insert(claims.event_log_reasons.end(), cmp.mismatches.begin(), cmp.mismatches.end());
      claims.event_log_verified_pcrs = cmp.verified;
      claims.boot_events = v.boot_events;  // event-level rules walk these (issue 5)
    }
    claims.event_log_verified = claims.event_log_reasons.empty();
  }
  return claims;
}

std::expected<policy::GpuClaim, Problem> verify_one_gpu(ApiContext& ctx, const nlohmann::json& g, size_t index,
                                                        std::span<const uint8_t> binding,
                                                        std::map<std::string, std::string>& digests) {
  if (!g.is_object()) return std::unexpected(bad_body("each of \"gpus\" must be an object"));
  const auto vendor = g.find("vendor");
  if (vendor == g.end() || !vendor->is_string() || vendor->get_ref<const std::string&>() != "nvidia") {
    return std::unexpected(Problem::unprocessable("gpu.vendor_unsupported", "only \"vendor\": \"nvidia\" is supported"));
  }
  auto report = bytes_field(g, "report", true);
  if (!report) return std::unexpected(report.error());
  auto chain = string_field(g, "certificate_chain");
  if (!chain) return std::unexpected(chain.error());
  digests[fmt::format("gpu{}.report", index)] = sha256_hex(**report);

  policy::GpuClaim claim;
  if (!ctx.nvidia_root) {
    claim.reasons.push_back(evidence::Error{"gpu.cert.untrusted_root", "no NVIDIA Device Identity root is configured"});
    return claim;
  }
  evidence::gpu::GpuTrust trust;
  trust.device_root = &*ctx.nvidia_root;
  const auto at = std::chrono::floor<std::chrono::seconds>(ctx.now());
  auto v = evidence::gpu::verify_gpu(**report, *chain, binding, trust, at);
  for (const auto& r : v.reasons) {
    if (r.id == evidence::x509::kCertChainTooLong) {  // a limit, answered like the event-log one
      return std::unexpected(Problem::make(413, std::string(r.id), fmt::format("gpus[{}]: {}", index, r.message)));
    }
  }
  claim.verified = v.valid;
  claim.reasons = std::move(v.reasons);
  // "GH100 A01 GSP BROM" → "GH100": the model name reference sets and policies use.
  claim.model = v.claims.hardware_model.substr(0, v.claims.hardware_model.find(' '));
  for (const auto& m : v.claims.report.measurements) claim.measurements[m.index] = m.value;
  claim.driver_version = v.claims.report.opaque.driver_version;
  claim.vbios_version = v.claims.report.opaque.vbios_version;
  return claim;
}

struct PolicyChoice {
  std::shared_ptr<const policy::Policy> policy;
  std::optional<int64_t> version;
  std::vector<std::shared_ptr<const policy::ReferenceSet>> reference_sets;  // owned by the document cache too
  std::map<std::string, int64_t> reference_set_versions;  // for the audit record
  std::optional<evidence::Error> why_none;
};

// A host uses the policy it names; otherwise the one policy whose host labels it carries
// (policy::select_policy: several matches are ambiguous, none is "no policy, no pass").
std::expected<PolicyChoice, Problem> choose_policy(ApiContext& ctx, const store::TenantScope& scope,
                                                   const store::Host& host) {
  PolicyChoice out;
  auto current = ctx.store->current_document_versions(scope, store::DocumentKind::policy);
  if (!current) return std::unexpected(store_problem(current.error()));
  std::vector<std::shared_ptr<const policy::Policy>> held;
  std::vector<const policy::Policy*> policies;
  for (const auto& d : *current) {
    auto parsed = ctx.documents->policy(*ctx.store, scope, d.name, d.version);
    if (!parsed) {
      if (parsed.error().code == store::StoreErrorCode::internal) {
        return std::unexpected(Problem::internal("policy.stored_invalid", "a stored policy no longer parses"));
      }
      return std::unexpected(store_problem(parsed.error()));
    }
    policies.push_back(parsed->get());
    held.push_back(std::move(*parsed));
  }
  policy::Labels labels;
  for (const auto& [k, v] : host.labels.items()) {
    if (v.is_string()) labels[k] = v.get<std::string>();
  }
  const std::optional<std::string_view> explicit_name =
      host.policy_name ? std::optional<std::string_view>(*host.policy_name) : std::nullopt;
  auto selected = policy::select_policy_by_reference(labels, explicit_name, policies);
  if (!selected) {
    out.why_none = selected.error();
    return out;
  }
  const auto index = static_cast<size_t>(std::find(policies.begin(), policies.end(), *selected) - policies.begin());
  out.version = (*current)[index].version;
  out.policy = std::move(held[index]);
  if (out.policy->reference_sets.empty()) return out;
  auto sets = ctx.store->current_document_versions(scope, store::DocumentKind::reference_set);
  if (!sets) return std::unexpected(store_problem(sets.error()));
  for (const auto& set_name : out.policy->reference_sets) {
    const auto it = std::find_if(sets->begin(), sets->end(), [&](const auto& s) { return s.name == set_name; });
    if (it == sets->end()) continue;  // absent or retired: the appraisal names it missing
    auto set = ctx.documents->reference_set(*ctx.store, scope, it->name, it->version);
    if (!set) {
      // A stored set that no longer parses is left out, so the appraisal names it missing.
      if (set.error().code == store::StoreErrorCode::internal) continue;
      return std::unexpected(store_problem(set.error()));
    }
    out.reference_sets.push_back(std::move(*set));
    out.reference_set_versions[set_name] = it->version;
  }
  return out;
}

// "release": ["name", ...]: the keys the attester asks for (issue 6), at most kMaxRelease.
constexpr size_t kMaxRelease = 16;
std::expected<std::vector<std::string>, Problem> release_names(const nlohmann::json& body) {
  std::vector<std::string> out;
  const auto it = body.find("release");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > kMaxRelease) {
    return std::unexpected(bad_body(fmt::format("\"release\" must be an array of at most {} key names", kMaxRelease)));
  }
  for (const auto& n : *it) {
    if (!n.is_string() || !broker::valid_key_name(n.get_ref<const std::string&>())) {
      return std::unexpected(bad_body("\"release\" must hold key names ([A-Za-z0-9._-]{1,128})"));
    }
    if (std::find(out.begin(), out.end(), n.get<std::string>()) == out.end()) out.push_back(n.get<std::string>());
  }
  return out;
}

// Each requested key as a JWE, or its refusal in `refusals` ({name: {id, message}}). Every
// decision is audited by the broker.
nlohmann::json release_keys(ApiContext& ctx, const store::TenantScope& scope, const std::vector<std::string>& names,
                            const broker::ReleaseRequest& rr, const store::RequestContext& rc,
                            nlohmann::json& refusals) {
  nlohmann::json keys = nlohmann::json::object();
  refusals = nlohmann::json::object();
  for (const auto& name : names) {
    if (!ctx.broker) {
      refusals[name] = {{"id", "key.unavailable"}, {"message", "the key broker is not configured"}};
      continue;
    }
    auto outcome = ctx.broker->release(scope, name, rr, rc);
    if (outcome) {
      keys[name] = outcome->jwe;
    } else {
      refusals[name] = {{"id", std::string(outcome.error().reason.id)}, {"message", outcome.error().reason.message}};
    }
  }
  return keys;
}

HandlerResult attest(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  auto challenge_id = string_field(*body, "challenge_id");
  if (!challenge_id) return std::unexpected(challenge_id.error());
  auto host_id = string_field(*body, "host_id");
  if (!host_id) return std::unexpected(host_id.error());
  if (auto refused = attester_host_refused(request, *host_id)) return std::unexpected(*refused);

  auto host = ctx.store->get_host(*scope, *host_id);
  if (!host) return std::unexpected(store_problem(host.error()));
  if (!host->trusted) {
    return std::unexpected(Problem::conflict("attestation.host_not_enrolled",
                                             "the host's AK has not passed credential activation"));
  }
  auto challenge = ctx.store->get_challenge(*scope, *challenge_id, *host_id);
  if (!challenge) return std::unexpected(store_problem(challenge.error()));
  const auto now = ctx.now();
  // Early refusals spare the verification; the atomic consumption below is the real guard.
  if (challenge->consumed_at) {
    return std::unexpected(Problem::conflict("attestation.challenge_consumed", "this challenge was already used"));
  }
  if (to_system(challenge->expires_at) <= now) {
    return std::unexpected(Problem::make(410, "attestation.challenge_expired", "this challenge has expired"));
  }

  // DESIGN.md §1: with a tee key, everything the hardware signed must carry
  // SHA-256(nonce ‖ thumbprint), so whoever swaps the key breaks the signatures.
  std::optional<result::PublicJwk> tee_key;
  if (auto k = body->find("tee_public_key"); k != body->end() && !k->is_null()) {
    auto jwk = result::public_jwk_from_json(*k);
    if (!jwk) return std::unexpected(Problem::unprocessable(std::string(jwk.error().id), jwk.error().message));
    tee_key = std::move(*jwk);
  }
  const auto binding = result::binding(challenge->nonce, tee_key ? &*tee_key : nullptr);
  auto release = release_names(*body);
  if (!release) return std::unexpected(release.error());

  policy::Claims claims;
  claims.evidence_time = std::chrono::floor<std::chrono::seconds>(to_system(challenge->created_at));
  claims.tee_key_bound = tee_key.has_value();
  std::map<std::string, std::string> digests;
  if (auto t = body->find("tpm"); t != body->end() && !t->is_null()) {
    auto tpm_claims = verify_tpm(*ctx.log_cache, *t, *host, binding, digests);
    if (!tpm_claims) return std::unexpected(tpm_claims.error());
    claims.tpm = std::move(*tpm_claims);
  }
  if (auto g = body->find("gpus"); g != body->end() && !g->is_null()) {
    if (!g->is_array() || g->size() > kMaxGpus) {
      return std::unexpected(bad_body(fmt::format("\"gpus\" must be an array of at most {}", kMaxGpus)));
    }
    for (size_t i = 0; i < g->size(); ++i) {
      auto claim = verify_one_gpu(ctx, (*g)[i], i, binding, digests);
      if (!claim) return std::unexpected(claim.error());
      claims.gpus.push_back(std::move(*claim));
    }
  }

  auto choice = choose_policy(ctx, *scope, *host);
  if (!choice) return std::unexpected(choice.error());
  const auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  std::vector<const policy::ReferenceSet*> sets;
  for (const auto& s : choice->reference_sets) sets.push_back(s.get());
  const policy::Appraisal appraisal = choice->policy ? policy::appraise_by_reference(*choice->policy, sets, claims, now_s)
                                                     : policy::appraise_without_policy(claims, *choice->why_none);

  // The EAR: one submodule per piece of evidence, with its own status and trust vector.
  const std::string policy_id =
      choice->policy ? fmt::format("{}@{}", choice->policy->name, *choice->version) : std::string("none");
  std::vector<result::Submod> submods;
  for (const auto& [name, sub] : appraisal.submods) {
    const auto status = to_status(sub.verdict);
    const auto kind = name.starts_with("gpu") ? result::EvidenceKind::kGpu : result::EvidenceKind::kTpm;
    submods.push_back({name, status, result::derive_trust_vector(kind, status, sub.reason_ids), policy_id,
                       sub.reason_ids});
  }
  if (submods.empty()) {
    std::vector<std::string> ids;
    for (const auto& r : appraisal.reasons) ids.emplace_back(r.id);
    const auto status = to_status(appraisal.verdict);
    submods.push_back({"tpm0", status, result::derive_trust_vector(result::EvidenceKind::kTpm, status, ids),
                       policy_id, ids});
  }
  result::EarRequest ear;
  ear.nonce = challenge->nonce;
  ear.issued_at = now_s;
  ear.lifetime = ctx.options.ear_lifetime;
  ear.submods = std::move(submods);
  ear.tee_key = tee_key ? &*tee_key : nullptr;
  ear.tenant_id = scope->tenant_id();
  ear.host_id = *host_id;
  auto token = result::issue_ear(ctx.keys->active(), ear);
  if (!token) return std::unexpected(Problem::internal(std::string(token.error().id), token.error().message));

  store::NewAttestation record;
  record.verdict = to_store(appraisal.verdict);
  for (const auto& r : appraisal.reasons) record.reasons.push_back({std::string(r.id), r.message});
  record.token = *token;
  if (choice->policy) {
    record.policy_name = choice->policy->name;
    record.policy_version = choice->version;
    record.reference_set_versions = choice->reference_set_versions;
  }
  record.evidence_digests = std::move(digests);
  auto stored = ctx.store->consume_challenge_and_record(*scope, *challenge_id, *host_id, record,
                                                        ctx.request_context(request));
  if (!stored) return std::unexpected(store_problem(stored.error()));
  {
    std::vector<std::string_view> ids;
    for (const auto& r : appraisal.reasons) ids.push_back(r.id);
    ctx.record(store::to_string(stored->verdict), ids);
  }

  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : appraisal.reasons) {
    reasons.push_back({{"id", std::string(r.id)}, {"message", r.message}, {"submod", r.submod}});
    if (r.event) {
      reasons.back()["event"] = {{"index", r.event->index}, {"pcr", r.event->pcr},
                                 {"type", el::event_type_label(r.event->type)}, {"digest", r.event->digest}};
    }
  }
  nlohmann::json answer = {{"attestation_id", stored->id},
                            {"verdict", std::string(store::to_string(stored->verdict))},
                            {"reasons", reasons},
                            {"token", *token}};
  if (!release->empty()) {
    broker::ReleaseRequest rr;
    rr.via = "attestation";
    rr.attestation_id = stored->id;
    rr.host_id = *host_id;
    rr.affirming = appraisal.verdict == policy::Verdict::affirming;
    rr.policy_name = choice->policy ? choice->policy->name : std::string();
    if (choice->policy && !choice->policy->releasable_keys().empty()) rr.policy_keys = choice->policy->releasable_keys();
    // The quote and every GPU nonce were verified against this key's binding above.
    rr.tee_key = tee_key ? &*tee_key : nullptr;
    rr.host_labels = host->labels;
    rr.gpu_attested = !claims.gpus.empty();
    answer["keys"] = release_keys(ctx, *scope, *release, rr, ctx.request_context(request), answer["key_refusals"]);
  }
  return Response::negotiated(request, 200, answer);
}

HandlerResult get_attestation(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto a = ctx.store->get_attestation(*scope, *request.param("id"));
  if (!a) return std::unexpected(store_problem(a.error()));
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : a->reasons) reasons.push_back({{"id", r.id}, {"message", r.message}});
  return Response::json(200, {{"attestation_id", a->id},
                              {"host_id", a->host_id},
                              {"challenge_id", a->challenge_id},
                              {"verdict", std::string(store::to_string(a->verdict))},
                              {"reasons", reasons},
                              {"token", a->token},
                              {"policy", a->policy_name ? nlohmann::json(*a->policy_name) : nlohmann::json(nullptr)},
                              {"policy_version", a->policy_version ? nlohmann::json(*a->policy_version)
                                                                   : nlohmann::json(nullptr)},
                              {"evidence_digests", a->evidence_digests},
                              {"created_at", iso8601(to_system(a->created_at))}});
}

}  // namespace

void add_attestation_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  using server::Role;
  routes.push_back({Method::post, "/v1/attestations", server::Access::roles({Role::attester}),
                    [ctx](const Request& r) { return attest(*ctx, r); }});
  routes.push_back({Method::get, "/v1/attestations/{id}", server::Access::roles({Role::admin, Role::auditor}),
                    [ctx](const Request& r) { return get_attestation(*ctx, r); }});
}

}  // namespace attestd::service
