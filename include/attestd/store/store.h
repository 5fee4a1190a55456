// The data-access interface of the attestd service (DESIGN §5, §6; issue 4). One interface, with
// the embedded SQLite implementation behind it and room for a PostgreSQL one: callers never see
// SQL, connections, transactions or PRAGMAs.
//
// Tenancy: every method that touches tenant-owned data takes a TenantScope, which only
// authenticate() hands out, and reads the tenant id from it alone. An object of another tenant is
// reported exactly like one that does not exist (not_found / challenge_not_found).
//
// Durability: a state-changing call returns only after its transaction, including its audit row,
// is committed; with the default Durability::full it then survives a process kill and a power loss.
//
// Threads: every method may be called from any thread concurrently. Writes are serialised and
// batched by the implementation; reads run in parallel.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/store/error.h"
#include "attestd/store/records.h"
#include "attestd/store/scope.h"
#include "attestd/store/write_stats.h"

namespace attestd::store {

// How far a commit is made durable before a write call returns.
enum class Durability {
  // fsync the log on every commit (SQLite WAL + synchronous=FULL). An acknowledged attestation,
  // consumed nonce or key release survives both a process kill and a power loss. Group commit
  // pays one fsync per batch, not per request. The default.
  full,
  // Sync only at checkpoints (WAL + synchronous=NORMAL): survives a process kill but a power loss
  // may drop the last commits, and with them the record that a nonce was used. For tests and
  // benchmarks on throwaway data.
  normal,
};

struct StoreOptions {
  Durability durability = Durability::full;
  int reader_connections = 4;      // WAL readers run in parallel with the writer
  size_t max_batch = 256;          // write jobs per group-commit transaction
  std::chrono::milliseconds busy_timeout{5000};  // SQLite's own wait for another process's lock
  std::chrono::milliseconds busy_budget{30000};  // total wait before a call fails as unavailable
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens (creating if needed) the SQLite database at `path`, applies every pending migration, and
  // starts the writer thread. Opening an up-to-date database changes nothing. Fails with internal
  // when the file cannot be opened, is not a database, or was written by a newer attestd.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, const StoreOptions& options = {});

  // ---- operator and bootstrap (not tenant data; the tenant is named because managing tenants is
  // ---- the point of these calls; `actor` is the operator token id or e.g. "attestctl")

  // Creates a tenant. conflict when the name is taken; invalid_argument unless the name is 1-64
  // characters of [A-Za-z0-9._-] starting with a letter or digit.
  virtual Result<Tenant> create_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) = 0;
  // Deletes a tenant and erases its data in one transaction: hosts, enrollments, challenges,
  // attestations, reference sets, policies, TPM roots, key versions (ciphertexts overwritten first)
  // and tokens, so every credential of the tenant, and every EAR naming it, stops working at once.
  // Its audit chain and checkpoints stay (append-only evidence), closed by a "tenant.delete"
  // record; the service's chain records the deletion too. The name may then be reused: the new
  // tenant gets a new id and a new chain. Returns the deleted tenant; not_found when unknown.
  virtual Result<Tenant> delete_tenant(std::string_view name, std::string_view actor, const RequestContext& ctx) = 0;
  virtual Result<Tenant> find_tenant(std::string_view name) = 0;
  virtual Result<std::vector<Tenant>> list_tenants() = 0;

  // Stores a token (its hash) for the tenant named `tenant_name`. not_found when there is no such
  // tenant; invalid_argument for Role::operator_ (use create_operator_token), for allowed_hosts on
  // a role other than attester, allowed_keys on a role other than workload, or an expiry not after
  // ctx.now; conflict when the hash is already stored.
  virtual Result<TokenInfo> create_token(std::string_view tenant_name, const NewToken& token, std::string_view actor,
                                         const RequestContext& ctx) = 0;
  // Stores an operator token, which belongs to no tenant. invalid_argument unless role is operator_.
  virtual Result<TokenInfo> create_operator_token(const NewToken& token, std::string_view actor,
                                                  const RequestContext& ctx) = 0;
  // Revokes a token by id; effective for every later authenticate(). not_found when unknown.
  virtual Result<TokenInfo> revoke_token(std::string_view token_id, std::string_view actor,
                                         const RequestContext& ctx) = 0;
  virtual Result<std::vector<TokenInfo>> list_tokens(std::string_view tenant_name) = 0;

  // Looks a presented token up by its SHA-256. not_found for an unknown token, token_revoked,
  // token_expired (expiry is exclusive: a token expiring at `now` is expired).
  virtual Result<Credential> authenticate(const Sha256& token_sha256, Timestamp now) = 0;

  // Deletes challenges that expired before `cutoff`; returns how many. Consumed challenges stay
  // until they expire, so a replay inside the lifetime is still answered challenge_consumed.
  virtual Result<int64_t> purge_expired_challenges(Timestamp cutoff) = 0;

  // ---- hosts and credential activation (tenant-scoped)

  // conflict when the tenant already has this host id; invalid_argument for an empty id.
  virtual Result<Host> create_host(const TenantScope& scope, const NewHost& host, const RequestContext& ctx) = 0;
  virtual Result<Host> get_host(const TenantScope& scope, std::string_view host_id) = 0;
  // The tenant's hosts ordered by host id, those after `after` (exclusive) when given, at most
  // `limit` (clamped to 1..1000): page through a large fleet with the last id of each page.
  virtual Result<std::vector<Host>> list_hosts(const TenantScope& scope, std::optional<std::string_view> after = {},
                                               int64_t limit = 1000) = 0;
  // Changes the host's policy binding (a name, or none to select by labels) and, when given, its
  // labels, with an audit row. not_found for an unknown host; invalid_argument for labels that are
  // not an object of strings.
  virtual Result<Host> update_host(const TenantScope& scope, std::string_view host_id, const HostUpdate& update,
                                   const RequestContext& ctx) = 0;

  // Records a pending credential activation for an existing host. not_found for an unknown host.
  virtual Result<Enrollment> begin_enrollment(const TenantScope& scope, std::string_view host_id,
                                              const NewEnrollment& enrollment, const RequestContext& ctx) = 0;
  // In one transaction: checks that the enrollment exists for this tenant and host, is unexpired,
  // unconsumed and that SHA-256(recovered secret) matches (compared in constant time); marks it
  // consumed, installs its AK on the host, marks the host trusted and appends the audit row.
  // Returns the trusted host, or not_found, enrollment_expired, enrollment_consumed,
  // enrollment_secret_mismatch (which leaves the enrollment usable).
  virtual Result<Host> activate_enrollment(const TenantScope& scope, std::string_view host_id,
                                           std::string_view enrollment_id, const Sha256& secret_sha256,
                                           const RequestContext& ctx) = 0;

  // ---- host client certificates (tenant-scoped; issue 8)

  // Registers a client certificate for the tenant's host, with a "host.certificate.add" audit row.
  // The caller has checked what the certificate is (a leaf, unexpired, a strong key). not_found
  // for an unknown host; conflict when a certificate with this SHA-256 is registered anywhere (in
  // any tenant: the message names neither tenant nor host).
  virtual Result<ClientCertificate> add_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                           const NewClientCertificate& certificate,
                                                           const RequestContext& ctx) = 0;
  // The host's certificates, revoked ones included, oldest first. not_found for an unknown host.
  virtual Result<std::vector<ClientCertificate>> list_client_certificates(const TenantScope& scope,
                                                                          std::string_view host_id) = 0;
  // Revokes one of the host's certificates (idempotent; audited once as "host.certificate.revoke");
  // effective for every later authenticate_certificate(). not_found for an unknown host or a
  // certificate that is not this host's.
  virtual Result<ClientCertificate> revoke_client_certificate(const TenantScope& scope, std::string_view host_id,
                                                              std::string_view certificate_id,
                                                              const RequestContext& ctx) = 0;
  // Looks a presented client certificate up by the SHA-256 of its DER: an attester credential of
  // the host's tenant restricted to exactly that host. not_found for an unknown certificate,
  // token_revoked for a revoked one, token_expired outside [not_before, not_after] at `now`.
  virtual Result<Credential> authenticate_certificate(const Sha256& der_sha256, Timestamp now) = 0;

  // ---- challenges and attestations (tenant-scoped)

  // Stores a fresh challenge for an existing host. not_found for an unknown host; conflict when
  // `max_outstanding` is given and the host already has that many unconsumed challenges expiring
  // after ctx.now (counted in the same transaction, so concurrent calls cannot overshoot it).
  virtual Result<Challenge> create_challenge(const TenantScope& scope, std::string_view host_id, const Nonce& nonce,
                                             Timestamp expires_at, const RequestContext& ctx,
                                             std::optional<int64_t> max_outstanding = std::nullopt) = 0;
  // Reads a challenge (to learn its nonce before verifying evidence). challenge_not_found unless it
  // belongs to this tenant and host. Does not check expiry or use: consume does, atomically.
  virtual Result<Challenge> get_challenge(const TenantScope& scope, std::string_view challenge_id,
                                          std::string_view host_id) = 0;
  // In ONE transaction: marks the challenge consumed only if it exists for this tenant and host,
  // is unconsumed and expires after ctx.now, then stores the attestation and its audit row.
  // Exactly one of any number of concurrent calls for a challenge succeeds, on this replica or
  // another sharing the database. Errors: challenge_not_found, challenge_consumed,
  // challenge_expired (consumed wins when both hold).
  virtual Result<Attestation> consume_challenge_and_record(const TenantScope& scope, std::string_view challenge_id,
                                                           std::string_view host_id, const NewAttestation& attestation,
                                                           const RequestContext& ctx) = 0;
  virtual Result<Attestation> get_attestation(const TenantScope& scope, std::string_view attestation_id) = 0;

  // ---- reference sets and policies (tenant-scoped, versioned)

  // Stores `document` as the next version of `name` (1 for a new name); earlier versions are kept.
  // invalid_argument for an empty name or a document that does not serialise (invalid UTF-8).
  virtual Result<VersionedDocument> put_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                                 const nlohmann::json& document, const RequestContext& ctx) = 0;
  // The given version, or the newest when `version` is nullopt. not_found for no such name or
  // version, and for the newest when the name is retired (a specific retired version is returned).
  virtual Result<VersionedDocument> get_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                                 std::optional<int64_t> version) = 0;
  // Every version, oldest first. not_found when the name has none.
  // The newest version of every document of this kind that is not retired, ordered by name.
  virtual Result<std::vector<VersionedDocument>> list_documents(const TenantScope& scope, DocumentKind kind) = 0;
  // The same selection (newest version of each name, retired names left out) without the
  // documents: what an attestation reads before taking parsed documents from a cache.
  virtual Result<std::vector<DocumentVersion>> current_document_versions(const TenantScope& scope,
                                                                         DocumentKind kind) = 0;
  virtual Result<std::vector<VersionedDocument>> list_document_versions(const TenantScope& scope, DocumentKind kind,
                                                                        std::string_view name) = 0;
  // Marks every version of `name` retired; a later put starts a live version again.
  virtual Result<void> retire_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                       const RequestContext& ctx) = 0;

  // ---- trusted TPM manufacturer roots (tenant-scoped)

  // conflict when the tenant already trusts this certificate (same SHA-256).
  virtual Result<TpmRoot> add_tpm_root(const TenantScope& scope, std::span<const uint8_t> der,
                                       const RequestContext& ctx) = 0;
  virtual Result<std::vector<TpmRoot>> list_tpm_roots(const TenantScope& scope) = 0;
  virtual Result<void> remove_tpm_root(const TenantScope& scope, std::string_view root_id,
                                       const RequestContext& ctx) = 0;

  // ---- key broker (tenant-scoped, versioned; issue 6)

  // The version a new put of `name` must carry: 1 + the highest ever stored (destroyed included,
  // so that a version number never names two secrets).
  virtual Result<int64_t> next_key_version(const TenantScope& scope, std::string_view name) = 0;
  // Stores a sealed key version with its "key.put" audit row. conflict when that version exists
  // or is not the next one (a concurrent rotation won); invalid_argument for an empty name.
  virtual Result<KeyVersion> put_key_version(const TenantScope& scope, const NewKeyVersion& key,
                                             const RequestContext& ctx) = 0;
  // The newest version of a live key, with its ciphertext. not_found when none or destroyed.
  virtual Result<KeyVersion> get_key(const TenantScope& scope, std::string_view name) = 0;
  // The newest version of every live key, ordered by name, without ciphertexts.
  virtual Result<std::vector<KeyVersion>> list_keys(const TenantScope& scope) = 0;
  // Every version of `name`, oldest first, without ciphertexts. not_found when none.
  virtual Result<std::vector<KeyVersion>> list_key_versions(const TenantScope& scope, std::string_view name) = 0;
  // Overwrites and drops the ciphertext of every version of `name`, with a "key.destroy" audit
  // row; returns how many versions were destroyed. not_found when nothing live.
  virtual Result<int64_t> destroy_key(const TenantScope& scope, std::string_view name, const RequestContext& ctx) = 0;
  // The scope of `tenant_id` for a request authenticated by an EAR this service signed (key release
  // by a workload, issue 6): the caller must have verified the token's signature and taken the
  // tenant from its claims. `actor` names the token for the audit. not_found for no such tenant.
  virtual Result<TenantScope> scope_for_verified_ear(std::string_view tenant_id, std::string_view actor) = 0;

  // ---- audit (append-only)

  // Appends an event that has no other state change (a refusal, a key release decision).
  virtual Result<AuditRecord> append_audit(const TenantScope& scope, const AuditEvent& event,
                                           const RequestContext& ctx) = 0;
  // Appends to the service's own chain, for events without a tenant (an authentication failure).
  virtual Result<AuditRecord> append_system_audit(std::string_view actor, const AuditEvent& event,
                                                  const RequestContext& ctx) = 0;
  // The tenant's records, newest first.
  virtual Result<std::vector<AuditRecord>> list_audit(const TenantScope& scope, const AuditQuery& query) = 0;
  // The tenant's records in chain order with chain_seq > after_seq and time >= since (when given),
  // at most `limit` (clamped to 1..10000): page through an export with the last chain_seq.
  virtual Result<std::vector<AuditRecord>> export_audit(const TenantScope& scope, int64_t after_seq,
                                                        std::optional<Timestamp> since, int64_t limit) = 0;
  // The tenant's checkpoints, newest first, at most `limit` (clamped to 1..1000).
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(const TenantScope& scope, int64_t limit) = 0;
  // The service's checkpointer (not tenant-facing): every chain's head and newest checkpoint.
  virtual Result<std::vector<AuditHead>> audit_heads() = 0;
  // Stores a checkpoint of `tenant_id`'s chain ("" for the service's own). invalid_argument unless
  // the chain has a record `size` whose hash is `head`; conflict when that size is already signed.
  virtual Result<void> add_audit_checkpoint(std::string_view tenant_id, const AuditCheckpoint& checkpoint) = 0;
  // The service's own chain (authentication failures, tenants, operator tokens), for operators.
  virtual Result<std::vector<AuditRecord>> export_system_audit(int64_t after_seq, int64_t limit) = 0;

  // ---- observability

  virtual WriteStats write_stats() const = 0;

 protected:
  // For implementations only: the one way to make a scope, used by authenticate().
  static TenantScope make_scope(std::string tenant_id, std::string actor) {
    return TenantScope(std::move(tenant_id), std::move(actor));
  }
};

}  // namespace attestd::store
