#include "access_world.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <ctime>
#include <fstream>
#include <iterator>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/ossl_ptr.h"
#include "attestd/evidence/tpm/ek_certificate.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/result/ar4si.h"
#include "attestd/result/ear.h"
#include "attestd/result/jwk.h"
#include "attestd/server/builtin_routes.h"
#include "attestd/service/audit_checkpoints.h"
#include "attestd/service/service.h"
#include "test_certificates.h"

namespace attestd::access_test {

std::string World::base64(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

namespace {

std::string random_hex(size_t bytes) {
  std::vector<uint8_t> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) std::abort();
  return evidence::to_hex(raw);
}

store::Sha256 sha256(std::span<const uint8_t> bytes) {
  store::Sha256 out{};
  SHA256(bytes.data(), bytes.size(), out.data());
  return out;
}

// The registration of a PEM certificate file as the store takes it (the service's checks are
// tested in tests/service/client_certificates_api_test.cpp).
std::optional<store::NewClientCertificate> client_certificate(const std::filesystem::path& file) {
  const auto pem = testing::read_text(file);
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return std::nullopt;
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return std::nullopt;
  store::NewClientCertificate out;
  out.der.assign(der, der + len);
  OPENSSL_free(der);
  out.der_sha256 = sha256(out.der);
  const auto when = [](const ASN1_TIME* t) {
    std::tm tm{};
    ASN1_TIME_to_tm(t, &tm);
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::from_time_t(timegm(&tm)));
  };
  out.not_before = when(X509_get0_notBefore(cert.get()));
  out.not_after = when(X509_get0_notAfter(cert.get()));
  return out;
}

}  // namespace

std::string_view to_string(Who who) {
  switch (who) {
    case Who::operator_: return "operator";
    case Who::admin: return "admin";
    case Who::attester: return "attester";
    case Who::workload: return "workload";
    case Who::auditor: return "auditor";
    case Who::no_token: return "no_token";
    case Who::bad_token: return "bad_token";
    case Who::ear: return "ear";
    case Who::attester_restricted: return "attester_restricted";
    case Who::workload_restricted: return "workload_restricted";
    case Who::revoked_admin: return "revoked_admin";
    case Who::expired_admin: return "expired_admin";
    case Who::host_certificate: return "host_certificate";
  }
  return "?";
}

std::optional<server::Role> role_of(Who who) {
  switch (who) {
    case Who::operator_: return server::Role::operator_;
    case Who::admin: return server::Role::admin;
    case Who::attester:
    case Who::attester_restricted:
    case Who::host_certificate: return server::Role::attester;
    case Who::workload:
    case Who::workload_restricted: return server::Role::workload;
    case Who::auditor: return server::Role::auditor;
    case Who::no_token:
    case Who::bad_token:
    case Who::ear:
    case Who::revoked_admin:
    case Who::expired_admin: return std::nullopt;
  }
  return std::nullopt;
}

std::string World::random_name(std::string_view prefix) { return fmt::format("{}-{}", prefix, random_hex(8)); }
std::string World::random_id() { return random_hex(16); }

nlohmann::json World::reference_set_doc(const std::string& name) {
  return {{"version", 1}, {"name", name}, {"pcrs", {{"sha256", {{"0", {std::string(64, 'a')}}}}}}};
}

nlohmann::json World::policy_doc(const std::string& name, const std::string& reference_set) {
  return {{"version", 1},
          {"name", name},
          {"require", {{"tpm", true}, {"event_log", false}, {"gpus", 0}}},
          {"reference_sets", {reference_set}},
          {"pcrs", {{"sha256", {0}}}},
          {"max_age_seconds", 300}};
}

std::vector<uint8_t> World::shared_bytes(std::string_view rel) {
  const auto path = std::filesystem::path(ATTESTD_SHARED_TESTDATA) / rel;
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void World::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
}

store::RequestContext World::rc() const {
  return {std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()), "matrix-seed",
          "127.0.0.1"};
}

store::TenantScope World::scope_of(const TenantObjects& t) { return scopes_.at(t.name); }

World::World() {
  build();
  seed(a, true);
  seed(b, false);
}

void World::build() {
  auto opened = store::Store::open(dir_.path() / "attestd.db", {.durability = store::Durability::normal});
  if (!opened) return fail("store: " + opened.error().message);
  store = std::shared_ptr<store::Store>(std::move(*opened));
  auto keys = result::load_or_create_key_set(dir_.path());
  if (!keys) return fail("keys: " + keys.error().message);
  keys_ = std::make_shared<const result::KeySet>(std::move(*keys));
  std::array<uint8_t, broker::kKekSize> kek{};
  if (RAND_bytes(kek.data(), static_cast<int>(kek.size())) != 1) return fail("no randomness");
  broker_ = std::make_shared<broker::KeyBroker>(store, broker::Kek::from_bytes(kek));

  // The same wiring as verifier/main.cpp.
  auto metrics = std::make_shared<server::MetricsRegistry>();
  // Every caller here fails authentication from 127.0.0.1 many times on purpose: the failure
  // budget (tested by the tenancy tests) must not turn the table's 401s into 429s.
  service::ServiceOptions options;
  options.auth_limits.failures_per_minute = 1e9;
  options.auth_limits.burst = 1e9;
  auto api =
      service::make_api({.store = store, .keys = keys_, .clock = {}, .metrics = metrics, .broker = broker_}, options);
  if (!api) return fail("make_api: " + api.error());
  auto routes = server::builtin_routes(
      {.metrics = metrics, .ready = [] { return true; }, .metrics_access = server::Access::anyone()});
  for (auto& r : api->routes) routes.push_back(std::move(r));
  auto router = server::Router::create(
      std::move(routes), {.authenticator = api->authenticator, .auth_failure_observer = api->auth_failure_observer});
  if (!router) return fail("router: " + router.error());
  router_ = std::make_shared<const server::Router>(std::move(*router));

  const auto config = server::test::test_config(dir_.path());
  server::test::write_self_signed(config.tls_certificate, config.tls_private_key);
  auto srv = server::Server::create(
      config, {.router = router_, .metrics = metrics, .request_ids = nullptr, .handle_signals = false});
  if (!srv) return fail("server: " + srv.error());
  server_ = std::move(*srv);
  server_->start();

  const auto ak = shared_bytes("vmboot/nosb-direct/ak.pub");
  enrollment_body_ak = base64(ak);
  enrollment_body_ek = base64(shared_bytes("vmboot/nosb-direct/ek.pub"));
  enrollment_body_ek_cert = base64(shared_bytes("vmboot/nosb-direct/ek_rsa_cert.der"));
  const auto unused = shared_bytes("go-tpm-tools/server/ca-certs/gcp_ek_ak_ca_root.crt");
  unused_root_pem = "-----BEGIN CERTIFICATE-----\n" + base64(unused) + "\n-----END CERTIFICATE-----\n";

  store::NewToken op;
  op.role = store::Role::operator_;
  const auto op_token = service::generate_bearer_token();
  op.token_sha256 = op_token.sha256;
  auto op_info = store->create_operator_token(op, "matrix", rc());
  if (!op_info) return fail("operator token: " + op_info.error().message);
  operator_token = op_token.token;
  operator_token_id = op_info->id;
}

World::~World() {
  client_.reset();
  if (server_) {
    server_->stop();
    server_->wait();
  }
}

void World::seed(TenantObjects& t, bool is_a) {
  if (!error_.empty()) return;
  t.name = random_name(is_a ? "tenant-a" : "tenant-b");
  auto tenant = store->create_tenant(t.name, "matrix", rc());
  if (!tenant) return fail("tenant: " + tenant.error().message);
  t.id = tenant->id;
  t.host = random_name("host");
  t.host2 = random_name("host");
  t.canary = random_name("canary");
  t.reference_set = random_name("golden");
  t.policy = random_name("policy");
  t.key = random_name("key");
  t.key2 = random_name("key");

  const auto add_token = [&](Who who, store::Role role, std::optional<std::vector<std::string>> hosts,
                             std::optional<std::vector<std::string>> keys,
                             std::optional<store::Timestamp> expires = {}) -> std::optional<store::Sha256> {
    const auto token = service::generate_bearer_token();
    store::NewToken nt;
    nt.role = role;
    nt.token_sha256 = token.sha256;
    nt.allowed_hosts = std::move(hosts);
    nt.allowed_keys = std::move(keys);
    nt.expires_at = expires;
    auto created_at = rc();
    // An expired token was created while it was still valid.
    if (expires) created_at.now = *expires - std::chrono::hours(1);
    auto info = store->create_token(t.name, nt, "matrix", created_at);
    if (!info) {
      fail("token: " + info.error().message);
      return std::nullopt;
    }
    t.tokens[who] = token.token;
    t.token_ids.push_back(info->id);
    return token.sha256;
  };
  const auto admin_sha = add_token(Who::admin, store::Role::admin, {}, {});
  add_token(Who::attester, store::Role::attester, {}, {});
  add_token(Who::workload, store::Role::workload, {}, {});
  add_token(Who::auditor, store::Role::auditor, {}, {});
  add_token(Who::attester_restricted, store::Role::attester, std::vector<std::string>{t.host2}, {});
  add_token(Who::workload_restricted, store::Role::workload, {}, std::vector<std::string>{t.key2});
  add_token(Who::expired_admin, store::Role::admin, {}, {}, rc().now - std::chrono::minutes(1));
  add_token(Who::revoked_admin, store::Role::admin, {}, {});
  if (!t.token_ids.empty()) {
    if (auto r = store->revoke_token(t.token_ids.back(), "matrix", rc()); !r)
      return fail("revoke: " + r.error().message);
  }
  if (!admin_sha) return;
  auto cred = store->authenticate(*admin_sha, rc().now);
  if (!cred || !cred->scope) return fail("authenticate");
  scopes_.emplace(t.name, *cred->scope);
  const auto scope = *cred->scope;

  // A trusts the swtpm CA that issued the vmboot EK certificate; B a root nobody else trusts.
  for (const char* f : is_a ? std::vector<const char*>{"vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem",
                                                       "vmboot/nosb-direct/ca/issuercert.pem"}
                            : std::vector<const char*>{"go-tpm-tools/server/ca-certs/tpm_ek_root_1.cer"}) {
    const auto bytes = shared_bytes(f);
    auto cert = evidence::tpm::parse_ek_certificate(bytes);
    if (!cert) return fail(fmt::format("{}: {}", f, cert.error().message));
    auto root = store->add_tpm_root(scope, cert->der(), rc());
    if (!root) return fail("root: " + root.error().message);
    t.root_id = root->id;
  }

  // Each tenant's host has its own AK, so that even its AK name is an identifier of the tenant.
  const auto ak = shared_bytes(is_a ? "vmboot/nosb-direct/ak.pub" : "vmboot/nosb-direct/ak_ecc.pub");
  auto key = evidence::tpm::load_public_key(ak);
  if (!key) return fail("ak: " + key.error().message);
  t.ak_name_hex = evidence::to_hex(key->name());
  for (const auto& id : {t.host, t.host2}) {
    store::NewHost h;
    h.host_id = id;
    h.ak_public = ak;
    h.ak_name.assign(key->name().begin(), key->name().end());
    if (id == t.host) {
      h.labels = {{"canary", t.canary}};
      h.policy_name = t.policy;
    }
    auto created = store->create_host(scope, h, rc());
    if (!created) return fail("host: " + created.error().message);
  }
  // The host's own client certificate, made by the openssl tool: an attester of t.host alone.
  {
    const auto made = testing::make_certificate(dir_.path(), t.name + "-host");
    t.certificate_file = made.cert_file;
    t.certificate_key = made.key_file;
    auto reg = client_certificate(made.cert_file);
    if (!reg) return fail("host certificate: cannot read " + made.cert_file.string());
    auto added = store->add_client_certificate(scope, t.host, *reg, rc());
    if (!added) return fail("host certificate: " + added.error().message);
    t.certificate_id = added->id;
    t.certificate_sha256 = evidence::to_hex(added->der_sha256);
  }
  // Trusted the way the service makes hosts trusted: an activated enrollment.
  auto [eid, secret] = fresh_enrollment(t);
  auto trusted = store->activate_enrollment(scope, t.host, eid, sha256(secret), rc());
  if (!trusted) return fail("activate: " + trusted.error().message);
  t.enrollment = fresh_enrollment(t).first;

  if (auto d = store->put_document(scope, store::DocumentKind::reference_set, t.reference_set,
                                   reference_set_doc(t.reference_set), rc());
      !d) {
    return fail("reference set: " + d.error().message);
  }
  if (auto d = store->put_document(scope, store::DocumentKind::policy, t.policy, policy_doc(t.policy, t.reference_set),
                                   rc());
      !d) {
    return fail("policy: " + d.error().message);
  }
  for (const auto& name : {t.key, t.key2}) {
    broker::SecretBytes s(32);
    if (RAND_bytes(s.span().data(), 32) != 1) return fail("no randomness");
    auto put = broker_->put(scope, name, s, {t.policy}, {}, rc());
    if (!put) return fail("key put failed");
  }

  t.challenge = fresh_challenge(t, t.host);
  const auto consumed = fresh_challenge(t, t.host);
  store::NewAttestation na;
  na.verdict = store::Verdict::affirming;
  t.attestation_token = "eyJ." + random_name("ear-canary") + ".sig";
  na.token = t.attestation_token;
  na.policy_name = t.policy;
  na.policy_version = 1;
  na.evidence_digests = {{"tpm.quote", random_hex(32)}};
  auto att = store->consume_challenge_and_record(scope, consumed, t.host, na, rc());
  if (!att) return fail("attestation: " + att.error().message);
  t.attestation = att->id;

  // An EAR of this tenant, signed by this service: the credential of the key release route.
  ossl::PkeyPtr tee(EVP_EC_gen("P-256"));
  auto jwk = result::public_jwk_from_pkey(tee.get());
  if (!jwk) return fail("tee key");
  const std::vector<uint8_t> nonce(32, 7);
  result::EarRequest ear;
  ear.nonce = nonce;
  ear.issued_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  ear.lifetime = std::chrono::hours(1);
  ear.submods.push_back({"tpm0",
                         result::Status::kAffirming,
                         result::derive_trust_vector(result::EvidenceKind::kTpm, result::Status::kAffirming, {}),
                         t.policy + "@1",
                         {}});
  ear.tee_key = &*jwk;
  ear.tenant_id = t.id;
  ear.host_id = t.host;
  auto token = result::issue_ear(keys_->active(), ear);
  if (!token) return fail("ear: " + token.error().message);
  t.tokens[Who::ear] = *token;

  // A signed checkpoint of the tenant's audit chain as it now stands (what the service's
  // Checkpointer makes in the background): its head hash is one more identifier of the tenant.
  auto heads = store->audit_heads();
  if (!heads) return fail("audit heads: " + heads.error().message);
  for (const auto& h : *heads) {
    if (h.tenant_id != t.id) continue;
    const auto now = rc().now;
    auto jws = service::sign_checkpoint(keys_->active(), {t.id, h.size, h.head, now.time_since_epoch().count()});
    if (!jws) return fail("checkpoint: " + jws.error());
    if (auto c = store->add_audit_checkpoint(t.id, {h.size, h.head, now, *jws}); !c) {
      return fail("checkpoint: " + c.error().message);
    }
    t.checkpoint_head = evidence::to_hex(h.head);
  }
  if (t.checkpoint_head.empty()) return fail("no audit chain for the tenant");

  if (!is_a) {
    // Names A will create for itself: the create routes must not answer 409 for them.
    t.reused_host = random_name("host");
    t.reused_set = random_name("golden");
    t.reused_policy = random_name("policy");
    t.reused_key = random_name("key");
    store::NewHost h;
    h.host_id = t.reused_host;
    h.ak_public = ak;
    h.ak_name.assign(key->name().begin(), key->name().end());
    if (auto c = store->create_host(scope, h, rc()); !c) return fail("host: " + c.error().message);
    if (!store->put_document(scope, store::DocumentKind::reference_set, t.reused_set, reference_set_doc(t.reused_set),
                             rc()) ||
        !store->put_document(scope, store::DocumentKind::policy, t.reused_policy,
                             policy_doc(t.reused_policy, t.reused_set), rc())) {
      return fail("reused documents");
    }
    broker::SecretBytes s(32);
    if (RAND_bytes(s.span().data(), 32) != 1 || !broker_->put(scope, t.reused_key, s, {t.policy}, {}, rc())) {
      return fail("reused key");
    }
  }
}

std::string World::fresh_challenge(const TenantObjects& t, const std::string& host) {
  store::Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) std::abort();
  auto c = store->create_challenge(scope_of(t), host, nonce, rc().now + std::chrono::hours(1), rc());
  if (!c) {
    fail("challenge: " + c.error().message);
    return {};
  }
  return c->id;
}

std::pair<std::string, std::vector<uint8_t>> World::fresh_enrollment(const TenantObjects& t) {
  const auto scope = scope_of(t);
  auto host = store->get_host(scope, t.host);
  if (!host) {
    fail("enrollment host: " + host.error().message);
    return {};
  }
  std::vector<uint8_t> secret(32);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) std::abort();
  store::NewEnrollment e;
  e.secret_sha256 = sha256(secret);
  e.ak_public = host->ak_public;
  e.ak_name = host->ak_name;
  e.expires_at = rc().now + std::chrono::hours(1);
  auto begun = store->begin_enrollment(scope, t.host, e, rc());
  if (!begun) {
    fail("enrollment: " + begun.error().message);
    return {};
  }
  return {begun->id, secret};
}

std::string World::fresh_document(const TenantObjects& t, store::DocumentKind kind) {
  const auto name = random_name(kind == store::DocumentKind::policy ? "policy" : "golden");
  const auto doc = kind == store::DocumentKind::policy ? policy_doc(name, t.reference_set) : reference_set_doc(name);
  if (auto d = store->put_document(scope_of(t), kind, name, doc, rc()); !d) fail("document: " + d.error().message);
  return name;
}

std::string World::fresh_key(const TenantObjects& t) {
  const auto name = random_name("key");
  broker::SecretBytes s(32);
  if (RAND_bytes(s.span().data(), 32) != 1) std::abort();
  if (!broker_->put(scope_of(t), name, s, {t.policy}, {}, rc())) fail("fresh key");
  return name;
}

std::string World::fresh_tenant() {
  const auto name = random_name("tenant-x");
  if (auto t = store->create_tenant(name, "matrix", rc()); !t) fail("tenant: " + t.error().message);
  return name;
}

std::string World::fresh_token(const TenantObjects& t) {
  store::NewToken nt;
  nt.role = store::Role::auditor;
  nt.token_sha256 = service::generate_bearer_token().sha256;
  auto info = store->create_token(t.name, nt, "matrix", rc());
  if (!info) {
    fail("token: " + info.error().message);
    return {};
  }
  return info->id;
}

std::string World::fresh_certificate_pem() {
  return testing::make_certificate(dir_.path(), "fresh-" + std::to_string(++certificates_made_)).pem;
}

std::string World::fresh_certificate(const TenantObjects& t) {
  const auto made = testing::make_certificate(dir_.path(), "fresh-" + std::to_string(++certificates_made_));
  auto reg = client_certificate(made.cert_file);
  if (!reg) {
    fail("fresh certificate: cannot read " + made.cert_file.string());
    return {};
  }
  auto added = store->add_client_certificate(scope_of(t), t.host, *reg, rc());
  if (!added) {
    fail("fresh certificate: " + added.error().message);
    return {};
  }
  return added->id;
}

std::vector<std::string> World::other_tenant_data() const {
  std::vector<std::string> ids = {
      b.host,       b.host2,          b.canary,         b.ak_name_hex,       b.reference_set,
      b.policy,     b.key,            b.key2,           b.challenge,         b.attestation,
      b.attestation_token, b.enrollment, b.root_id,     b.checkpoint_head,   b.certificate_id,
      b.certificate_sha256};
  for (const auto& [who, token] : b.tokens) ids.push_back(token);
  return ids;
}

std::vector<std::string> World::other_tenant_identifiers() const {
  std::vector<std::string> ids = {b.name,
                                  b.id,
                                  b.host,
                                  b.host2,
                                  b.canary,
                                  b.ak_name_hex,
                                  b.reference_set,
                                  b.policy,
                                  b.key,
                                  b.key2,
                                  b.challenge,
                                  b.attestation,
                                  b.attestation_token,
                                  b.enrollment,
                                  b.root_id,
                                  b.checkpoint_head,
                                  b.certificate_id,
                                  b.certificate_sha256};
  ids.insert(ids.end(), b.token_ids.begin(), b.token_ids.end());
  for (const auto& [who, token] : b.tokens) ids.push_back(token);
  return ids;
}

// The host's certificate and no token, over attestd's own HTTPS client (which verifies the
// server against its self-signed certificate and presents the client certificate).
HttpResponse World::send_with_certificate(const TenantObjects& t, const Call& call) {
  auto& client = cert_clients_[t.name];
  if (!client) {
    auto tls = std::make_unique<client::TlsConfig>(server::test::test_config(dir_.path()).tls_certificate.string());
    tls->use_client_certificate(t.certificate_file.string(), t.certificate_key.string());
    client = std::make_unique<client::HttpsClient>(client::Url{"127.0.0.1", std::to_string(server_->port())}, *tls);
    cert_tls_[t.name] = std::move(tls);
  }
  const auto method = server::to_string(call.method);
  const std::string body = call.body ? call.body->dump() : std::string();
  sent_ += call.target + "\n" + body + "\n";
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      auto r = client->request(method, call.target, body, "");
      HttpResponse out;
      out.status = static_cast<int>(r.status);
      out.headers = std::move(r.headers);
      out.body = std::move(r.body);
      return out;
    } catch (const std::exception&) {
      // The server closed the kept-alive connection: the client reconnects on the next call.
    }
  }
  ADD_FAILURE() << method << " " << call.target << ": no answer";
  return {};
}

HttpResponse World::send_as(const TenantObjects& t, Who who, const Call& call) {
  if (who == Who::host_certificate) return send_with_certificate(t, call);
  std::vector<std::pair<std::string, std::string>> headers;
  std::string token;
  if (who == Who::operator_) {
    token = operator_token;
  } else if (who == Who::bad_token) {
    token = service::generate_bearer_token().token;  // well formed, never stored
  } else if (who != Who::no_token) {
    token = t.tokens.at(who);
  }
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  std::string body;
  if (call.body) {
    headers.emplace_back("Content-Type", "application/json");
    body = call.body->dump();
  }
  const auto method = server::to_string(call.method);
  sent_ += call.target + "\n" + body + "\n";
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!client_) {
      auto c = server::test::TlsClient::connect(server_->port());
      if (!c) {
        ADD_FAILURE() << "connect: " << c.error();
        return {};
      }
      client_.emplace(std::move(*c));
    }
    auto r = client_->request(method, call.target, headers, body);
    if (!r) {
      // The server closed the kept-alive connection (after a refusal, or idle): once more anew.
      client_.reset();
      continue;
    }
    if (r->header("connection") == "close") client_.reset();
    return std::move(*r);
  }
  ADD_FAILURE() << method << " " << call.target << ": no answer";
  return {};
}

}  // namespace attestd::access_test
