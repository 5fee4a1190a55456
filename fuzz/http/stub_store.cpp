#include "stub_store.h"

#include <fmt/format.h>

namespace attestd::fuzz_http {

namespace {

using store::Result;
using store::StoreError;
using store::StoreErrorCode;

StoreError unsupported(std::string_view call) {
  return StoreError{StoreErrorCode::internal, fmt::format("StubStore::{} is not on the attestation path", call)};
}

StoreError not_found(std::string message) { return StoreError{StoreErrorCode::not_found, std::move(message)}; }

}  // namespace

StubStore::StubStore(std::string tenant_id) : tenant_id_(std::move(tenant_id)) {}

void StubStore::add_token(const store::Sha256& token_sha256, store::Role role,
                          std::optional<std::vector<std::string>> allowed_hosts) {
  std::lock_guard lock(mutex_);
  tokens_[token_sha256] = Token{role, std::move(allowed_hosts)};
}

void StubStore::add_host(store::Host host) {
  std::lock_guard lock(mutex_);
  std::string id = host.host_id;
  hosts_.insert_or_assign(std::move(id), std::move(host));
}

void StubStore::add_challenge(store::Challenge challenge) {
  std::lock_guard lock(mutex_);
  std::string id = challenge.id;
  seeded_challenges_.insert_or_assign(id, challenge);
  challenges_.insert_or_assign(std::move(id), std::move(challenge));
}

void StubStore::add_document(store::DocumentKind kind, std::string name, nlohmann::json document,
                             store::Timestamp at) {
  std::lock_guard lock(mutex_);
  auto& list = kind == store::DocumentKind::policy ? policies_ : reference_sets_;
  list.push_back(Document{std::move(name), 1, std::move(document), at});
}

void StubStore::reset() {
  std::lock_guard lock(mutex_);
  // In place: an input that allocates nothing it does not free keeps libFuzzer's malloc/free
  // balance, so its leak check runs only when something really stays behind.
  for (auto& [id, challenge] : challenges_) challenge.consumed_at = seeded_challenges_.find(id)->second.consumed_at;
  attestations_.clear();
  effects_ = {};
}

StubStore::Effects StubStore::effects() const {
  std::lock_guard lock(mutex_);
  return effects_;
}

Result<store::Credential> StubStore::authenticate(const store::Sha256& token_sha256, store::Timestamp) {
  std::lock_guard lock(mutex_);
  const auto it = tokens_.find(token_sha256);
  if (it == tokens_.end()) return std::unexpected(not_found("no such token"));
  store::Credential c;
  c.token_id = "fuzz-token";
  c.role = it->second.role;
  c.scope = make_scope(tenant_id_, c.token_id);
  c.allowed_hosts = it->second.allowed_hosts;
  return c;
}

Result<store::Host> StubStore::get_host(const store::TenantScope& scope, std::string_view host_id) {
  std::lock_guard lock(mutex_);
  const auto it = hosts_.find(host_id);
  if (!mine(scope) || it == hosts_.end()) return std::unexpected(not_found("no such host"));
  return it->second;
}

Result<store::Challenge> StubStore::get_challenge(const store::TenantScope& scope, std::string_view challenge_id,
                                                  std::string_view host_id) {
  std::lock_guard lock(mutex_);
  const auto it = challenges_.find(challenge_id);
  if (!mine(scope) || it == challenges_.end() || it->second.host_id != host_id) {
    return std::unexpected(StoreError{StoreErrorCode::challenge_not_found, "no such challenge"});
  }
  return it->second;
}

Result<store::Attestation> StubStore::consume_challenge_and_record(const store::TenantScope& scope,
                                                                   std::string_view challenge_id,
                                                                   std::string_view host_id,
                                                                   const store::NewAttestation& attestation,
                                                                   const store::RequestContext& ctx) {
  std::lock_guard lock(mutex_);
  const auto it = challenges_.find(challenge_id);
  if (!mine(scope) || it == challenges_.end() || it->second.host_id != host_id) {
    return std::unexpected(StoreError{StoreErrorCode::challenge_not_found, "no such challenge"});
  }
  // Consumed wins over expired, as in the SQLite store.
  if (it->second.consumed_at) {
    return std::unexpected(StoreError{StoreErrorCode::challenge_consumed, "challenge already used"});
  }
  if (it->second.expires_at <= ctx.now) {
    return std::unexpected(StoreError{StoreErrorCode::challenge_expired, "challenge expired"});
  }
  it->second.consumed_at = ctx.now;
  store::Attestation a;
  a.id = fmt::format("att-{}", next_attestation_++);
  a.host_id = std::string(host_id);
  a.challenge_id = std::string(challenge_id);
  a.verdict = attestation.verdict;
  a.reasons = attestation.reasons;
  a.token = attestation.token;
  a.policy_name = attestation.policy_name;
  a.policy_version = attestation.policy_version;
  a.evidence_digests = attestation.evidence_digests;
  a.created_at = ctx.now;
  attestations_[a.id] = a;
  ++effects_.consumed;
  return a;
}

Result<store::Attestation> StubStore::get_attestation(const store::TenantScope& scope,
                                                      std::string_view attestation_id) {
  std::lock_guard lock(mutex_);
  const auto it = attestations_.find(attestation_id);
  if (!mine(scope) || it == attestations_.end()) return std::unexpected(not_found("no such attestation"));
  return it->second;
}

Result<store::VersionedDocument> StubStore::get_document(const store::TenantScope& scope, store::DocumentKind kind,
                                                         std::string_view name, std::optional<int64_t> version) {
  std::lock_guard lock(mutex_);
  const auto& list = kind == store::DocumentKind::policy ? policies_ : reference_sets_;
  for (const auto& d : list) {
    if (!mine(scope) || d.name != name || (version && *version != d.version)) continue;
    return store::VersionedDocument{d.name, d.version, d.document, d.created_at, std::nullopt};
  }
  return std::unexpected(not_found("no such document"));
}

Result<std::vector<store::VersionedDocument>> StubStore::list_documents(const store::TenantScope& scope,
                                                                        store::DocumentKind kind) {
  std::lock_guard lock(mutex_);
  std::vector<store::VersionedDocument> out;
  if (!mine(scope)) return out;
  for (const auto& d : kind == store::DocumentKind::policy ? policies_ : reference_sets_) {
    out.push_back({d.name, d.version, d.document, d.created_at, std::nullopt});
  }
  return out;
}

Result<std::vector<store::DocumentVersion>> StubStore::current_document_versions(const store::TenantScope& scope,
                                                                                 store::DocumentKind kind) {
  std::lock_guard lock(mutex_);
  std::vector<store::DocumentVersion> out;
  if (!mine(scope)) return out;
  for (const auto& d : kind == store::DocumentKind::policy ? policies_ : reference_sets_) {
    out.push_back({d.name, d.version});
  }
  return out;
}

Result<int64_t> StubStore::next_key_version(const store::TenantScope& scope, std::string_view name) {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(name);
  return mine(scope) && it != keys_.end() ? it->second.version + 1 : 1;
}

Result<store::KeyVersion> StubStore::put_key_version(const store::TenantScope& scope, const store::NewKeyVersion& key,
                                                     const store::RequestContext& ctx) {
  std::lock_guard lock(mutex_);
  if (!mine(scope)) return std::unexpected(not_found("no such tenant"));
  store::KeyVersion v;
  v.name = key.name;
  v.version = key.version;
  v.kek_id = key.kek_id;
  v.nonce = key.nonce;
  v.ciphertext = key.ciphertext;
  v.secret_size = key.secret_size;
  v.policies = key.policies;
  v.conditions = key.conditions;
  v.created_at = ctx.now;
  keys_[key.name] = v;
  return v;
}

Result<store::KeyVersion> StubStore::get_key(const store::TenantScope& scope, std::string_view name) {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(name);
  if (!mine(scope) || it == keys_.end()) return std::unexpected(not_found("no such key"));
  ++effects_.key_reads;
  return it->second;
}

Result<store::AuditRecord> StubStore::append_audit(const store::TenantScope& scope, const store::AuditEvent& event,
                                                   const store::RequestContext& ctx) {
  std::lock_guard lock(mutex_);
  if (!mine(scope)) return std::unexpected(not_found("no such tenant"));
  ++effects_.audit_rows;
  store::AuditRecord r;
  r.id = effects_.audit_rows;
  r.chain_seq = effects_.audit_rows;
  r.time = ctx.now;
  r.actor = scope.actor();
  r.action = event.action;
  r.object = event.object;
  return r;
}

Result<store::AuditRecord> StubStore::append_system_audit(std::string_view, const store::AuditEvent&,
                                                          const store::RequestContext&) {
  return std::unexpected(unsupported("append_system_audit"));
}

Result<store::Tenant> StubStore::create_tenant(std::string_view, std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("create_tenant"));
}
Result<store::Tenant> StubStore::delete_tenant(std::string_view, std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("delete_tenant"));
}
Result<store::Tenant> StubStore::find_tenant(std::string_view) { return std::unexpected(unsupported("find_tenant")); }
Result<std::vector<store::Tenant>> StubStore::list_tenants() { return std::unexpected(unsupported("list_tenants")); }
Result<store::TokenInfo> StubStore::create_token(std::string_view, const store::NewToken&, std::string_view,
                                                 const store::RequestContext&) {
  return std::unexpected(unsupported("create_token"));
}
Result<store::TokenInfo> StubStore::create_operator_token(const store::NewToken&, std::string_view,
                                                          const store::RequestContext&) {
  return std::unexpected(unsupported("create_operator_token"));
}
Result<store::TokenInfo> StubStore::revoke_token(std::string_view, std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("revoke_token"));
}
Result<std::vector<store::TokenInfo>> StubStore::list_tokens(std::string_view) {
  return std::unexpected(unsupported("list_tokens"));
}
Result<int64_t> StubStore::purge_expired_challenges(store::Timestamp) {
  return std::unexpected(unsupported("purge_expired_challenges"));
}
Result<store::Host> StubStore::create_host(const store::TenantScope&, const store::NewHost&,
                                           const store::RequestContext&) {
  return std::unexpected(unsupported("create_host"));
}
Result<std::vector<store::Host>> StubStore::list_hosts(const store::TenantScope&, std::optional<std::string_view>,
                                                       int64_t) {
  return std::unexpected(unsupported("list_hosts"));
}
Result<store::Host> StubStore::update_host(const store::TenantScope&, std::string_view, const store::HostUpdate&,
                                           const store::RequestContext&) {
  return std::unexpected(unsupported("update_host"));
}
Result<store::Enrollment> StubStore::begin_enrollment(const store::TenantScope&, std::string_view,
                                                      const store::NewEnrollment&, const store::RequestContext&) {
  return std::unexpected(unsupported("begin_enrollment"));
}
Result<store::Host> StubStore::activate_enrollment(const store::TenantScope&, std::string_view, std::string_view,
                                                   const store::Sha256&, const store::RequestContext&) {
  return std::unexpected(unsupported("activate_enrollment"));
}
Result<store::ClientCertificate> StubStore::add_client_certificate(const store::TenantScope&, std::string_view,
                                                                   const store::NewClientCertificate&,
                                                                   const store::RequestContext&) {
  return std::unexpected(unsupported("add_client_certificate"));
}
Result<std::vector<store::ClientCertificate>> StubStore::list_client_certificates(const store::TenantScope&,
                                                                                  std::string_view) {
  return std::unexpected(unsupported("list_client_certificates"));
}
Result<store::ClientCertificate> StubStore::revoke_client_certificate(const store::TenantScope&, std::string_view,
                                                                      std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("revoke_client_certificate"));
}
// The harness authenticates by bearer token; a request never carries a client certificate.
Result<store::Credential> StubStore::authenticate_certificate(const store::Sha256&, store::Timestamp) {
  return std::unexpected(not_found("no such certificate"));
}
Result<store::Challenge> StubStore::create_challenge(const store::TenantScope&, std::string_view, const store::Nonce&,
                                                     store::Timestamp, const store::RequestContext&,
                                                     std::optional<int64_t>) {
  return std::unexpected(unsupported("create_challenge"));
}
Result<store::VersionedDocument> StubStore::put_document(const store::TenantScope&, store::DocumentKind,
                                                         std::string_view, const nlohmann::json&,
                                                         const store::RequestContext&) {
  return std::unexpected(unsupported("put_document"));
}
Result<std::vector<store::VersionedDocument>> StubStore::list_document_versions(const store::TenantScope&,
                                                                                store::DocumentKind,
                                                                                std::string_view) {
  return std::unexpected(unsupported("list_document_versions"));
}
Result<void> StubStore::retire_document(const store::TenantScope&, store::DocumentKind, std::string_view,
                                        const store::RequestContext&) {
  return std::unexpected(unsupported("retire_document"));
}
Result<store::TpmRoot> StubStore::add_tpm_root(const store::TenantScope&, std::span<const uint8_t>,
                                               const store::RequestContext&) {
  return std::unexpected(unsupported("add_tpm_root"));
}
Result<std::vector<store::TpmRoot>> StubStore::list_tpm_roots(const store::TenantScope&) {
  return std::unexpected(unsupported("list_tpm_roots"));
}
Result<void> StubStore::remove_tpm_root(const store::TenantScope&, std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("remove_tpm_root"));
}
Result<std::vector<store::KeyVersion>> StubStore::list_keys(const store::TenantScope&) {
  return std::unexpected(unsupported("list_keys"));
}
Result<std::vector<store::KeyVersion>> StubStore::list_key_versions(const store::TenantScope&, std::string_view) {
  return std::unexpected(unsupported("list_key_versions"));
}
Result<int64_t> StubStore::destroy_key(const store::TenantScope&, std::string_view, const store::RequestContext&) {
  return std::unexpected(unsupported("destroy_key"));
}
Result<store::TenantScope> StubStore::scope_for_verified_ear(std::string_view, std::string_view) {
  return std::unexpected(unsupported("scope_for_verified_ear"));
}
Result<std::vector<store::AuditRecord>> StubStore::list_audit(const store::TenantScope&, const store::AuditQuery&) {
  return std::unexpected(unsupported("list_audit"));
}
Result<std::vector<store::AuditRecord>> StubStore::export_audit(const store::TenantScope&, int64_t,
                                                                std::optional<store::Timestamp>, int64_t) {
  return std::unexpected(unsupported("export_audit"));
}
Result<std::vector<store::AuditCheckpoint>> StubStore::list_audit_checkpoints(const store::TenantScope&, int64_t) {
  return std::unexpected(unsupported("list_audit_checkpoints"));
}
Result<std::vector<store::AuditHead>> StubStore::audit_heads() { return std::unexpected(unsupported("audit_heads")); }
Result<void> StubStore::add_audit_checkpoint(std::string_view, const store::AuditCheckpoint&) {
  return std::unexpected(unsupported("add_audit_checkpoint"));
}
Result<std::vector<store::AuditRecord>> StubStore::export_system_audit(int64_t, int64_t) {
  return std::unexpected(unsupported("export_system_audit"));
}

}  // namespace attestd::fuzz_http
