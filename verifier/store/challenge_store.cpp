// Challenges and the attestations that consume them (DESIGN §1: the nonce is consumed exactly
// once, atomically with the result, by the database).
#include <fmt/format.h>

#include "audit_log.h"
#include "ids.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kAttestationColumns =
    "SELECT id, host_id, challenge_id, verdict, reasons, token, policy_name, policy_version, evidence_digests, "
    "created_at FROM attestations ";

Result<Challenge> challenge_from_row(const Query& q) {
  Challenge ch;
  ch.id = q.text(0);
  ch.host_id = q.text(1);
  const auto nonce = q.fixed_blob<32>(2);
  if (!nonce) return fail(StoreErrorCode::internal, fmt::format("challenge {} nonce is not 32 bytes", ch.id));
  ch.nonce = *nonce;
  ch.created_at = q.time(3);
  ch.expires_at = q.time(4);
  ch.consumed_at = q.optional_time(5);
  return ch;
}

Result<std::string> reasons_json(const std::vector<Reason>& reasons) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& r : reasons) array.push_back({{"id", r.id}, {"message", r.message}});
  return dump_json(array, "attestation reasons");
}

Result<Attestation> attestation_from_row(const Query& q) {
  Attestation a;
  a.id = q.text(0);
  a.host_id = q.text(1);
  a.challenge_id = q.text(2);
  const auto verdict = parse_verdict(q.text(3));
  if (!verdict) return fail(StoreErrorCode::internal, fmt::format("attestation {} has unknown verdict", a.id));
  a.verdict = *verdict;
  auto reasons = parse_json(q.text(4), "attestation reasons");
  if (!reasons) return std::unexpected(std::move(reasons.error()));
  if (!reasons->is_array()) return fail(StoreErrorCode::internal, "attestation reasons are not a list");
  for (const auto& r : *reasons) {
    if (!r.is_object() || !r.contains("id") || !r["id"].is_string() || !r.contains("message") ||
        !r["message"].is_string()) {
      return fail(StoreErrorCode::internal, "attestation reason is malformed");
    }
    a.reasons.push_back(Reason{r["id"].get<std::string>(), r["message"].get<std::string>()});
  }
  a.token = q.text(5);
  a.policy_name = q.optional_text(6);
  if (!q.is_null(7)) a.policy_version = q.integer(7);
  auto digests = parse_json(q.text(8), "evidence digests");
  if (!digests) return std::unexpected(std::move(digests.error()));
  if (!digests->is_object()) return fail(StoreErrorCode::internal, "evidence digests are not an object");
  for (const auto& [name, value] : digests->items()) {
    if (!value.is_string()) return fail(StoreErrorCode::internal, "evidence digest is not a string");
    a.evidence_digests.emplace(name, value.get<std::string>());
  }
  a.created_at = q.time(9);
  return a;
}

// Why a challenge could not be consumed, asked after the conditional UPDATE changed nothing.
StoreError classify_unusable_challenge(Connection& c, const TenantScope& scope, std::string_view challenge_id,
                                       std::string_view host_id, Timestamp now) {
  auto q = c.select("SELECT expires_at, consumed_at FROM challenges WHERE id = ? AND tenant_id = ? AND host_id = ?",
                    challenge_id, scope.tenant_id(), host_id);
  if (!q) return q.error();
  auto row = q->step();
  if (!row) return row.error();
  // Another tenant's or another host's challenge is reported exactly like a missing one.
  if (!*row) return StoreError{StoreErrorCode::challenge_not_found, "no such challenge for this host"};
  if (!q->is_null(1)) return StoreError{StoreErrorCode::challenge_consumed, "challenge already used"};
  if (q->time(0) <= now) return StoreError{StoreErrorCode::challenge_expired, "challenge expired"};
  return StoreError{StoreErrorCode::internal, "challenge is usable but was not consumed"};
}

}  // namespace

Result<Challenge> SqliteStore::create_challenge(const TenantScope& scope, std::string_view host_id, const Nonce& nonce,
                                                Timestamp expires_at, const RequestContext& ctx,
                                                std::optional<int64_t> max_outstanding) {
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  return writer_->run([&](Connection& c) -> Result<Challenge> {
    // Checked here rather than left to the foreign key so that another tenant's host id is
    // not_found, not a constraint error (and the key cannot see tenants anyway: it is composite).
    auto host = c.select("SELECT 1 FROM hosts WHERE tenant_id = ? AND host_id = ?", scope.tenant_id(), host_id);
    if (!host) return std::unexpected(std::move(host.error()));
    auto found = host->step();
    if (!found) return std::unexpected(std::move(found.error()));
    if (!*found) return fail(StoreErrorCode::not_found, "no such host");
    // Counted inside the writing transaction, so concurrent requests cannot overshoot the bound
    // (issue 11): a host, or a stolen attester token, cannot fill the table with live nonces.
    if (max_outstanding) {
      auto open = c.select(
          "SELECT COUNT(*) FROM challenges WHERE tenant_id = ? AND host_id = ? AND consumed_at IS NULL "
          "AND expires_at > ?",
          scope.tenant_id(), host_id, ctx.now);
      if (!open) return std::unexpected(std::move(open.error()));
      auto counted = open->step();
      if (!counted) return std::unexpected(std::move(counted.error()));
      if (*counted && open->integer(0) >= *max_outstanding) {
        return fail(StoreErrorCode::conflict,
                    fmt::format("the host already has {} unused, unexpired challenges", *max_outstanding));
      }
    }
    auto inserted = c.execute(
        "INSERT INTO challenges (id, tenant_id, host_id, nonce, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)", *id,
        scope.tenant_id(), host_id, nonce, ctx.now, expires_at);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    AuditEvent event{"challenge.create", fmt::format("host:{}", host_id),
                     {{"challenge_id", *id}, {"expires_at", expires_at.time_since_epoch().count()}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return Challenge{*id, std::string(host_id), nonce, ctx.now, expires_at, std::nullopt};
  });
}

Result<Challenge> SqliteStore::get_challenge(const TenantScope& scope, std::string_view challenge_id,
                                             std::string_view host_id) {
  return readers_->with([&](Connection& c) -> Result<Challenge> {
    auto q = c.select(
        "SELECT id, host_id, nonce, created_at, expires_at, consumed_at FROM challenges "
        "WHERE id = ? AND tenant_id = ? AND host_id = ?",
        challenge_id, scope.tenant_id(), host_id);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::challenge_not_found, "no such challenge for this host");
    return challenge_from_row(*q);
  });
}

Result<Attestation> SqliteStore::consume_challenge_and_record(const TenantScope& scope,
                                                              std::string_view challenge_id, std::string_view host_id,
                                                              const NewAttestation& attestation,
                                                              const RequestContext& ctx) {
  // Everything that can fail on the caller's input is prepared before the job reaches the writer.
  auto id = new_id();
  if (!id) return std::unexpected(std::move(id.error()));
  auto reasons = reasons_json(attestation.reasons);
  if (!reasons) return std::unexpected(std::move(reasons.error()));
  auto digests = dump_json(nlohmann::json(attestation.evidence_digests), "evidence digests");
  if (!digests) return std::unexpected(std::move(digests.error()));
  nlohmann::json reason_ids = nlohmann::json::array();
  for (const auto& r : attestation.reasons) reason_ids.push_back(r.id);
  const AuditEvent event{
      "attestation.record",
      fmt::format("host:{}", host_id),
      {{"attestation_id", *id},
       {"challenge_id", std::string(challenge_id)},
       {"verdict", to_string(attestation.verdict)},
       {"reasons", std::move(reason_ids)},
       {"policy", attestation.policy_name ? nlohmann::json(*attestation.policy_name) : nlohmann::json(nullptr)},
       {"policy_version",
        attestation.policy_version ? nlohmann::json(*attestation.policy_version) : nlohmann::json(nullptr)},
       {"reference_sets", attestation.reference_set_versions},
       {"evidence_digests", attestation.evidence_digests}}};

  return writer_->run([&](Connection& c) -> Result<Attestation> {
    // The consumption is one conditional UPDATE: it is atomic by itself on any SQL database, so
    // it stays exactly-once when replicas share PostgreSQL, not only under our single writer.
    auto consumed = c.execute(
        "UPDATE challenges SET consumed_at = ? WHERE id = ? AND tenant_id = ? AND host_id = ? "
        "AND consumed_at IS NULL AND expires_at > ?",
        ctx.now, challenge_id, scope.tenant_id(), host_id, ctx.now);
    if (!consumed) return std::unexpected(std::move(consumed.error()));
    if (*consumed != 1) return std::unexpected(classify_unusable_challenge(c, scope, challenge_id, host_id, ctx.now));

    auto inserted = c.execute(
        "INSERT INTO attestations (id, tenant_id, host_id, challenge_id, verdict, reasons, token, policy_name, "
        "policy_version, evidence_digests, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        *id, scope.tenant_id(), host_id, challenge_id, to_string(attestation.verdict), *reasons, attestation.token,
        attestation.policy_name, attestation.policy_version, *digests, ctx.now);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return Attestation{*id,
                       std::string(host_id),
                       std::string(challenge_id),
                       attestation.verdict,
                       attestation.reasons,
                       attestation.token,
                       attestation.policy_name,
                       attestation.policy_version,
                       attestation.evidence_digests,
                       ctx.now};
  });
}

Result<Attestation> SqliteStore::get_attestation(const TenantScope& scope, std::string_view attestation_id) {
  return readers_->with([&](Connection& c) -> Result<Attestation> {
    auto q = c.select(std::string(kAttestationColumns) + "WHERE id = ? AND tenant_id = ?", attestation_id,
                      scope.tenant_id());
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, "no such attestation");
    return attestation_from_row(*q);
  });
}

Result<int64_t> SqliteStore::purge_expired_challenges(Timestamp cutoff) {
  return writer_->run([&](Connection& c) { return c.execute("DELETE FROM challenges WHERE expires_at < ?", cutoff); });
}

}  // namespace attestd::store::sqlite
