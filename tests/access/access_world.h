// The world the access matrix runs in: one attestd built exactly as verifier/main.cpp builds it
// (make_api routes after the built-in ones, the token authenticator, auth failures audited),
// over a real SQLite file in a temporary directory, answering real TLS on loopback, with two
// tenants seeded through the store. Tenant B's identifiers are random and distinctive so that a
// response to tenant A can be searched for any of them.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/broker/key_broker.h"
#include "attestd/client/https_client.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/role.h"
#include "attestd/server/router.h"
#include "attestd/server/server.h"
#include "attestd/store/store.h"
#include "test_client.h"
#include "test_server.h"

namespace attestd::access_test {

using server::test::HttpResponse;

// Who calls: every role of DESIGN §6, callers the router must refuse, an attestation result
// presented as a bearer token, tokens restricted to named hosts or keys, and a host's registered
// TLS client certificate without any token (issue 8).
enum class Who {
  operator_,
  admin,
  attester,
  workload,
  auditor,
  no_token,
  bad_token,
  ear,
  attester_restricted,  // may act for the tenant's host2 only
  workload_restricted,  // may fetch the tenant's key2 only
  revoked_admin,        // an admin token revoked before use
  expired_admin,        // an admin token past its expiry
  host_certificate,     // no token: the TLS client certificate registered for the tenant's host
};
inline constexpr Who kEveryone[] = {Who::operator_,
                                    Who::admin,
                                    Who::attester,
                                    Who::workload,
                                    Who::auditor,
                                    Who::no_token,
                                    Who::bad_token,
                                    Who::ear,
                                    Who::attester_restricted,
                                    Who::workload_restricted,
                                    Who::revoked_admin,
                                    Who::expired_admin,
                                    Who::host_certificate};

std::string_view to_string(Who who);
// The role of the caller's API token (or host certificate); nullopt when it presents none that
// authenticates.
std::optional<server::Role> role_of(Who who);

// One tenant's seeded objects.
struct TenantObjects {
  std::string name;
  std::string id;
  std::map<Who, std::string> tokens;  // bearer plaintext (for Who::ear, an EAR of this tenant)
  std::vector<std::string> token_ids;
  std::string host;   // trusted (activated), bound to `policy`, labelled {"canary": canary}
  std::string host2;  // the one host the restricted attester may act for
  std::string canary;
  std::string ak_name_hex;
  std::string reference_set;
  std::string policy;
  std::string key;
  std::string key2;  // the one key the restricted workload may fetch
  std::string challenge;
  std::string attestation;
  std::string attestation_token;
  std::string enrollment;
  std::string root_id;
  std::string checkpoint_head;  // hex head hash of the tenant's signed audit checkpoint
  // The client certificate (openssl-made, P-256) registered for `host`: Who::host_certificate.
  std::filesystem::path certificate_file;
  std::filesystem::path certificate_key;
  std::string certificate_id;
  std::string certificate_sha256;
  // Names B holds that A creates for itself in the "other" case of the create routes: after that
  // they are A's names too, so they are not searched for in A's responses.
  std::string reused_host;
  std::string reused_set;
  std::string reused_policy;
  std::string reused_key;
};

// A request: method, target, body, and the object identifiers it names in order (the normaliser
// replaces them with <obj0>, <obj1>, ... so that answers about different objects compare).
struct Call {
  server::Method method = server::Method::get;
  std::string target;
  std::optional<nlohmann::json> body;
  std::vector<std::string> names;
};

class World {
 public:
  // Builds everything; aborts the calling test (gtest fatal failure) when any step fails.
  World();
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // The table the server dispatches with, built-in routes first.
  [[nodiscard]] const server::Router& router() const { return *router_; }
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

  // Sends `call` as `who` of tenant A on a kept-alive connection (reconnecting when the server
  // closed it); send_as as `who` of the given tenant.
  HttpResponse send(Who who, const Call& call) { return send_as(a, who, call); }
  HttpResponse send_as(const TenantObjects& t, Who who, const Call& call);
  HttpResponse send_with_certificate(const TenantObjects& t, const Call& call);
  // Every target and body sent so far. What a caller named itself may come back to it later (its
  // own audit trail records the names it asked for), so that is no leak.
  [[nodiscard]] const std::string& sent() const { return sent_; }

  // Fresh objects for routes that consume or destroy theirs, so that every case has its own.
  std::string fresh_challenge(const TenantObjects& t, const std::string& host);
  // An enrollment of t.host whose secret is returned beside its id.
  std::pair<std::string, std::vector<uint8_t>> fresh_enrollment(const TenantObjects& t);
  std::string fresh_document(const TenantObjects& t, store::DocumentKind kind);
  std::string fresh_key(const TenantObjects& t);
  std::string fresh_tenant();                       // its name
  std::string fresh_token(const TenantObjects& t);  // an auditor token's id
  std::string fresh_certificate_pem();              // a new P-256 leaf nobody registered
  std::string fresh_certificate(const TenantObjects& t);  // registered for t.host; its id

  // Random identifiers shaped like the seeded ones ("host-<16 hex>", 32 hex store ids).
  static std::string random_name(std::string_view prefix);
  static std::string random_id();

  // Documents that parse (policy/reference_set.h, policy/policy_document.h).
  static nlohmann::json reference_set_doc(const std::string& name);
  static nlohmann::json policy_doc(const std::string& name, const std::string& reference_set);

  // Standard base64 (RFC 4648 §4), as the API takes bytes in JSON.
  static std::string base64(std::span<const uint8_t> bytes);

  // Test data: files under the shared test data (vmboot = a real swtpm boot; CA certificates).
  static std::vector<uint8_t> shared_bytes(std::string_view rel);

  TenantObjects a;  // the caller's tenant
  TenantObjects b;  // the other tenant
  std::string operator_token;
  std::string operator_token_id;
  std::string enrollment_body_ak;  // base64 of the real AK, EK and EK certificate for enrollment
  std::string enrollment_body_ek;
  std::string enrollment_body_ek_cert;
  std::string unused_root_pem;  // a parseable TPM root neither tenant trusts

  // Every identifier of tenant B, to be searched for in every answer A gets.
  [[nodiscard]] std::vector<std::string> other_tenant_identifiers() const;
  // B's tenant data and token secrets, which not even the operator (who manages tenants and
  // tokens, so sees their names and ids) may see.
  [[nodiscard]] std::vector<std::string> other_tenant_data() const;

  std::shared_ptr<store::Store> store;

 private:
  void build();
  void seed(TenantObjects& t, bool is_a);
  store::TenantScope scope_of(const TenantObjects& t);
  store::RequestContext rc() const;
  void fail(std::string what);

  server::test::TempDir dir_;
  std::shared_ptr<const result::KeySet> keys_;
  std::shared_ptr<broker::KeyBroker> broker_;
  std::shared_ptr<const server::Router> router_;
  std::unique_ptr<server::Server> server_;
  std::optional<server::test::TlsClient> client_;
  // Per tenant: the TLS settings presenting its host's certificate, and a connection with them.
  std::map<std::string, std::unique_ptr<client::TlsConfig>> cert_tls_;
  std::map<std::string, std::unique_ptr<client::HttpsClient>> cert_clients_;
  int certificates_made_ = 0;
  std::map<std::string, store::TenantScope> scopes_;
  std::string error_;
  std::string sent_;
};

}  // namespace attestd::access_test
