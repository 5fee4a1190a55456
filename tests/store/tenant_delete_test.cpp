// Deleting a tenant (issue 8): its data and credentials go in one transaction, its audit chain
// stays and is closed by a tenant.delete record, other tenants (with the same host ids and
// document names) are untouched, and the name can be reused under a new id. Also the input rules
// of tenant names and token restrictions.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class TenantDeleteTest : public StoreTest {};

TEST_F(TenantDeleteTest, DeletionErasesTheTenantsDataKeepsItsAuditAndSparesOthers) {
  auto acme = tenant("acme");
  auto globex = tenant("globex");
  for (auto* s : {&acme, &globex}) {
    ASSERT_TRUE(store_->create_host(*s, host("web-1"), ctx_at(0)));
    host_with_challenge(*s, "web-1");
    ASSERT_TRUE(store_->put_document(*s, DocumentKind::policy, "prod", nlohmann::json{{"v", 1}}, ctx_at(1)));
    NewKeyVersion k;
    k.name = "model";
    k.kek_id = "kek-1";
    k.nonce = Bytes(12, 1);
    k.ciphertext = Bytes(48, 2);
    k.secret_size = 32;
    k.policies = {"prod"};
    ASSERT_TRUE(store_->put_key_version(*s, k, ctx_at(1)));
  }
  NewToken attester;
  attester.role = Role::attester;
  attester.token_sha256 = random_hash();
  ASSERT_TRUE(store_->create_token("acme", attester, "op", ctx_at(2)));
  const auto acme_id = acme.tenant_id();

  auto deleted = store_->delete_tenant("acme", "op-token", ctx_at(10));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->id, acme_id);

  EXPECT_EQ(store_->find_tenant("acme").error().code, StoreErrorCode::not_found);
  auto cred = store_->authenticate(attester.token_sha256, at(11));
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error().code, StoreErrorCode::not_found);
  // A scope still held (a request in flight) finds nothing any more.
  EXPECT_EQ(store_->get_host(acme, "web-1").error().code, StoreErrorCode::not_found);
  EXPECT_EQ(store_->get_document(acme, DocumentKind::policy, "prod", std::nullopt).error().code,
            StoreErrorCode::not_found);
  EXPECT_EQ(store_->get_key(acme, "model").error().code, StoreErrorCode::not_found);
  EXPECT_EQ(store_->scope_for_verified_ear(acme_id, "ear").error().code, StoreErrorCode::not_found);

  // The other tenant's host and policy of the same names are untouched.
  EXPECT_TRUE(store_->get_host(globex, "web-1"));
  EXPECT_TRUE(store_->get_document(globex, DocumentKind::policy, "prod", std::nullopt));
  auto globex_key = store_->get_key(globex, "model");
  ASSERT_TRUE(globex_key);
  EXPECT_EQ(globex_key->ciphertext, Bytes(48, 2));

  // The audit chain of the deleted tenant stays, closed by the deletion with what it removed.
  auto chain = store_->export_audit(acme, 0, std::nullopt, 1000);
  ASSERT_TRUE(chain) << chain.error().message;
  ASSERT_FALSE(chain->empty());
  EXPECT_EQ(chain->back().action, "tenant.delete");
  EXPECT_EQ(chain->back().actor, "op-token");
  EXPECT_EQ(chain->back().details["removed"]["hosts"], 1);
  EXPECT_EQ(chain->back().details["removed"]["challenges"], 1);
  EXPECT_EQ(chain->back().details["removed"]["policies"], 1);
  EXPECT_EQ(chain->back().details["removed"]["tokens"], 2);
  EXPECT_EQ(chain->back().details["removed"]["key_versions"], 1);
  auto system = store_->export_system_audit(0, 1000);
  ASSERT_TRUE(system);
  EXPECT_EQ(system->back().action, "tenant.delete");
  EXPECT_EQ(system->back().details["tenant_id"], acme_id);

  // The name is free again, under a new id and a new chain.
  auto again = store_->create_tenant("acme", "op", ctx_at(20));
  ASSERT_TRUE(again);
  EXPECT_NE(again->id, acme_id);
}

TEST_F(TenantDeleteTest, DeletingAnUnknownTenantIsNotFoundAndWritesNothing) {
  auto before = store_->export_system_audit(0, 1000);
  ASSERT_TRUE(before);
  auto r = store_->delete_tenant("nobody", "op", ctx_at(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::not_found);
  EXPECT_EQ(r.error().message, "no such tenant");
  EXPECT_EQ(store_->export_system_audit(0, 1000)->size(), before->size());
}

TEST_F(TenantDeleteTest, TenantNamesArePlainAndShort) {
  for (const char* bad : {"", "-acme", ".", "a/b", "a b", "é", "acme\n"}) {
    auto r = store_->create_tenant(bad, "op", ctx_at(0));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, StoreErrorCode::invalid_argument) << bad;
  }
  EXPECT_FALSE(store_->create_tenant(std::string(65, 'a'), "op", ctx_at(0)));
  EXPECT_TRUE(store_->create_tenant(std::string(64, 'a'), "op", ctx_at(0)));
  EXPECT_TRUE(store_->create_tenant("tenant-b.eu_1", "op", ctx_at(0)));
}

TEST_F(TenantDeleteTest, RestrictionsOnlyFitTheirRoleAndExpiryMustBeInTheFuture) {
  ASSERT_TRUE(store_->create_tenant("acme", "op", ctx_at(0)));
  NewToken t;
  t.token_sha256 = random_hash();
  t.role = Role::admin;
  t.allowed_hosts = std::vector<std::string>{"web-1"};
  EXPECT_EQ(store_->create_token("acme", t, "op", ctx_at(0)).error().code, StoreErrorCode::invalid_argument);
  t.role = Role::attester;
  t.allowed_keys = std::vector<std::string>{"k"};
  EXPECT_EQ(store_->create_token("acme", t, "op", ctx_at(0)).error().code, StoreErrorCode::invalid_argument);
  t.allowed_keys.reset();
  t.expires_at = at(0);
  EXPECT_EQ(store_->create_token("acme", t, "op", ctx_at(0)).error().code, StoreErrorCode::invalid_argument);
  t.expires_at = at(1);
  EXPECT_TRUE(store_->create_token("acme", t, "op", ctx_at(0)));
  NewToken w;
  w.token_sha256 = random_hash();
  w.role = Role::workload;
  w.allowed_keys = std::vector<std::string>{"model"};
  auto created = store_->create_token("acme", w, "op", ctx_at(0));
  ASSERT_TRUE(created);
  auto cred = store_->authenticate(w.token_sha256, at(1));
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->allowed_keys, w.allowed_keys);
}

}  // namespace
}  // namespace attestd::store::testing
