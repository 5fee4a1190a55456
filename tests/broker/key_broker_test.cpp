// The release rule and the key store behind it, on a real SQLite file with a real KEK: every
// refusal reason, the audit of each decision, rotation, destruction, and that no secret byte
// reaches the database or the audit.
#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attestd/broker/key_broker.h"
#include "attestd/broker/reasons.h"
#include "attestd/evidence/ossl_ptr.h"
#include "attestd/result/base64url.h"
#include "attestd/result/jwk.h"
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
namespace fs = std::filesystem;

SecretBytes secret_of(std::string_view s) {
  SecretBytes out(s.size());
  std::copy(s.begin(), s.end(), out.span().begin());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KeyBrokerTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::array<uint8_t, kKekSize> k{};
    k.fill(0x42);
    broker_ = std::make_unique<KeyBroker>(std::shared_ptr<store::Store>(store_.get(), [](store::Store*) {}),
                                          Kek::from_bytes(k));
    scope_.emplace(tenant("acme"));
    tee_pkey_.reset(EVP_EC_gen("P-256"));
    auto jwk = result::public_jwk_from_pkey(tee_pkey_.get());
    ASSERT_TRUE(jwk);
    tee_.emplace(std::move(*jwk));
  }
  void TearDown() override { broker_.reset(); }

  store::KeyVersion put(std::string_view name, std::string_view secret, std::vector<std::string> policies = {"prod"},
                        KeyConditions conditions = {}) {
    auto r = broker_->put(*scope_, name, secret_of(secret), policies, conditions, ctx_at(1000));
    EXPECT_TRUE(r);
    return r ? *r : store::KeyVersion{};
  }

  // A request that passes every check for a key released to policy "prod".
  ReleaseRequest passing() {
    ReleaseRequest r;
    r.affirming = true;
    r.policy_name = "prod";
    r.tee_key = &*tee_;
    r.host_labels = {{"zone", "eu"}, {"tier", "gpu"}};
    r.gpu_attested = true;
    r.via = "attestation";
    r.attestation_id = "att-1";
    r.host_id = "web-1";
    return r;
  }

  void expect_refused(std::string_view name, const ReleaseRequest& r, std::string_view reason) {
    auto out = broker_->release(*scope_, name, r, ctx_at(2000));
    ASSERT_FALSE(out) << "released although " << reason << " was expected";
    EXPECT_EQ(out.error().reason.id, reason) << out.error().reason.message;
    // Audited like a release, with the reason.
    auto audit = store_->list_audit(*scope_, by_action("key.refuse"));
    ASSERT_TRUE(audit);
    ASSERT_FALSE(audit->empty());
    EXPECT_EQ(audit->front().details["reason"], std::string(reason));
    EXPECT_EQ(audit->front().details["name"], std::string(name));
  }

  std::unique_ptr<KeyBroker> broker_;
  std::optional<store::TenantScope> scope_;
  ossl::PkeyPtr tee_pkey_;
  std::optional<result::PublicJwk> tee_;
};

TEST_F(KeyBrokerTest, ReleasesAJweWithKidNameAndVersionAndAuditsIt) {
  put("model", "s3cret-model-key");
  auto out = broker_->release(*scope_, "model", passing(), ctx_at(2000));
  ASSERT_TRUE(out) << out.error().reason.message;
  EXPECT_EQ(out->version, 1);
  const auto header = result::base64url_decode(out->jwe.substr(0, out->jwe.find('.')));
  ASSERT_TRUE(header);
  const json h = json::parse(header->begin(), header->end());
  EXPECT_EQ(h["kid"], "model:1");
  EXPECT_EQ(h["alg"], "ECDH-ES+A256KW");
  auto audit = store_->list_audit(*scope_, by_action("key.release"));
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->front().details["name"], "model");
  EXPECT_EQ(audit->front().details["version"], 1);
  EXPECT_EQ(audit->front().details["attestation_id"], "att-1");
  EXPECT_EQ(audit->front().details["tee_key_thumbprint"], tee_->thumbprint_b64());
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseTheKeyDoesNotExist) { expect_refused("nope", passing(), kKeyNotFound); }

TEST_F(KeyBrokerTest, shouldRefuseBecauseTheVerdictIsNotAffirming) {
  put("model", "x");
  auto r = passing();
  r.affirming = false;
  expect_refused("model", r, kEarNotAffirming);
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseNoTeeKeyWasBound) {
  put("model", "x");
  auto r = passing();
  r.tee_key = nullptr;
  expect_refused("model", r, kKeyBindingMissing);
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseThePolicyDoesNotListTheKey) {
  put("model", "x", {"prod", "staging"});
  auto r = passing();
  r.policy_name = "dev";
  expect_refused("model", r, kKeyPolicyDenied);
  r.policy_name = "";  // no policy applied: never
  expect_refused("model", r, kKeyPolicyDenied);
  r.policy_name = "staging";
  EXPECT_TRUE(broker_->release(*scope_, "model", r, ctx_at(3000)));
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseThePolicysOwnKeyListLeavesTheKeyOut) {
  put("model", "x", {"prod"});
  auto r = passing();
  r.policy_name = "prod";
  r.policy_keys = std::vector<std::string>{"disk", "api"};  // the key names the policy, the policy not the key
  expect_refused("model", r, kKeyPolicyDenied);
  r.policy_keys = std::vector<std::string>{"disk", "model"};
  EXPECT_TRUE(broker_->release(*scope_, "model", r, ctx_at(3000)));
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseAHostLabelDiffersOrIsMissing) {
  put("model", "x", {"prod"}, KeyConditions{{{"zone", "us"}}, false});
  expect_refused("model", passing(), kKeyConditionsUnmet);
  put("model2", "x", {"prod"}, KeyConditions{{{"rack", "r9"}}, false});
  expect_refused("model2", passing(), kKeyConditionsUnmet);
  put("model3", "x", {"prod"}, KeyConditions{{{"zone", "eu"}, {"tier", "gpu"}}, false});
  EXPECT_TRUE(broker_->release(*scope_, "model3", passing(), ctx_at(3000)));
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseAGpuIsRequiredAndNoneWasAttested) {
  put("model", "x", {"prod"}, KeyConditions{{}, true});
  auto r = passing();
  r.gpu_attested = false;
  expect_refused("model", r, kKeyConditionsUnmet);
  EXPECT_TRUE(broker_->release(*scope_, "model", passing(), ctx_at(3000)));
}

TEST_F(KeyBrokerTest, AnotherTenantsKeyIsNotFound) {
  put("model", "x");
  const auto other = tenant("globex");
  auto out = broker_->release(other, "model", passing(), ctx_at(2000));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason.id, kKeyNotFound);
}

TEST_F(KeyBrokerTest, shouldRefuseBecauseTheCiphertextWasMovedToAnotherTenant) {
  put("model", "acme-secret");
  const auto other = tenant("globex");
  ASSERT_TRUE(broker_->put(other, "model", secret_of("globex-secret"), {"prod"}, {}, ctx_at(1000)));
  // An attacker with write access to the database copies acme's ciphertext into globex's row.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE broker_key_versions SET ciphertext = (SELECT ciphertext FROM broker_key_versions "
                         "WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'acme')), nonce = (SELECT nonce FROM "
                         "broker_key_versions WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'acme')) "
                         "WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'globex')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto out = broker_->release(other, "model", passing(), ctx_at(2000));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason.id, kKeyUnavailable);
}

TEST_F(KeyBrokerTest, RotationCreatesVersionsAndReleasesTheNewest) {
  EXPECT_EQ(put("model", "v1").version, 1);
  EXPECT_EQ(put("model", "v2").version, 2);
  auto out = broker_->release(*scope_, "model", passing(), ctx_at(2000));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->version, 2);
  auto versions = store_->list_key_versions(*scope_, "model");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_TRUE(versions->front().ciphertext.empty());  // listings never carry ciphertext
}

TEST_F(KeyBrokerTest, DestroyDropsTheCiphertextKeepsTheFactAndNeverReusesAVersion) {
  put("model", "v1");
  put("model", "v2");
  auto destroyed = store_->destroy_key(*scope_, "model", ctx_at(3000));
  ASSERT_TRUE(destroyed);
  EXPECT_EQ(*destroyed, 2);
  expect_refused("model", passing(), kKeyNotFound);
  auto audit = store_->list_audit(*scope_, by_action("key.destroy"));
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM broker_key_versions WHERE ciphertext IS NOT NULL", -1, &st,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(put("model", "v3").version, 3);
  EXPECT_EQ(store_->destroy_key(*scope_, "missing", ctx_at(3000)).error().code, store::StoreErrorCode::not_found);
}

TEST_F(KeyBrokerTest, shouldRefuseToStoreBadNamesSecretsAndMetadata) {
  const auto code = [&](std::string_view name, std::string_view secret, std::vector<std::string> policies) {
    auto r = broker_->put(*scope_, name, secret_of(secret), policies, {}, ctx_at(1000));
    return r ? std::string_view("ok") : r.error().invalid ? r.error().invalid->id : std::string_view("store");
  };
  EXPECT_EQ(code("a:b", "x", {"p"}), kKeyNameInvalid);
  EXPECT_EQ(code("a/b", "x", {"p"}), kKeyNameInvalid);
  EXPECT_EQ(code("", "x", {"p"}), kKeyNameInvalid);
  EXPECT_EQ(code(std::string(129, 'a'), "x", {"p"}), kKeyNameInvalid);
  EXPECT_EQ(code("k", "", {"p"}), kKeySecretInvalid);
  EXPECT_EQ(code("k", std::string(kMaxSecretSize + 1, 'x'), {"p"}), kKeySecretInvalid);
  EXPECT_EQ(code("k", "x", {}), kKeyMetadataInvalid);
  EXPECT_EQ(code("k", "x", {""}), kKeyMetadataInvalid);
  EXPECT_EQ(code("k", std::string(kMaxSecretSize, 'x'), {"p"}), "ok");
}

TEST(KeyConditionsTest, ParsesOnlyKnownWellTypedConditions) {
  EXPECT_TRUE(parse_key_conditions(json(nullptr)));
  EXPECT_TRUE(parse_key_conditions(json::parse(R"({"host_labels":{"a":"b"},"gpu_required":true})")));
  for (const char* bad : {R"([])", R"({"host_labels":[]})", R"({"host_labels":{"a":1}})", R"({"gpu_required":"yes"})",
                          R"({"gpu":true})"}) {
    auto r = parse_key_conditions(json::parse(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().id, kKeyMetadataInvalid);
  }
}

TEST_F(KeyBrokerTest, NoSecretByteReachesTheDatabaseWalOrAudit) {
  const std::string secret = "Zq9-UNIQUE-SECRET-MARKER-7f3a1c";
  put("model", secret);
  put("model", secret);
  ASSERT_TRUE(broker_->release(*scope_, "model", passing(), ctx_at(2000)));
  const std::string b64 = result::base64url_encode(secret);
  for (const fs::path& p : {db_path(), fs::path(db_path().string() + "-wal")}) {
    const std::string content = slurp(p);
    EXPECT_EQ(content.find(secret), std::string::npos) << p;
    EXPECT_EQ(content.find(b64.substr(0, 20)), std::string::npos) << p;
  }
  auto audit = store_->list_audit(*scope_, store::AuditQuery{});
  ASSERT_TRUE(audit);
  for (const auto& a : *audit) EXPECT_EQ(a.details.dump().find(secret), std::string::npos);
}

}  // namespace
}  // namespace attestd::broker
