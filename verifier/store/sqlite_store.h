// The SQLite implementation of Store: one writing connection owned by the group-commit writer,
// a pool of WAL readers, migrations at open. Every SQLite specific stays behind this class.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "attestd/store/store.h"
#include "connection.h"
#include "reader_pool.h"
#include "writer.h"

namespace attestd::store::sqlite {

// Error messages of not_found never repeat the requested name or id, so that the error for
// another tenant's object is byte-for-byte the error for a missing one (issue 8).
inline std::unexpected<StoreError> fail(StoreErrorCode code, std::string message) {
  return std::unexpected(StoreError{code, std::move(message)});
}

class SqliteStore final : public Store {
 public:
  // See Store::open.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path, const StoreOptions& options);
  ~SqliteStore() override;

  Result<Tenant> create_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) override;
  Result<Tenant> delete_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) override;
  Result<Tenant> find_tenant(std::string_view name) override;
  Result<std::vector<Tenant>> list_tenants() override;
  Result<TokenInfo> create_token(std::string_view tenant_name, const NewToken& token, std::string_view actor,
                                 const RequestContext& ctx) override;
  Result<TokenInfo> create_operator_token(const NewToken& token, std::string_view actor,
                                          const RequestContext& ctx) override;
  Result<TokenInfo> revoke_token(std::string_view token_id, std::string_view actor, const RequestContext& ctx) override;
  Result<std::vector<TokenInfo>> list_tokens(std::string_view tenant_name) override;
  Result<Credential> authenticate(const Sha256& token_sha256, Timestamp now) override;
  Result<int64_t> purge_expired_challenges(Timestamp cutoff) override;

  Result<Host> create_host(const TenantScope& scope, const NewHost& host, const RequestContext& ctx) override;
  Result<Host> get_host(const TenantScope& scope, std::string_view host_id) override;
  Result<std::vector<Host>> list_hosts(const TenantScope& scope, std::optional<std::string_view> after = {},
                                       int64_t limit = 1000) override;
  Result<Host> update_host(const TenantScope& scope, std::string_view host_id, const HostUpdate& update,
                           const RequestContext& ctx) override;
  Result<Enrollment> begin_enrollment(const TenantScope& scope, std::string_view host_id,
                                      const NewEnrollment& enrollment, const RequestContext& ctx) override;
  Result<Host> activate_enrollment(const TenantScope& scope, std::string_view host_id, std::string_view enrollment_id,
                                   const Sha256& secret_sha256, const RequestContext& ctx) override;

  Result<ClientCertificate> add_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                   const NewClientCertificate& certificate,
                                                   const RequestContext& ctx) override;
  Result<std::vector<ClientCertificate>> list_client_certificates(const TenantScope& scope,
                                                                  std::string_view host_id) override;
  Result<ClientCertificate> revoke_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                      std::string_view certificate_id,
                                                      const RequestContext& ctx) override;
  Result<Credential> authenticate_certificate(const Sha256& der_sha256, Timestamp now) override;

  Result<Challenge> create_challenge(const TenantScope& scope, std::string_view host_id, const Nonce& nonce,
                                     Timestamp expires_at, const RequestContext& ctx,
                                     std::optional<int64_t> max_outstanding = std::nullopt) override;
  Result<Challenge> get_challenge(const TenantScope& scope, std::string_view challenge_id,
                                  std::string_view host_id) override;
  Result<Attestation> consume_challenge_and_record(const TenantScope& scope, std::string_view challenge_id,
                                                   std::string_view host_id, const NewAttestation& attestation,
                                                   const RequestContext& ctx) override;
  Result<Attestation> get_attestation(const TenantScope& scope, std::string_view attestation_id) override;

  Result<VersionedDocument> put_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                         const nlohmann::json& document, const RequestContext& ctx) override;
  Result<VersionedDocument> get_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                         std::optional<int64_t> version) override;
  Result<std::vector<VersionedDocument>> list_documents(const TenantScope& scope, DocumentKind kind) override;
  Result<std::vector<DocumentVersion>> current_document_versions(const TenantScope& scope,
                                                                 DocumentKind kind) override;
  Result<std::vector<VersionedDocument>> list_document_versions(const TenantScope& scope, DocumentKind kind,
                                                                std::string_view name) override;
  Result<void> retire_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                               const RequestContext& ctx) override;

  Result<TpmRoot> add_tpm_root(const TenantScope& scope, std::span<const uint8_t> der,
                               const RequestContext& ctx) override;
  Result<std::vector<TpmRoot>> list_tpm_roots(const TenantScope& scope) override;
  Result<void> remove_tpm_root(const TenantScope& scope, std::string_view root_id, const RequestContext& ctx) override;

  Result<AuditRecord> append_audit(const TenantScope& scope, const AuditEvent& event,
                                   const RequestContext& ctx) override;
  Result<AuditRecord> append_system_audit(std::string_view actor, const AuditEvent& event,
                                          const RequestContext& ctx) override;
  Result<std::vector<AuditRecord>> list_audit(const TenantScope& scope, const AuditQuery& query) override;
  Result<int64_t> next_key_version(const TenantScope& scope, std::string_view name) override;
  Result<KeyVersion> put_key_version(const TenantScope& scope, const NewKeyVersion& key,
                                     const RequestContext& ctx) override;
  Result<KeyVersion> get_key(const TenantScope& scope, std::string_view name) override;
  Result<std::vector<KeyVersion>> list_keys(const TenantScope& scope) override;
  Result<std::vector<KeyVersion>> list_key_versions(const TenantScope& scope, std::string_view name) override;
  Result<int64_t> destroy_key(const TenantScope& scope, std::string_view name, const RequestContext& ctx) override;
  Result<TenantScope> scope_for_verified_ear(std::string_view tenant_id, std::string_view actor) override;
  Result<std::vector<AuditRecord>> export_audit(const TenantScope& scope, int64_t after_seq,
                                                std::optional<Timestamp> since, int64_t limit) override;
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(const TenantScope& scope, int64_t limit) override;
  Result<std::vector<AuditHead>> audit_heads() override;
  Result<void> add_audit_checkpoint(std::string_view tenant_id, const AuditCheckpoint& checkpoint) override;
  Result<std::vector<AuditRecord>> export_system_audit(int64_t after_seq, int64_t limit) override;

  WriteStats write_stats() const override { return writer_->stats(); }

  // Diagnostics for tests and `attestctl doctor`: the value of `PRAGMA name` as seen by the writer
  // connection or by a reader connection.
  Result<std::string> pragma(std::string_view name, ConnectionRole on);

 private:
  SqliteStore(std::unique_ptr<Writer> writer, std::unique_ptr<ReaderPool> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  std::unique_ptr<Writer> writer_;
  std::unique_ptr<ReaderPool> readers_;
};

}  // namespace attestd::store::sqlite
