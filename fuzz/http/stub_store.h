// An in-memory store::Store for the HTTP request-path fuzzer (issue 11: "the attestation handler
// with a stub store"). It holds what one attestation reads (a tenant, its attester token, hosts,
// challenges, documents and a sealed key) with the semantics the Store interface documents for
// those calls: a challenge belongs to one host, is consumed at most once and not after it expires;
// another tenant's objects are never involved. Everything the attestation path does not call
// fails with `internal`, which the service answers 500: the harness treats any 5xx as a finding,
// so a handler that starts using another call is noticed at once.
//
// Memory stays bounded however many inputs run: reset() forgets recorded attestations and puts
// every challenge back as seeded; audit rows are counted, not kept.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attestd/store/store.h"

namespace attestd::fuzz_http {

class StubStore final : public store::Store {
 public:
  explicit StubStore(std::string tenant_id);

  // ---- seeding, before the first request (not thread-safe against requests)
  // A scope of the stub's tenant for setup calls (put_key_version through the broker).
  [[nodiscard]] store::TenantScope setup_scope() const { return make_scope(tenant_id_, "fuzz-setup"); }
  void add_token(const store::Sha256& token_sha256, store::Role role,
                 std::optional<std::vector<std::string>> allowed_hosts);
  void add_host(store::Host host);
  void add_challenge(store::Challenge challenge);  // as it will be after every reset()
  void add_document(store::DocumentKind kind, std::string name, nlohmann::json document, store::Timestamp at);

  // ---- per input
  // Challenges as seeded, no recorded attestations: every input meets the same state.
  void reset();
  // What the last input did to the store since reset().
  struct Effects {
    int consumed = 0;      // successful consume_challenge_and_record calls
    int audit_rows = 0;    // append_audit calls (key release decisions)
    int key_reads = 0;     // get_key calls that found a key
  };
  [[nodiscard]] Effects effects() const;

  // ---- the calls of the attestation path
  store::Result<store::Credential> authenticate(const store::Sha256& token_sha256, store::Timestamp now) override;
  store::Result<store::Host> get_host(const store::TenantScope& scope, std::string_view host_id) override;
  store::Result<store::Challenge> get_challenge(const store::TenantScope& scope, std::string_view challenge_id,
                                                std::string_view host_id) override;
  store::Result<store::Attestation> consume_challenge_and_record(const store::TenantScope& scope,
                                                                 std::string_view challenge_id,
                                                                 std::string_view host_id,
                                                                 const store::NewAttestation& attestation,
                                                                 const store::RequestContext& ctx) override;
  store::Result<store::Attestation> get_attestation(const store::TenantScope& scope,
                                                    std::string_view attestation_id) override;
  store::Result<store::VersionedDocument> get_document(const store::TenantScope& scope, store::DocumentKind kind,
                                                       std::string_view name, std::optional<int64_t> version) override;
  store::Result<std::vector<store::VersionedDocument>> list_documents(const store::TenantScope& scope,
                                                                      store::DocumentKind kind) override;
  store::Result<std::vector<store::DocumentVersion>> current_document_versions(const store::TenantScope& scope,
                                                                               store::DocumentKind kind) override;
  store::Result<int64_t> next_key_version(const store::TenantScope& scope, std::string_view name) override;
  store::Result<store::KeyVersion> put_key_version(const store::TenantScope& scope, const store::NewKeyVersion& key,
                                                   const store::RequestContext& ctx) override;
  store::Result<store::KeyVersion> get_key(const store::TenantScope& scope, std::string_view name) override;
  store::Result<store::AuditRecord> append_audit(const store::TenantScope& scope, const store::AuditEvent& event,
                                                 const store::RequestContext& ctx) override;
  store::Result<store::AuditRecord> append_system_audit(std::string_view actor, const store::AuditEvent& event,
                                                        const store::RequestContext& ctx) override;
  store::WriteStats write_stats() const override { return {}; }

  // ---- not on the attestation path: internal error
  store::Result<store::Tenant> create_tenant(std::string_view, std::string_view, const store::RequestContext&) override;
  store::Result<store::Tenant> delete_tenant(std::string_view, std::string_view, const store::RequestContext&) override;
  store::Result<store::Tenant> find_tenant(std::string_view) override;
  store::Result<std::vector<store::Tenant>> list_tenants() override;
  store::Result<store::TokenInfo> create_token(std::string_view, const store::NewToken&, std::string_view,
                                               const store::RequestContext&) override;
  store::Result<store::TokenInfo> create_operator_token(const store::NewToken&, std::string_view,
                                                        const store::RequestContext&) override;
  store::Result<store::TokenInfo> revoke_token(std::string_view, std::string_view, const store::RequestContext&) override;
  store::Result<std::vector<store::TokenInfo>> list_tokens(std::string_view) override;
  store::Result<int64_t> purge_expired_challenges(store::Timestamp) override;
  store::Result<store::Host> create_host(const store::TenantScope&, const store::NewHost&,
                                         const store::RequestContext&) override;
  store::Result<std::vector<store::Host>> list_hosts(const store::TenantScope&, std::optional<std::string_view>,
                                                     int64_t) override;
  store::Result<store::Host> update_host(const store::TenantScope&, std::string_view, const store::HostUpdate&,
                                         const store::RequestContext&) override;
  store::Result<store::Enrollment> begin_enrollment(const store::TenantScope&, std::string_view,
                                                    const store::NewEnrollment&, const store::RequestContext&) override;
  store::Result<store::Host> activate_enrollment(const store::TenantScope&, std::string_view, std::string_view,
                                                 const store::Sha256&, const store::RequestContext&) override;
  store::Result<store::ClientCertificate> add_client_certificate(const store::TenantScope&, std::string_view,
                                                                 const store::NewClientCertificate&,
                                                                 const store::RequestContext&) override;
  store::Result<std::vector<store::ClientCertificate>> list_client_certificates(const store::TenantScope&,
                                                                                std::string_view) override;
  store::Result<store::ClientCertificate> revoke_client_certificate(const store::TenantScope&, std::string_view,
                                                                    std::string_view,
                                                                    const store::RequestContext&) override;
  store::Result<store::Credential> authenticate_certificate(const store::Sha256&, store::Timestamp) override;
  store::Result<store::Challenge> create_challenge(const store::TenantScope&, std::string_view, const store::Nonce&,
                                                   store::Timestamp, const store::RequestContext&,
                                                   std::optional<int64_t>) override;
  store::Result<store::VersionedDocument> put_document(const store::TenantScope&, store::DocumentKind,
                                                       std::string_view, const nlohmann::json&,
                                                       const store::RequestContext&) override;
  store::Result<std::vector<store::VersionedDocument>> list_document_versions(const store::TenantScope&,
                                                                              store::DocumentKind,
                                                                              std::string_view) override;
  store::Result<void> retire_document(const store::TenantScope&, store::DocumentKind, std::string_view,
                                      const store::RequestContext&) override;
  store::Result<store::TpmRoot> add_tpm_root(const store::TenantScope&, std::span<const uint8_t>,
                                             const store::RequestContext&) override;
  store::Result<std::vector<store::TpmRoot>> list_tpm_roots(const store::TenantScope&) override;
  store::Result<void> remove_tpm_root(const store::TenantScope&, std::string_view,
                                      const store::RequestContext&) override;
  store::Result<std::vector<store::KeyVersion>> list_keys(const store::TenantScope&) override;
  store::Result<std::vector<store::KeyVersion>> list_key_versions(const store::TenantScope&,
                                                                  std::string_view) override;
  store::Result<int64_t> destroy_key(const store::TenantScope&, std::string_view,
                                     const store::RequestContext&) override;
  store::Result<store::TenantScope> scope_for_verified_ear(std::string_view, std::string_view) override;
  store::Result<std::vector<store::AuditRecord>> list_audit(const store::TenantScope&,
                                                            const store::AuditQuery&) override;
  store::Result<std::vector<store::AuditRecord>> export_audit(const store::TenantScope&, int64_t,
                                                              std::optional<store::Timestamp>, int64_t) override;
  store::Result<std::vector<store::AuditCheckpoint>> list_audit_checkpoints(const store::TenantScope&,
                                                                            int64_t) override;
  store::Result<std::vector<store::AuditHead>> audit_heads() override;
  store::Result<void> add_audit_checkpoint(std::string_view, const store::AuditCheckpoint&) override;
  store::Result<std::vector<store::AuditRecord>> export_system_audit(int64_t, int64_t) override;

 private:
  struct Token {
    store::Role role;
    std::optional<std::vector<std::string>> allowed_hosts;
  };
  struct Document {
    std::string name;
    int64_t version = 1;
    nlohmann::json document;
    store::Timestamp created_at;
  };
  // The one tenant's scope check: a scope of any other tenant sees nothing.
  [[nodiscard]] bool mine(const store::TenantScope& scope) const { return scope.tenant_id() == tenant_id_; }

  std::string tenant_id_;
  mutable std::mutex mutex_;
  std::map<store::Sha256, Token> tokens_;
  std::map<std::string, store::Host, std::less<>> hosts_;
  std::map<std::string, store::Challenge, std::less<>> seeded_challenges_;
  std::map<std::string, store::Challenge, std::less<>> challenges_;
  std::map<std::string, store::Attestation, std::less<>> attestations_;
  std::vector<Document> policies_, reference_sets_;
  std::map<std::string, store::KeyVersion, std::less<>> keys_;
  Effects effects_;
  int64_t next_attestation_ = 1;
};

}  // namespace attestd::fuzz_http
