// Issue 8, driven through the service's own route table and router (make_api + Router::dispatch)
// on a real SQLite file with a clock the test moves: revocation and expiry take effect on the very
// next request (also when another store instance, as another process would, revokes); the
// operator's tenant and token routes; host restrictions answering exactly like missing hosts; and
// authentication failures rate-limited per client address with bounded auditing.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include <atomic>

#include "attestd/result/signing_key.h"
#include "attestd/server/router.h"
#include "attestd/service/service.h"
#include "api_router_fixture.h"
#include "token_auth.h"

namespace attestd::service {
namespace {

using nlohmann::json;
using store::testing::ctx_at;

class TenancyApiTest : public testing::ApiRouterTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    build(ServiceOptions{});
    // Bootstrap as `attestctl --data-dir DIR token create --role operator` does.
    op_token_ = token_in(std::nullopt, store::Role::operator_);
  }
  // A token stored directly (as offline bootstrap does); returns the plaintext.
  std::string token_in(std::optional<std::string> tenant_name, store::Role role,
                       std::optional<std::vector<std::string>> hosts = {},
                       std::optional<store::Timestamp> expires = {}) {
    const auto t = generate_bearer_token();
    store::NewToken nt;
    nt.role = role;
    nt.token_sha256 = t.sha256;
    nt.allowed_hosts = std::move(hosts);
    nt.expires_at = expires;
    const store::RequestContext rc{now(), "setup", ""};
    if (tenant_name && !store_->find_tenant(*tenant_name)) {
      EXPECT_TRUE(store_->create_tenant(*tenant_name, "setup", rc));
    }
    auto info = tenant_name ? store_->create_token(*tenant_name, nt, "setup", rc)
                            : store_->create_operator_token(nt, "setup", rc);
    EXPECT_TRUE(info) << info.error().message;
    return t.token;
  }

  server::Response call(server::Method method, std::string path, const std::string& token,
                        const std::optional<json>& body = {}, std::string client = "192.0.2.1") {
    server::Request r;
    r.method = method;
    r.target = path;
    r.path = path.substr(0, path.find('?'));
    if (auto q = path.find('?'); q != std::string::npos) {
      std::string p;
      server::split_target(path, p, r.query);
    }
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    if (body) {
      r.body = body->dump();
      r.content_type = "application/json";
    }
    r.client_address = std::move(client);
    r.request_id = "req-" + std::to_string(++request_counter_);
    return router_->dispatch(r);
  }

  static std::string reason(const server::Response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("reasons") || j["reasons"].empty()) return "(no reason) " + r.body;
    return j["reasons"][0].value("id", "");
  }
  static json body(const server::Response& r) { return json::parse(r.body, nullptr, false); }

  std::vector<store::AuditRecord> system_audit() {
    auto rows = store_->export_system_audit(0, 10000);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::AuditRecord>{};
  }
  int64_t count_system(std::string_view action) {
    int64_t n = 0;
    for (const auto& r : system_audit()) n += r.action == action ? 1 : 0;
    return n;
  }

  std::string op_token_;
};

using server::Method;

// ---- revocation and expiry ----

TEST_F(TenancyApiTest, TokenRevokedThroughTheApiIsRefusedOnTheNextRequest) {
  const auto admin = token_in("acme", store::Role::admin);
  ASSERT_EQ(call(Method::get, "/v1/hosts", admin).status, 200);
  auto listed = call(Method::get, "/v1/tokens?tenant=acme", op_token_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(body(listed)["tokens"].size(), 1U);
  const std::string id = body(listed)["tokens"][0]["id"];
  auto revoked = call(Method::delete_, "/v1/tokens/" + id, op_token_);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(body(revoked)["revoked_at"].is_string());
  const auto after = call(Method::get, "/v1/hosts", admin);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason(after), "auth.token.revoked");
}

TEST_F(TenancyApiTest, TokenRevokedByAnotherStoreOnTheSameFileIsRefusedOnTheNextRequest) {
  const auto admin = token_in("acme", store::Role::admin);
  ASSERT_EQ(call(Method::get, "/v1/hosts", admin).status, 200);
  // A second store on the same database file: its own connections and writer, as the offline
  // `attestctl --data-dir` process has while the server runs.
  auto other = store::Store::open(db_path());
  ASSERT_TRUE(other) << other.error().message;
  auto tokens = (*other)->list_tokens("acme");
  ASSERT_TRUE(tokens);
  ASSERT_TRUE((*other)->revoke_token(tokens->front().id, "attestctl", {now(), "offline", ""}));
  const auto after = call(Method::get, "/v1/hosts", admin);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason(after), "auth.token.revoked");
}

TEST_F(TenancyApiTest, TokenIsRefusedFromItsExpiryInstantOnAlthoughItWasJustUsed) {
  const auto admin = token_in("acme", store::Role::admin, {}, now() + std::chrono::seconds(2));
  advance(std::chrono::milliseconds(1999));
  ASSERT_EQ(call(Method::get, "/v1/hosts", admin).status, 200);
  advance(std::chrono::milliseconds(1));
  const auto after = call(Method::get, "/v1/hosts", admin);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason(after), "auth.token.expired");
  EXPECT_NE(after.header("WWW-Authenticate").find("invalid_token"), std::string_view::npos);
}

TEST_F(TenancyApiTest, TokenCreatedWithExpiresInThroughTheApiExpiresThen) {
  ASSERT_EQ(call(Method::post, "/v1/tenants", op_token_, json{{"name", "acme"}}).status, 201);
  auto created =
      call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "acme"}, {"role", "admin"}, {"expires_in_s", 60}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token = body(created)["token"];
  EXPECT_EQ(call(Method::get, "/v1/hosts", token).status, 200);
  advance(std::chrono::seconds(60));
  const auto after = call(Method::get, "/v1/hosts", token);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason(after), "auth.token.expired");
}

// ---- operator routes ----

TEST_F(TenancyApiTest, OperatorCreatesListsAndDeletesTenantsAndIsAudited) {
  auto created = call(Method::post, "/v1/tenants", op_token_, json{{"name", "acme"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body(created)["name"], "acme");
  EXPECT_EQ(body(created)["id"].get<std::string>().size(), 32U);
  const auto dup = call(Method::post, "/v1/tenants", op_token_, json{{"name", "acme"}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(reason(dup), "api.conflict");
  const auto bad = call(Method::post, "/v1/tenants", op_token_, json{{"name", "../etc"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(reason(bad), "api.invalid_argument");
  ASSERT_EQ(call(Method::post, "/v1/tenants", op_token_, json{{"name", "globex"}}).status, 201);
  auto list = call(Method::get, "/v1/tenants", op_token_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(body(list)["tenants"].size(), 2U);
  EXPECT_EQ(body(list)["tenants"][0]["name"], "acme");
  auto deleted = call(Method::delete_, "/v1/tenants/globex", op_token_);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(body(deleted)["deleted"], true);
  const auto missing = call(Method::delete_, "/v1/tenants/globex", op_token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(reason(missing), "api.not_found");
  EXPECT_EQ(body(missing)["detail"], "no such tenant");
  EXPECT_EQ(body(call(Method::get, "/v1/tenants", op_token_))["tenants"].size(), 1U);

  // The operator's actions are in the service's chain under the operator token's id.
  std::vector<std::string> actions;
  std::string actor;
  for (const auto& r : system_audit()) {
    if (r.action.starts_with("tenant.")) {
      actions.push_back(r.action + " " + r.object);
      actor = r.actor;
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"tenant.create tenant:acme", "tenant.create tenant:globex",
                                               "tenant.delete tenant:globex"}));
  EXPECT_EQ(actor.size(), 32U) << "the operator token id is the actor";
}

TEST_F(TenancyApiTest, OperatorRoutesAdmitNoTenantRoleAndTenantRoutesAdmitNoOperator) {
  for (auto role : {store::Role::admin, store::Role::attester, store::Role::workload, store::Role::auditor}) {
    const auto t = token_in("acme", role);
    for (auto [m, p] : {std::pair{Method::get, "/v1/tenants"},
                        {Method::post, "/v1/tenants"},
                        {Method::delete_, "/v1/tenants/acme"},
                        {Method::get, "/v1/tokens?tenant=acme"},
                        {Method::post, "/v1/tokens"},
                        {Method::delete_, "/v1/tokens/x"}}) {
      const auto r = call(m, p, t, json::object());
      EXPECT_EQ(r.status, 403) << p << " as " << store::to_string(role);
      EXPECT_EQ(reason(r), "auth.role.forbidden");
    }
  }
  for (auto p : {"/v1/hosts", "/v1/keys", "/v1/audit", "/v1/policies"}) {
    const auto r = call(Method::get, p, op_token_);
    EXPECT_EQ(r.status, 403) << p;
    EXPECT_EQ(reason(r), "auth.role.forbidden") << p;
  }
}

TEST_F(TenancyApiTest, TokensAreShownOnceAndListedWithoutSecrets) {
  ASSERT_EQ(call(Method::post, "/v1/tenants", op_token_, json{{"name", "acme"}}).status, 201);
  auto created = call(Method::post, "/v1/tokens", op_token_,
                      json{{"tenant", "acme"}, {"role", "attester"}, {"hosts", {"web-1", "web-2"}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto c = body(created);
  const std::string token = c["token"];
  EXPECT_EQ(token.size(), 43U);  // 256 bits, base64url without padding
  EXPECT_EQ(c["hosts"], json({"web-1", "web-2"}));
  EXPECT_TRUE(c["keys"].is_null());
  auto list = call(Method::get, "/v1/tokens?tenant=acme", op_token_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  // Named: a range-for over body(list)["tokens"] would iterate a destroyed temporary (ASan found it).
  const json listed = body(list);
  ASSERT_FALSE(listed["tokens"].empty());
  for (const auto& t : listed["tokens"]) {
    EXPECT_FALSE(t.contains("token"));
    EXPECT_FALSE(t.contains("token_sha256"));
  }
  EXPECT_EQ(listed["tokens"][0]["id"], c["id"]);
  // Neither chain holds the token.
  for (const auto& r : system_audit()) EXPECT_EQ(r.details_text.find(token), std::string::npos);
}

TEST_F(TenancyApiTest, TokenCreationRefusesRestrictionsOfTheWrongRoleAndMissingTenants) {
  ASSERT_EQ(call(Method::post, "/v1/tenants", op_token_, json{{"name", "acme"}}).status, 201);
  const auto keys_on_attester =
      call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "acme"}, {"role", "attester"}, {"keys", {"k"}}});
  EXPECT_EQ(keys_on_attester.status, 400);
  EXPECT_EQ(reason(keys_on_attester), "api.invalid_argument");
  const auto hosts_on_admin =
      call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "acme"}, {"role", "admin"}, {"hosts", {"h"}}});
  EXPECT_EQ(hosts_on_admin.status, 400);
  EXPECT_EQ(reason(hosts_on_admin), "api.invalid_argument");
  const auto no_tenant = call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "nope"}, {"role", "admin"}});
  EXPECT_EQ(no_tenant.status, 404);
  EXPECT_EQ(body(no_tenant)["detail"], "no such tenant");
  const auto op_with_tenant =
      call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "acme"}, {"role", "operator"}});
  EXPECT_EQ(op_with_tenant.status, 400);
  const auto unknown_member =
      call(Method::post, "/v1/tokens", op_token_, json{{"tenant", "acme"}, {"role", "admin"}, {"tenant_id", "x"}});
  EXPECT_EQ(unknown_member.status, 400);
  const auto missing = call(Method::delete_, "/v1/tokens/00000000000000000000000000000000", op_token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body(missing)["detail"], "no such token");
  auto op = call(Method::post, "/v1/tokens", op_token_, json{{"role", "operator"}});
  ASSERT_EQ(op.status, 201) << op.body;
  EXPECT_EQ(call(Method::get, "/v1/tenants", body(op)["token"].get<std::string>()).status, 200);
}

TEST_F(TenancyApiTest, DeletingATenantStopsItsTokensAtOnceAndLeavesOthersAlone) {
  const auto acme_admin = token_in("acme", store::Role::admin);
  const auto globex_admin = token_in("globex", store::Role::admin);
  ASSERT_EQ(call(Method::get, "/v1/hosts", acme_admin).status, 200);
  ASSERT_EQ(call(Method::delete_, "/v1/tenants/acme", op_token_).status, 200);
  const auto after = call(Method::get, "/v1/hosts", acme_admin);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason(after), "auth.token.invalid");
  EXPECT_EQ(call(Method::get, "/v1/hosts", globex_admin).status, 200);
}

// ---- restrictions ----

class RestrictedAttesterTest : public TenancyApiTest {
 protected:
  void SetUp() override {
    TenancyApiTest::SetUp();
    auto acme = tenant("acme");
    for (const char* h : {"web-1", "web-2"}) ASSERT_TRUE(store_->create_host(acme, host(h), ctx_at(0)));
    // Another tenant's host of the same id as the allowed one must not matter either.
    auto globex = tenant("globex");
    ASSERT_TRUE(store_->create_host(globex, host("web-2"), ctx_at(0)));
    restricted_ = token_in("acme", store::Role::attester, std::vector<std::string>{"web-1"});
    unrestricted_ = token_in("acme", store::Role::attester);
  }

  // The same status, reason and detail (the request id differs by design).
  static void expect_same_answer(const server::Response& a, const server::Response& b) {
    EXPECT_EQ(a.status, b.status);
    auto ja = body(a);
    auto jb = body(b);
    ja.erase("request_id");
    jb.erase("request_id");
    EXPECT_EQ(ja, jb);
  }

  std::string restricted_;
  std::string unrestricted_;
};

TEST_F(RestrictedAttesterTest, ChallengeForAnotherHostAnswersAsForAMissingHost) {
  EXPECT_EQ(call(Method::post, "/v1/challenges", restricted_, json{{"host_id", "web-1"}}).status, 201);
  const auto other = call(Method::post, "/v1/challenges", restricted_, json{{"host_id", "web-2"}});
  const auto missing = call(Method::post, "/v1/challenges", unrestricted_, json{{"host_id", "no-such-host"}});
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(reason(other), "api.not_found");
  expect_same_answer(other, missing);
  // The unrestricted attester of the same tenant does get a challenge for web-2.
  EXPECT_EQ(call(Method::post, "/v1/challenges", unrestricted_, json{{"host_id", "web-2"}}).status, 201);
}

TEST_F(RestrictedAttesterTest, AttestationForAnotherHostAnswersAsForAMissingHost) {
  const json other_body = {{"challenge_id", "c1"}, {"host_id", "web-2"}};
  const json missing_body = {{"challenge_id", "c1"}, {"host_id", "no-such-host"}};
  const auto other = call(Method::post, "/v1/attestations", restricted_, other_body);
  const auto missing = call(Method::post, "/v1/attestations", unrestricted_, missing_body);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(reason(other), "api.not_found");
  expect_same_answer(other, missing);
}

TEST_F(RestrictedAttesterTest, EnrollmentOfAnotherHostAnswersAsForAMissingHost) {
  const auto other = call(Method::post, "/v1/hosts/web-2/enrollment", restricted_, json::object());
  const auto missing = call(Method::post, "/v1/hosts/no-such-host/enrollment", restricted_, json::object());
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(reason(other), "api.not_found");
  EXPECT_EQ(body(other)["detail"], "no such host");
  expect_same_answer(other, missing);
  // The allowed host gets past the restriction to the body checks.
  EXPECT_EQ(call(Method::post, "/v1/hosts/web-1/enrollment", restricted_, json::object()).status, 400);
}

TEST_F(RestrictedAttesterTest, ActivationForAnotherHostAnswersAsForAMissingEnrollment) {
  // A real pending enrollment of web-2 whose secret the restricted attester knows: only the
  // restriction stands between it and a trusted AK on a host it may not act for.
  const std::string secret_b64 = "c2VjcmV0LW9mLXdlYi0y";  // "secret-of-web-2"
  const std::string secret = "secret-of-web-2";
  store::NewEnrollment e;
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), e.secret_sha256.data());
  e.ak_public = {0x00, 0x01, 0x02};
  e.ak_name = {0x00, 0x0b, 0xbb};
  e.expires_at = now() + std::chrono::minutes(10);
  auto acme = tenant("acme");
  auto enrollment = store_->begin_enrollment(acme, "web-2", e, {now(), "setup", ""});
  ASSERT_TRUE(enrollment) << enrollment.error().message;
  const json body_json = {{"secret", secret_b64}};
  const auto other =
      call(Method::post, "/v1/hosts/web-2/enrollment/" + enrollment->id + "/activate", restricted_, body_json);
  const auto missing =
      call(Method::post, "/v1/hosts/no-such-host/enrollment/" + enrollment->id + "/activate", unrestricted_, body_json);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(reason(other), "api.not_found");
  expect_same_answer(other, missing);
  EXPECT_FALSE(store_->get_host(acme, "web-2")->trusted);
  // The enrollment was real: the unrestricted attester activates it with the same body.
  EXPECT_EQ(call(Method::post, "/v1/hosts/web-2/enrollment/" + enrollment->id + "/activate", unrestricted_, body_json)
                .status,
            200);
}

// The check itself, where the route handlers cannot mask it (challenges and attestations also
// refuse other hosts in their handlers, from before the check was central): a body naming
// another host, and a workload restricted to keys naming another key.
TEST_F(RestrictedAttesterTest, ScopeOfARestrictedCredentialRefusesAnyOtherNamedHostOrKey) {
  TokenAuthenticator auth(shared_store_, [this] { return std::chrono::system_clock::time_point(now()); });
  const auto scoped = [&](const std::string& token, std::string_view pattern, server::Fields params,
                          const std::string& body) {
    server::Request r;
    r.method = Method::post;
    r.route_pattern = pattern;
    r.path_params = std::move(params);
    r.headers = {{"authorization", "Bearer " + token}};
    r.body = body;
    r.content_type = "application/json";
    r.request_id = "req-x";
    EXPECT_TRUE(auth.authenticate(r));
    return auth.scope_for(r);
  };
  auto other = scoped(restricted_, "/v1/challenges", {}, R"({"host_id":"web-2"})");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().status, 404);
  EXPECT_EQ(other.error().detail, "no such host");
  EXPECT_TRUE(scoped(restricted_, "/v1/challenges", {}, R"({"host_id":"web-1"})"));
  EXPECT_TRUE(scoped(unrestricted_, "/v1/challenges", {}, R"({"host_id":"web-2"})"));
  EXPECT_FALSE(scoped(restricted_, "/v1/hosts/{id}/enrollment", {{"id", "web-2"}}, "{}"));
  EXPECT_TRUE(scoped(restricted_, "/v1/hosts/{id}/enrollment", {{"id", "web-1"}}, "{}"));

  const auto t = generate_bearer_token();
  store::NewToken w;
  w.role = store::Role::workload;
  w.token_sha256 = t.sha256;
  w.allowed_keys = std::vector<std::string>{"model"};
  ASSERT_TRUE(store_->create_token("acme", w, "setup", {now(), "setup", ""}));
  auto key = scoped(t.token, "/v1/keys/{name}", {{"name", "weights"}}, "");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().status, 404);
  EXPECT_EQ(key.error().detail, "no such key");
  EXPECT_TRUE(scoped(t.token, "/v1/keys/{name}", {{"name", "model"}}, ""));
  EXPECT_TRUE(scoped(t.token, "/v1/keys/{name}/release", {{"name", "model"}}, ""));
  EXPECT_FALSE(scoped(t.token, "/v1/keys/{name}/release", {{"name", "weights"}}, ""));
}

// ---- rate limiting of authentication failures ----

class AuthRateLimitTest : public TenancyApiTest {
 protected:
  void SetUp() override {
    TenancyApiTest::SetUp();
    ServiceOptions o;
    o.auth_limits.burst = 3;
    o.auth_limits.failures_per_minute = 60;  // one more attempt per second
    build(o);
    admin_ = token_in("acme", store::Role::admin);
  }
  std::string admin_;
};

TEST_F(AuthRateLimitTest, OverTheBudgetAnAddressGets429WithRetryAfterEvenWithAValidToken) {
  for (int i = 0; i < 3; ++i) {
    const auto r = call(Method::get, "/v1/hosts", "not-a-token");
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(reason(r), "auth.token.invalid");
  }
  const auto limited = call(Method::get, "/v1/hosts", "not-a-token");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(reason(limited), "auth.rate_limited");
  EXPECT_EQ(limited.header("Retry-After"), "1");
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_).status, 429);
  // Missing credentials count too, and another address is not affected.
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_, {}, "192.0.2.99").status, 200);
  // A second later one more attempt is allowed.
  advance(std::chrono::seconds(1));
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_).status, 200);
  // A valid request does not refill the bucket: the next failure exhausts it again.
  EXPECT_EQ(call(Method::get, "/v1/hosts", "").status, 401);
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_).status, 429);
}

TEST_F(AuthRateLimitTest, RoleRefusalsAreNotCharged) {
  const auto auditor = token_in("acme", store::Role::auditor);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(call(Method::post, "/v1/hosts", auditor, json::object()).status, 403);
  EXPECT_EQ(call(Method::get, "/v1/hosts", admin_).status, 200);
}

TEST_F(AuthRateLimitTest, RefusalsOverTheLimitWriteOneSummaryRowPerWindow) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call(Method::get, "/v1/hosts", "bad").status, 401);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(call(Method::get, "/v1/hosts", "bad").status, 429);
  EXPECT_EQ(count_system("auth.failure"), 3);
  EXPECT_EQ(count_system("auth.rate_limited"), 1);
  // Next window: still limited (each second's new attempt is spent at once), one more row that
  // counts what the previous one left out.
  for (int s = 0; s < 61; ++s) {
    advance(std::chrono::seconds(1));
    (void)call(Method::get, "/v1/hosts", "bad");  // spends the refilled attempt (401, audited)
    ASSERT_EQ(call(Method::get, "/v1/hosts", "bad").status, 429);
  }
  EXPECT_EQ(count_system("auth.rate_limited"), 2);
  const auto rows = system_audit();
  const auto last =
      std::find_if(rows.rbegin(), rows.rend(), [](const auto& r) { return r.action == "auth.rate_limited"; });
  ASSERT_NE(last, rows.rend());
  EXPECT_EQ(last->object, "client:192.0.2.1");
  EXPECT_EQ(last->details["reason"], "auth.rate_limited");
  EXPECT_EQ(last->details["refused_since_previous_row"], 49 + 59);
}

// The limiter alone: refill at the configured rate, a clock that goes back refills nothing, and
// the table of addresses stays bounded.
TEST(AuthRateLimitUnit, BucketsRefillAtTheRateAndStayBounded) {
  using namespace std::chrono_literals;
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(testing::kApiClockStart));
  AuthRateLimit limit(AuthLimits{.failures_per_minute = 30, .burst = 2, .audit_window = 60s, .max_clients = 2});
  EXPECT_FALSE(limit.refused("a", t0));
  limit.charge("a", t0);
  EXPECT_FALSE(limit.refused("a", t0));
  limit.charge("a", t0);
  EXPECT_EQ(limit.refused("a", t0), std::chrono::seconds(2));  // one attempt per 2 s
  EXPECT_EQ(limit.refused("a", t0 - 10s), std::chrono::seconds(2));
  EXPECT_EQ(limit.refused("a", t0 + 1s), std::chrono::seconds(1));
  EXPECT_FALSE(limit.refused("a", t0 + 2s));
  EXPECT_FALSE(limit.refused("b", t0));
  // Two exhausted addresses fill the table; a third makes room by forgetting them.
  limit.charge("a", t0 + 2s);
  limit.charge("b", t0 + 2s);
  limit.charge("b", t0 + 2s);
  EXPECT_TRUE(limit.refused("a", t0 + 2s));
  EXPECT_TRUE(limit.refused("b", t0 + 2s));
  limit.charge("c", t0 + 2s);
  EXPECT_FALSE(limit.refused("a", t0 + 2s));
  EXPECT_FALSE(limit.refused("b", t0 + 2s));
}

}  // namespace
}  // namespace attestd::service
