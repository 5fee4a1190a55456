// The rows of the attestd database as the service sees them: what it passes in to create an
// object and what it gets back. Tenant-owned records carry no tenant id: the caller's TenantScope
// already says which tenant they belong to.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/store/scope.h"

namespace attestd::store {

// Wall-clock time at millisecond resolution; stored as INTEGER milliseconds since the Unix epoch.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Bytes = std::vector<uint8_t>;
using Sha256 = std::array<uint8_t, 32>;
using Nonce = std::array<uint8_t, 32>;

// What every state-changing call records in the audit row it writes with the change. `now` is a
// parameter so that tests are hermetic (STYLE, Envoy): the store never reads a clock.
struct RequestContext {
  Timestamp now;
  std::string request_id;      // may be empty
  std::string client_address;  // may be empty
};

// ---- tenants and credentials (DESIGN §6) ----

struct Tenant {
  std::string id;  // 32 hex characters
  std::string name;
  Timestamp created_at;
};

// `operator` is a C++ keyword, hence the trailing underscore; its stored name is "operator".
enum class Role { admin, attester, workload, auditor, operator_ };

// "admin", "attester", "workload", "auditor", "operator".
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view name);

struct NewToken {
  Role role = Role::attester;
  Sha256 token_sha256{};  // SHA-256 of the bearer token; the plaintext never reaches the store
  std::optional<Timestamp> expires_at;
  std::optional<std::vector<std::string>> allowed_hosts;  // attester restriction; nullopt = any
  std::optional<std::vector<std::string>> allowed_keys;   // workload restriction; nullopt = any
};

struct TokenInfo {
  std::string id;
  std::string tenant_name;  // empty for operator tokens, which belong to no tenant
  Role role = Role::attester;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> revoked_at;
  std::optional<std::vector<std::string>> allowed_hosts;
  std::optional<std::vector<std::string>> allowed_keys;
};

// An authenticated credential. `scope` is set for every role but operator, which sees no tenant
// data (DESIGN §6) and so gets no scope to see it with.
struct Credential {
  std::string token_id;  // the token's id, or the client certificate's id
  Role role = Role::attester;
  std::optional<TenantScope> scope;
  std::optional<std::vector<std::string>> allowed_hosts;
  std::optional<std::vector<std::string>> allowed_keys;
};

// ---- hosts and credential activation ----

struct NewHost {
  std::string host_id;
  Bytes ak_public;  // TPM2B_PUBLIC or DER SPKI, as registered
  Bytes ak_name;    // TPM Name of the AK (nameAlg ‖ digest); may be empty when ak_public is an SPKI
  std::optional<Bytes> ek_certificate;
  nlohmann::json labels = nlohmann::json::object();
  std::optional<std::string> policy_name;
};

struct Host {
  std::string host_id;
  Bytes ak_public;
  Bytes ak_name;
  std::optional<Bytes> ek_certificate;
  nlohmann::json labels = nlohmann::json::object();
  std::optional<std::string> policy_name;
  bool trusted = false;  // true once credential activation proved the AK lives beside the EK
  Timestamp created_at;
};

// A pending credential activation: MakeCredential wrapped a secret to the EK for this AK.
// A change to a host's appraisal binding. Absent members stay as they are.
struct HostUpdate {
  std::optional<std::optional<std::string>> policy_name;  // set (a name) or clear (nullopt inside)
  std::optional<nlohmann::json> labels;                   // replaces every label
};

struct NewEnrollment {
  Sha256 secret_sha256{};  // SHA-256 of the secret the host must recover with ActivateCredential
  Bytes ak_public;         // the AK the blob was made for; installed on the host by activation
  Bytes ak_name;
  std::optional<Bytes> ek_certificate;
  Timestamp expires_at;
};

struct Enrollment {
  std::string id;
  std::string host_id;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> consumed_at;
};

// ---- host client certificates (issue 8): a TLS client certificate as an attester credential
// ---- for exactly one host. Trust is the pinned SHA-256 of the DER, not a CA.

struct NewClientCertificate {
  Bytes der;               // the certificate exactly as registered
  Sha256 der_sha256{};     // SHA-256 of `der`: unique across all tenants
  Timestamp not_before;    // the certificate's own validity, checked on every authentication
  Timestamp not_after;
};

struct ClientCertificate {
  std::string id;
  std::string host_id;
  Sha256 der_sha256{};
  Timestamp not_before;
  Timestamp not_after;
  Timestamp created_at;
  std::optional<Timestamp> revoked_at;
};

// ---- challenges and attestations (DESIGN §1) ----

struct Challenge {
  std::string id;
  std::string host_id;
  Nonce nonce{};
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> consumed_at;
};

enum class Verdict { affirming, warning, contraindicated, none };

std::string_view to_string(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view name);

// One reason of an appraisal: a stable id (DESIGN §3) and a human message.
struct Reason {
  std::string id;
  std::string message;

  friend bool operator==(const Reason&, const Reason&) = default;
};

struct NewAttestation {
  Verdict verdict = Verdict::none;
  std::vector<Reason> reasons;
  std::string token;  // the EAR JWT
  std::optional<std::string> policy_name;
  std::optional<int64_t> policy_version;
  // The reference sets the appraisal used, name -> version: "under which golden values" (issue 7).
  std::map<std::string, int64_t> reference_set_versions;
  std::map<std::string, std::string> evidence_digests;  // e.g. {"tpm.quote": "<sha256 hex>"}
};

struct Attestation {
  std::string id;
  std::string host_id;
  std::string challenge_id;
  Verdict verdict = Verdict::none;
  std::vector<Reason> reasons;
  std::string token;
  std::optional<std::string> policy_name;
  std::optional<int64_t> policy_version;
  std::map<std::string, std::string> evidence_digests;
  Timestamp created_at;
};

// ---- golden values and policy (DESIGN §4) ----

// Reference sets and policies are both named, versioned JSON documents of one tenant.
enum class DocumentKind { reference_set, policy };

// A document version's identity without its content. The content of a stored version never
// changes, so (tenant, kind, name, version) is a sound key for a cache of parsed documents.
struct DocumentVersion {
  std::string name;
  int64_t version = 0;
};

struct VersionedDocument {
  std::string name;
  int64_t version = 0;  // 1, 2, ...: each put adds one; old versions are kept
  nlohmann::json document;
  Timestamp created_at;
  std::optional<Timestamp> retired_at;
};

// A trusted TPM manufacturer root certificate of one tenant (DER).
struct TpmRoot {
  std::string id;
  Bytes der;
  Sha256 sha256{};
  Timestamp created_at;
};

// ---- key broker (DESIGN §5, issue 6) ----

// A version of a tenant's key as sealed by the broker. The store never sees plaintext.
struct NewKeyVersion {
  std::string name;
  int64_t version = 1;  // must be the next version of `name` (see Store::next_key_version)
  std::string kek_id;
  Bytes nonce;       // 12 bytes
  Bytes ciphertext;  // AES-256-GCM ciphertext ‖ tag
  int64_t secret_size = 0;
  std::vector<std::string> policies;  // policy names whose passing verdict may release it
  nlohmann::json conditions = nlohmann::json::object();
};

struct KeyVersion {
  std::string name;
  int64_t version = 0;
  std::string kek_id;
  Bytes nonce;       // empty once destroyed, and in listings
  Bytes ciphertext;  // empty once destroyed, and in listings
  int64_t secret_size = 0;
  std::vector<std::string> policies;
  nlohmann::json conditions = nlohmann::json::object();
  Timestamp created_at;
  std::optional<Timestamp> destroyed_at;
};

// ---- audit (DESIGN §5, issue 7) ----

struct AuditEvent {
  std::string action;  // e.g. "attestation.record", "policy.put"
  std::string object;  // e.g. "host:web-1", "policy:default@3"
  nlohmann::json details = nlohmann::json::object();
};

struct AuditRecord {
  int64_t id = 0;         // global append order; also the pagination cursor
  int64_t chain_seq = 0;  // 1, 2, ... within the tenant's chain (issue 7 hashes along it)
  Timestamp time;
  std::string actor;
  std::string action;
  std::string object;
  nlohmann::json details;
  std::string request_id;
  std::string client_address;
  // The chain (docs/audit.md): details exactly as hashed, and the hashes (zero if never written).
  std::string details_text;
  Sha256 prev_hash{};
  Sha256 hash{};
};

// Filters of GET /v1/audit; absent ones match everything. Newest first.
struct AuditQuery {
  std::optional<int64_t> before_id;  // cursor: only records older than this id
  std::optional<std::string> action;
  std::optional<std::string> object;
  std::optional<std::string> host;     // records whose object is "host:<host>"
  std::optional<std::string> verdict;  // details.verdict
  std::optional<std::string> reason;   // one of details.reasons
  std::optional<Timestamp> since;      // time >= since
  std::optional<Timestamp> until;      // time < until
  int64_t limit = 100;  // clamped to [1, 1000]
};

// A chain's length and head hash, and its newest checkpoint; for the service's checkpointer.
struct AuditHead {
  std::string tenant_id;  // "" for the service's own chain
  int64_t size = 0;
  Sha256 head{};
  int64_t checkpoint_size = 0;          // 0 when the chain has none
  std::optional<Timestamp> checkpoint_time;
};

// A signed statement "tenant's chain had `size` records with head `head` at `time`" (JWS).
struct AuditCheckpoint {
  int64_t size = 0;
  Sha256 head{};
  Timestamp time;
  std::string jws;
};

}  // namespace attestd::store
