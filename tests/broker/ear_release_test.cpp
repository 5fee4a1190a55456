// GET /v1/keys/{name}/release authenticated by an EAR, driven through the service's own route
// table (make_api) on a real SQLite store, a real result-signing key set and a real KEK: each
// refusal reason of the EAR path, and a release whose JWE is made for the key the EAR attests.
#include <openssl/evp.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/broker/key_broker.h"
#include "attestd/broker/reasons.h"
#include "attestd/evidence/ossl_ptr.h"
#include "attestd/result/ar4si.h"
#include "attestd/result/base64url.h"
#include "attestd/result/ear.h"
#include "attestd/service/service.h"
#include "store_fixture.h"

namespace attestd::broker {
namespace {

store::AuditQuery by_action(std::string action) {
  store::AuditQuery q;
  q.action = std::move(action);
  return q;
}

using nlohmann::json;
using store::testing::ctx_at;

constexpr int64_t kNow = 1'750'000'000;

class EarReleaseTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    shared_store_ = std::shared_ptr<store::Store>(store_.get(), [](store::Store*) {});
    auto keys = result::load_or_create_key_set(dir_.path());
    ASSERT_TRUE(keys) << keys.error().message;
    keys_ = std::make_shared<const result::KeySet>(std::move(*keys));
    std::array<uint8_t, kKekSize> k{};
    k.fill(9);
    broker_ = std::make_shared<KeyBroker>(shared_store_, Kek::from_bytes(k));
    service::ServiceDeps deps;
    deps.store = shared_store_;
    deps.keys = keys_;
    deps.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kNow)); };
    deps.broker = broker_;
    auto api = service::make_api(deps, {});
    ASSERT_TRUE(api) << api.error();
    for (auto& r : api->routes) {
      if (r.pattern == "/v1/keys/{name}/release") release_ = r;
    }
    ASSERT_TRUE(release_.handler);
    acme_.emplace(tenant("acme"));
    auto h = store_->create_host(*acme_, host("web-1"), ctx_at(0));
    ASSERT_TRUE(h);
    tee_pkey_.reset(EVP_EC_gen("P-384"));
    auto jwk = result::public_jwk_from_pkey(tee_pkey_.get());
    ASSERT_TRUE(jwk);
    tee_.emplace(std::move(*jwk));
    SecretBytes s(5);
    std::copy_n("hello", 5, s.span().begin());
    ASSERT_TRUE(broker_->put(*acme_, "model", s, {"prod"}, {}, ctx_at(1)));
  }
  void TearDown() override {
    broker_.reset();
    shared_store_.reset();
  }

  struct EarSpec {
    std::string tenant_id;
    result::Status status = result::Status::kAffirming;
    std::string policy = "prod@3";
    bool with_key = true;
    int64_t issued_at = kNow - 10;
    int64_t lifetime = 300;
  };

  std::string ear(const EarSpec& spec, const result::SigningKey* signer = nullptr) {
    const std::vector<uint8_t> nonce(32, 7);
    result::EarRequest req;
    req.nonce = nonce;
    req.issued_at = std::chrono::sys_seconds(std::chrono::seconds(spec.issued_at));
    req.lifetime = std::chrono::seconds(spec.lifetime);
    req.submods.push_back({"tpm0", spec.status,
                           result::derive_trust_vector(result::EvidenceKind::kTpm, spec.status, {}), spec.policy, {}});
    req.tee_key = spec.with_key ? &*tee_ : nullptr;
    req.tenant_id = spec.tenant_id;
    req.host_id = "web-1";
    auto token = result::issue_ear(signer != nullptr ? *signer : keys_->active(), req);
    EXPECT_TRUE(token) << token.error().message;
    return token ? *token : std::string();
  }

  server::HandlerResult call(std::string_view authorization, std::string_view name = "model") {
    server::Request r;
    r.method = server::Method::get;
    r.path = fmt::format("/v1/keys/{}/release", name);
    r.target = r.path;
    r.path_params = {{"name", std::string(name)}};
    if (!authorization.empty()) r.headers = {{"authorization", std::string(authorization)}};
    r.request_id = "req-1";
    return release_.handler(r);
  }

  void expect_refused(const server::HandlerResult& r, std::string_view reason, int status) {
    ASSERT_FALSE(r) << "released: " << r->body;
    ASSERT_FALSE(r.error().reasons.empty());
    EXPECT_EQ(r.error().reasons.front().id, reason) << r.error().detail;
    EXPECT_EQ(r.error().status, status);
  }

  std::shared_ptr<store::Store> shared_store_;
  std::shared_ptr<const result::KeySet> keys_;
  std::shared_ptr<KeyBroker> broker_;
  server::Route release_;
  std::optional<store::TenantScope> acme_;
  ossl::PkeyPtr tee_pkey_;
  std::optional<result::PublicJwk> tee_;
};

TEST_F(EarReleaseTest, TheRouteIsPublicForTheRouterBecauseTheEarIsTheCredential) {
  EXPECT_TRUE(release_.access.is_public());
}

TEST_F(EarReleaseTest, ReleasesToTheKeyTheEarAttestsAndAuditsIt) {
  const auto r = call("Bearer " + ear({.tenant_id = acme_->tenant_id()}));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->status, 200);
  const json body = json::parse(r->body);
  EXPECT_EQ(body["kid"], "model:1");
  const std::string jwe = body["jwe"];
  const auto header = result::base64url_decode(jwe.substr(0, jwe.find('.')));
  ASSERT_TRUE(header);
  const json h = json::parse(header->begin(), header->end());
  EXPECT_EQ(h["alg"], "ECDH-ES+A256KW");
  EXPECT_EQ(h["epk"]["crv"], "P-384");  // encrypted to the attested P-384 key
  auto audit = store_->list_audit(*acme_, by_action("key.release"));
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->front().details["via"], "ear");
  EXPECT_EQ(audit->front().details["host_id"], "web-1");
}

TEST_F(EarReleaseTest, shouldRefuseBecauseNoEarIsPresented) {
  expect_refused(call(""), kEarInvalid, 401);
  expect_refused(call("Basic abc"), kEarInvalid, 401);
}

TEST_F(EarReleaseTest, shouldRefuseBecauseTheEarIsNotSignedByThisService) {
  auto stranger = result::SigningKey::generate();
  ASSERT_TRUE(stranger);
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id()}, &*stranger)), kEarInvalid, 401);
  std::string t = ear({.tenant_id = acme_->tenant_id()});
  t.back() = t.back() == 'A' ? 'B' : 'A';
  expect_refused(call("Bearer " + t), kEarInvalid, 401);
}

TEST_F(EarReleaseTest, shouldRefuseBecauseTheEarExpired) {
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .issued_at = kNow - 301})), kEarExpired,
                 401);
  // The signature verified before the expiry did not: the refusal is in the tenant's own chain.
  auto audit = store_->list_audit(*acme_, by_action("key.refuse"));
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->front().details["reason"], std::string(kEarExpired));
}

TEST_F(EarReleaseTest, RefusalsWithoutATrustworthyTenantGoToTheServiceChain) {
  auto stranger = result::SigningKey::generate();
  ASSERT_TRUE(stranger);
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id()}, &*stranger)), kEarInvalid, 401);
  expect_refused(call("Bearer " + ear({.tenant_id = ""})), kEarWrongTenant, 401);
  EXPECT_TRUE(store_->list_audit(*acme_, by_action("key.refuse"))->empty());
  auto system = store_->export_system_audit(0, 100);
  ASSERT_TRUE(system);
  std::vector<std::string> reasons;
  for (const auto& r : *system) {
    if (r.action == "key.refuse") reasons.push_back(r.details["reason"]);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{std::string(kEarInvalid), std::string(kEarWrongTenant)}));
}

TEST_F(EarReleaseTest, shouldRefuseBecauseTheVerdictIsNotAffirming) {
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .status = result::Status::kContraindicated})),
                 kEarNotAffirming, 403);
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .status = result::Status::kWarning})),
                 kEarNotAffirming, 403);
  auto audit = store_->list_audit(*acme_, by_action("key.refuse"));
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ(audit->front().details["reason"], std::string(kEarNotAffirming));
}

TEST_F(EarReleaseTest, shouldRefuseBecauseTheEarNamesNoTenantOfOurs) {
  expect_refused(call("Bearer " + ear({.tenant_id = ""})), kEarWrongTenant, 401);
  expect_refused(call("Bearer " + ear({.tenant_id = "00000000000000000000000000000000"})), kEarWrongTenant, 401);
}

TEST_F(EarReleaseTest, AnotherTenantsEarCannotReachThisTenantsKey) {
  const auto globex = tenant("globex");
  expect_refused(call("Bearer " + ear({.tenant_id = globex.tenant_id()})), kKeyNotFound, 404);
  // Refused in globex's own audit chain; acme's chain records nothing.
  auto audit = store_->list_audit(globex, by_action("key.refuse"));
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->size(), 1u);
  EXPECT_TRUE(store_->list_audit(*acme_, by_action("key.refuse"))->empty());
}

TEST_F(EarReleaseTest, shouldRefuseBecauseThePolicyDoesNotAllowTheKey) {
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .policy = "dev@1"})), kKeyPolicyDenied, 403);
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .policy = "none"})), kKeyPolicyDenied, 403);
}

TEST_F(EarReleaseTest, shouldRefuseBecauseTheEarAttestsNoKey) {
  expect_refused(call("Bearer " + ear({.tenant_id = acme_->tenant_id(), .with_key = false})), kKeyBindingMissing,
                 403);
}

}  // namespace
}  // namespace attestd::broker
