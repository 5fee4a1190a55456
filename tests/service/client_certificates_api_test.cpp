// Issue 8, client certificates as host credentials, through the service's own route table and
// router (make_api + Router::dispatch) on a real SQLite file, with certificates the openssl tool
// makes at test time and a clock the test moves. Registration refusals (each reason id), listing,
// revocation and their audit rows; then requests that carry a presented certificate's SHA-256 as
// the TLS session would (tests/e2e/client_certificate_e2e_test.py does it over real TLS): an
// attester of exactly its host, refused as unknown, revoked or expired, and never over a token.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>

#include "attestd/evidence/digest.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/config.h"
#include "attestd/server/router.h"
#include "attestd/service/service.h"
#include "api_router_fixture.h"
#include "test_certificates.h"

namespace attestd::service {
namespace {

using nlohmann::json;
using server::Method;
using store::testing::ctx_at;
using testing::kP256;
using testing::make_certificate;
using testing::openssl_fingerprint;
using testing::TestCertificate;

class ClientCertificatesApiTest : public testing::ApiRouterTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ServiceOptions options;
    options.auth_limits.burst = 1000;  // AuthFailuresAreChargedAndAudited sets its own
    build(options);
    admin_ = token_in("acme", store::Role::admin);
    other_admin_ = token_in("globex", store::Role::admin);
    host("acme", "web-1");
    host("acme", "web-2");
    host("globex", "web-1");
  }
  std::string token_in(const std::string& tenant_name, store::Role role) {
    const auto t = generate_bearer_token();
    store::NewToken nt;
    nt.role = role;
    nt.token_sha256 = t.sha256;
    const store::RequestContext rc{now(), "setup", ""};
    if (!store_->find_tenant(tenant_name)) {
      EXPECT_TRUE(store_->create_tenant(tenant_name, "setup", rc));
    }
    auto info = store_->create_token(tenant_name, nt, "setup", rc);
    EXPECT_TRUE(info) << info.error().message;
    auto cred = store_->authenticate(t.sha256, now());
    EXPECT_TRUE(cred);
    scopes_.insert_or_assign(tenant_name, *cred->scope);
    return t.token;
  }

  void host(const std::string& tenant_name, const std::string& id) {
    auto h = store_->create_host(scopes_.at(tenant_name), StoreTest::host(id), {now(), "setup", ""});
    ASSERT_TRUE(h) << h.error().message;
  }

  // What the TLS session puts on the request for a presented certificate.
  static server::PeerCertificate presented(const TestCertificate& c) {
    server::PeerCertificate p;
    const auto hex = openssl_fingerprint(c);
    for (size_t i = 0; i < p.der_sha256.size(); ++i) {
      p.der_sha256[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    return p;
  }

  server::Response call(Method method, std::string path, const std::string& token, const std::optional<json>& body = {},
                        std::optional<server::PeerCertificate> cert = {}, std::string client = "192.0.2.1") {
    server::Request r;
    r.method = method;
    r.target = path;
    r.path = path.substr(0, path.find('?'));
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    if (body) {
      r.body = body->dump();
      r.content_type = "application/json";
    }
    r.client_address = std::move(client);
    r.client_certificate = cert;
    r.request_id = "req-" + std::to_string(++request_counter_);
    return router_->dispatch(r);
  }
  server::Response register_cert(const std::string& token, const std::string& host_id, const std::string& pem) {
    return call(Method::post, "/v1/hosts/" + host_id + "/certificates", token, json{{"certificate", pem}});
  }
  server::Response challenge_as(const TestCertificate& c, const std::string& host_id, const std::string& token = "") {
    return call(Method::post, "/v1/challenges", token, json{{"host_id", host_id}}, presented(c));
  }

  static std::string reason(const server::Response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("reasons") || j["reasons"].empty()) return "(no reason) " + r.body;
    return j["reasons"][0].value("id", "");
  }
  static json body(const server::Response& r) { return json::parse(r.body, nullptr, false); }

  std::vector<store::AuditRecord> tenant_audit(const std::string& tenant_name, const std::string& action) {
    store::AuditQuery q;
    q.action = action;
    auto rows = store_->list_audit(scopes_.at(tenant_name), q);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::AuditRecord>{};
  }
  std::vector<store::AuditRecord> auth_failures() {
    std::vector<store::AuditRecord> out;
    auto rows = store_->export_system_audit(0, 10000);
    EXPECT_TRUE(rows);
    for (const auto& r : *rows) {
      if (r.action == "auth.failure") out.push_back(r);
    }
    return out;
  }

  TestCertificate cert(const std::string& name, const std::string& newkey = kP256, bool ca = false, int days = 2) {
    return make_certificate(dir_.path(), name, newkey, ca, days);
  }

  std::map<std::string, store::TenantScope> scopes_;
  std::string admin_;
  std::string other_admin_;
};

// The certificates are made with the real clock (notBefore = when openssl ran, in whole seconds);
// the test's clock starts a minute after the fixture is built, so that every certificate a test
// makes during its first minute is already valid, and none is expired before the test moves it.
class ClientCertificatesApi : public ClientCertificatesApiTest {
 protected:
  ClientCertificatesApi() {
    const auto start = std::chrono::system_clock::now() + std::chrono::minutes(1);
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
  }
};

TEST_F(ClientCertificatesApi, AdminRegistersListsAndRevokesWithAuditRows) {
  const auto c = cert("web-1");
  const auto r = register_cert(admin_, "web-1", c.pem);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto j = body(r);
  EXPECT_EQ(j["host_id"], "web-1");
  EXPECT_EQ(j["sha256"], openssl_fingerprint(c)) << "the SHA-256 of the DER, as openssl computes it";
  EXPECT_EQ(j["certificate_id"].get<std::string>().size(), 32U);
  EXPECT_TRUE(j["revoked_at"].is_null());
  for (const char* k : {"not_before", "not_after", "created_at"}) EXPECT_TRUE(j[k].is_string()) << k;
  const std::string id = j["certificate_id"];

  const auto list = call(Method::get, "/v1/hosts/web-1/certificates", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(body(list)["certificates"].size(), 1U);
  EXPECT_EQ(body(list)["certificates"][0], j);
  // Another host of the tenant has none.
  EXPECT_TRUE(body(call(Method::get, "/v1/hosts/web-2/certificates", admin_))["certificates"].empty());

  advance(std::chrono::seconds(5));
  const auto del = call(Method::delete_, "/v1/hosts/web-1/certificates/" + id, admin_);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_TRUE(body(del)["revoked_at"].is_string());
  const auto listed = body(call(Method::get, "/v1/hosts/web-1/certificates", admin_));
  EXPECT_TRUE(listed["certificates"][0]["revoked_at"].is_string()) << listed;

  const auto adds = tenant_audit("acme", "host.certificate.add");
  ASSERT_EQ(adds.size(), 1U);
  EXPECT_EQ(adds[0].object, "host:web-1");
  EXPECT_EQ(adds[0].details["certificate_id"], id);
  EXPECT_EQ(adds[0].details["sha256"], openssl_fingerprint(c));
  EXPECT_EQ(adds[0].request_id, "req-1");
  const auto revokes = tenant_audit("acme", "host.certificate.revoke");
  ASSERT_EQ(revokes.size(), 1U);
  EXPECT_EQ(revokes[0].details["certificate_id"], id);
  EXPECT_TRUE(tenant_audit("globex", "host.certificate.add").empty());
}

TEST_F(ClientCertificatesApi, RegistrationRefusesWhatIsNoGoodCredentialWithItsReason) {
  const auto ec_key = cert("key-only");
  const struct {
    std::string what;
    std::string pem;
    std::string reason;
  } cases[] = {
      {"not PEM at all", "hello", "host.certificate.invalid"},
      {"a private key", testing::read_text(ec_key.key_file), "host.certificate.invalid"},
      {"a certificate chain", cert("a").pem + cert("b").pem, "host.certificate.invalid"},
      {"a CA certificate", cert("ca", kP256, true).pem, "host.certificate.ca"},
      {"RSA 1024", cert("rsa1024", "-newkey rsa:1024").pem, "host.certificate.weak_key"},
      {"EC P-521", cert("p521", "-newkey ec -pkeyopt ec_paramgen_curve:P-521").pem, "host.certificate.weak_key"},
      {"EC secp256k1", cert("k1", "-newkey ec -pkeyopt ec_paramgen_curve:secp256k1").pem, "host.certificate.weak_key"},
      {"Ed25519", cert("ed", "-newkey ed25519").pem, "host.certificate.weak_key"},
  };
  for (const auto& c : cases) {
    const auto r = register_cert(admin_, "web-1", c.pem);
    EXPECT_EQ(r.status, 422) << c.what << ": " << r.body;
    EXPECT_EQ(reason(r), c.reason) << c.what;
  }
  // Strong keys pass: RSA 2048, P-256, P-384.
  for (const auto& [name, newkey] : {std::pair{"rsa2048", "-newkey rsa:2048"}, std::pair{"p256", kP256},
                                     std::pair{"p384", "-newkey ec -pkeyopt ec_paramgen_curve:P-384"}}) {
    const auto r = register_cert(admin_, "web-1", cert(name, newkey).pem);
    EXPECT_EQ(r.status, 201) << name << ": " << r.body;
  }
  // Expired: valid for one day, registered two days later.
  const auto short_lived = cert("short", kP256, false, 1);
  advance(std::chrono::hours(48));
  const auto r = register_cert(admin_, "web-1", short_lived.pem);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(reason(r), "host.certificate.expired");
  EXPECT_EQ(tenant_audit("acme", "host.certificate.add").size(), 3U) << "refusals are not registrations";
  // The body is {certificate} and nothing else.
  const auto extra = call(Method::post, "/v1/hosts/web-1/certificates", admin_,
                          json{{"certificate", cert("x").pem}, {"host_id", "web-2"}});
  EXPECT_EQ(extra.status, 400) << extra.body;
}

TEST_F(ClientCertificatesApi, ACertificateRegisteredAnywhereConflictsWithoutNamingWhere) {
  const auto c = cert("shared");
  ASSERT_EQ(register_cert(other_admin_, "web-1", c.pem).status, 201);
  const auto mine = register_cert(admin_, "web-1", c.pem);
  EXPECT_EQ(mine.status, 409) << mine.body;
  EXPECT_EQ(reason(mine), "host.certificate.registered");
  EXPECT_EQ(mine.body.find("globex"), std::string::npos) << mine.body;
  EXPECT_EQ(mine.body.find(scopes_.at("globex").tenant_id()), std::string::npos) << mine.body;
  // The same answer as registering one's own certificate twice, but for the request id.
  const auto own = cert("own");
  ASSERT_EQ(register_cert(admin_, "web-2", own.pem).status, 201);
  const auto twice = register_cert(admin_, "web-2", own.pem);
  EXPECT_EQ(twice.status, 409);
  auto a = body(mine);
  auto b = body(twice);
  for (auto* j : {&a, &b}) j->erase("request_id"), j->erase("instance");
  EXPECT_EQ(a, b);
}

TEST_F(ClientCertificatesApi, AnotherTenantsHostAnswersLikeAMissingOneOnEveryRoute) {
  const auto theirs = body(register_cert(other_admin_, "web-1", cert("theirs").pem));
  const std::string their_id = theirs["certificate_id"];
  // acme has a web-1 too; the other tenant's certificate id under it is a missing certificate.
  for (const auto& [host_id, cid] : {std::pair<std::string, std::string>{"web-9", their_id}}) {
    const auto post = register_cert(admin_, host_id, cert("p").pem);
    EXPECT_EQ(post.status, 404);
    EXPECT_EQ(reason(post), "api.not_found");
    EXPECT_EQ(call(Method::get, "/v1/hosts/" + host_id + "/certificates", admin_).status, 404);
    EXPECT_EQ(call(Method::delete_, "/v1/hosts/" + host_id + "/certificates/" + cid, admin_).status, 404);
  }
  const auto del = call(Method::delete_, "/v1/hosts/web-1/certificates/" + their_id, admin_);
  EXPECT_EQ(del.status, 404) << del.body;
  EXPECT_EQ(reason(del), "api.not_found");
  // Untouched.
  EXPECT_TRUE(body(call(Method::get, "/v1/hosts/web-1/certificates", other_admin_))["certificates"][0]["revoked_at"]
                  .is_null());
}

TEST_F(ClientCertificatesApi, OnlyTheAdminManagesCertificates) {
  const auto c = cert("c");
  for (auto role : {store::Role::attester, store::Role::workload, store::Role::auditor}) {
    const auto token = token_in("acme", role);
    EXPECT_EQ(register_cert(token, "web-1", c.pem).status, 403);
    EXPECT_EQ(reason(call(Method::get, "/v1/hosts/web-1/certificates", token)), "auth.role.forbidden");
  }
}

TEST_F(ClientCertificatesApi, ARegisteredCertificateIsAnAttesterOfExactlyItsHost) {
  const auto c = cert("web-1");
  ASSERT_EQ(register_cert(admin_, "web-1", c.pem).status, 201);
  const auto own = challenge_as(c, "web-1");
  EXPECT_EQ(own.status, 201) << own.body;
  // Another host of the same tenant, and the other tenant's host of the same name: not found.
  const auto other_host = challenge_as(c, "web-2");
  EXPECT_EQ(other_host.status, 404) << other_host.body;
  EXPECT_EQ(reason(other_host), "api.not_found");
  // Admin and auditor routes: forbidden.
  for (const auto& path : {"/v1/hosts", "/v1/audit"}) {
    const auto r = call(Method::get, path, "", {}, presented(c));
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(reason(r), "auth.role.forbidden") << path;
  }
  EXPECT_EQ(call(Method::post, "/v1/hosts/web-1/certificates", "", json{{"certificate", cert("y").pem}}, presented(c))
                .status,
            403);
  // The challenge really is web-1's, in acme.
  const auto id = body(own)["challenge_id"].get<std::string>();
  EXPECT_TRUE(store_->get_challenge(scopes_.at("acme"), id, "web-1"));
}

TEST_F(ClientCertificatesApi, UnknownRevokedAndExpiredCertificatesAreRefusedWithTheirReasons) {
  const auto unknown = challenge_as(cert("stranger"), "web-1");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(reason(unknown), "auth.certificate.unknown");

  const auto c = cert("web-1", kP256, false, 1);
  const auto id = body(register_cert(admin_, "web-1", c.pem))["certificate_id"].get<std::string>();
  ASSERT_EQ(challenge_as(c, "web-1").status, 201);
  // Past its notAfter (one day): refused at this request's time although it was just used.
  advance(std::chrono::hours(25));
  const auto expired = challenge_as(c, "web-1");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(reason(expired), "auth.certificate.expired");
  advance(-std::chrono::hours(25));
  ASSERT_EQ(challenge_as(c, "web-1").status, 201);

  ASSERT_EQ(call(Method::delete_, "/v1/hosts/web-1/certificates/" + id, admin_).status, 200);
  const auto revoked = challenge_as(c, "web-1");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(reason(revoked), "auth.certificate.revoked");
}

TEST_F(ClientCertificatesApi, WithAnAuthorizationHeaderTheTokenDecides) {
  const auto c = cert("web-1");
  ASSERT_EQ(register_cert(admin_, "web-1", c.pem).status, 201);
  // An admin token beside the host's certificate: an admin.
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_, {}, presented(c)).status, 200);
  // A bad token beside a good certificate: refused as the bad token it is.
  const auto bad = challenge_as(c, "web-1", generate_bearer_token().token);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(reason(bad), "auth.token.invalid");
  // Another tenant's admin token beside web-1's certificate: judged as that admin, whom the
  // challenge route does not admit, not as web-1's attester.
  const auto other_tenant = challenge_as(c, "web-1", other_admin_);
  EXPECT_EQ(other_tenant.status, 403) << "globex's admin token is no attester";
  // A malformed Authorization is still Authorization: no falling back to the certificate.
  server::Request r;
  r.method = Method::post;
  r.target = r.path = "/v1/challenges";
  r.headers.emplace_back("authorization", "Basic abc");
  r.body = json{{"host_id", "web-1"}}.dump();
  r.content_type = "application/json";
  r.client_address = "192.0.2.1";
  r.client_certificate = presented(c);
  r.request_id = "req-basic";
  const auto basic = router_->dispatch(r);
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(reason(basic), "auth.token.missing");
}

TEST_F(ClientCertificatesApi, FailuresAreChargedToTheAddressAndAudited) {
  ServiceOptions options;
  options.auth_limits.burst = 3;
  options.auth_limits.failures_per_minute = 60;
  build(options);
  const auto stranger = cert("stranger");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(challenge_as(stranger, "web-1").status, 401);
  const auto limited = challenge_as(stranger, "web-1");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(reason(limited), "auth.rate_limited");
  const auto rows = auth_failures();
  ASSERT_EQ(rows.size(), 3U);
  for (const auto& row : rows) {
    EXPECT_EQ(row.details["reason"], "auth.certificate.unknown");
    EXPECT_EQ(row.client_address, "192.0.2.1");
  }
}

// tls.client_certificates (verifier/CONFIG.md): asked for by default, "off" stops asking, and
// anything else is a configuration error naming the key.
TEST(ClientCertificatesConfig, OptionalByDefaultOffOnRequestAnythingElseIsAnError) {
  EXPECT_TRUE(server::Config{}.request_client_certificates);
  auto optional = server::parse_config(R"({"tls": {"client_certificates": "optional"}})");
  ASSERT_TRUE(optional) << optional.error();
  EXPECT_TRUE(optional->request_client_certificates);
  auto off = server::parse_config(R"({"tls": {"client_certificates": "off"}})");
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->request_client_certificates);
  for (const char* bad : {R"("required")", R"("")", "true", "1", "null"}) {
    auto r = server::parse_config(std::string(R"({"tls": {"client_certificates": )") + bad + "}}");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("tls.client_certificates"), std::string::npos) << r.error();
  }
}

}  // namespace
}  // namespace attestd::service
