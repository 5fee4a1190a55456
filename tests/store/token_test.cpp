// Credentials: tokens are stored as hashes, authenticate into a scope of their tenant, and are
// refused once revoked or expired. Operator tokens get no tenant scope.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class TokenTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->create_tenant("acme", "op", ctx_at(0)));
  }
};

TEST_F(TokenTest, AuthenticatedTokenYieldsScopeOfItsTenantAndRole) {
  NewToken t;
  t.role = Role::attester;
  t.token_sha256 = random_hash();
  t.allowed_hosts = std::vector<std::string>{"web-1", "web-2"};
  auto created = store_->create_token("acme", t, "op", ctx_at(0));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->tenant_name, "acme");
  auto cred = store_->authenticate(t.token_sha256, at(1));
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->role, Role::attester);
  ASSERT_TRUE(cred->scope);
  EXPECT_EQ(cred->scope->tenant_id(), store_->find_tenant("acme")->id);
  EXPECT_EQ(cred->scope->actor(), created->id);
  EXPECT_EQ(cred->allowed_hosts, t.allowed_hosts);
  EXPECT_FALSE(cred->allowed_keys);
}

TEST_F(TokenTest, UnknownTokenIsNotFound) {
  auto cred = store_->authenticate(random_hash(), at(0));
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error().code, StoreErrorCode::not_found);
}

TEST_F(TokenTest, RevokedTokenIsRefusedImmediately) {
  NewToken t;
  t.role = Role::admin;
  t.token_sha256 = random_hash();
  auto created = store_->create_token("acme", t, "op", ctx_at(0));
  ASSERT_TRUE(created);
  ASSERT_TRUE(store_->authenticate(t.token_sha256, at(1)));
  auto revoked = store_->revoke_token(created->id, "op", ctx_at(2));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at, at(2));
  auto cred = store_->authenticate(t.token_sha256, at(3));
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error().code, StoreErrorCode::token_revoked);
}

TEST_F(TokenTest, TokenIsExpiredFromItsExpiryInstantOn) {
  NewToken t;
  t.role = Role::workload;
  t.token_sha256 = random_hash();
  t.expires_at = at(1000);
  ASSERT_TRUE(store_->create_token("acme", t, "op", ctx_at(0)));
  EXPECT_TRUE(store_->authenticate(t.token_sha256, at(999)));
  auto cred = store_->authenticate(t.token_sha256, at(1000));
  ASSERT_FALSE(cred);
  EXPECT_EQ(cred.error().code, StoreErrorCode::token_expired);
}

TEST_F(TokenTest, OperatorTokenHasNoTenantScope) {
  NewToken t;
  t.role = Role::operator_;
  t.token_sha256 = random_hash();
  ASSERT_TRUE(store_->create_operator_token(t, "bootstrap", ctx_at(0)));
  auto cred = store_->authenticate(t.token_sha256, at(1));
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->role, Role::operator_);
  EXPECT_FALSE(cred->scope);
  auto as_tenant = store_->create_token("acme", t, "op", ctx_at(0));
  ASSERT_FALSE(as_tenant);
  EXPECT_EQ(as_tenant.error().code, StoreErrorCode::invalid_argument);
}

TEST_F(TokenTest, TokenForUnknownTenantIsNotFound) {
  NewToken t;
  t.token_sha256 = random_hash();
  auto created = store_->create_token("nobody", t, "op", ctx_at(0));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, StoreErrorCode::not_found);
}

TEST_F(TokenTest, SameHashCannotBeStoredTwice) {
  NewToken t;
  t.token_sha256 = random_hash();
  ASSERT_TRUE(store_->create_token("acme", t, "op", ctx_at(0)));
  auto again = store_->create_token("acme", t, "op", ctx_at(0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::conflict);
}

TEST_F(TokenTest, DuplicateTenantNameIsConflict) {
  auto again = store_->create_tenant("acme", "op", ctx_at(0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::conflict);
}

TEST_F(TokenTest, ListTokensShowsTheTenantsTokensOnly) {
  ASSERT_TRUE(store_->create_tenant("other", "op", ctx_at(0)));
  NewToken t;
  t.token_sha256 = random_hash();
  ASSERT_TRUE(store_->create_token("acme", t, "op", ctx_at(0)));
  t.token_sha256 = random_hash();
  ASSERT_TRUE(store_->create_token("other", t, "op", ctx_at(0)));
  auto listed = store_->list_tokens("acme");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].tenant_name, "acme");
}

}  // namespace
}  // namespace attestd::store::testing
