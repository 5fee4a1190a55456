// Tenant isolation (DESIGN §6, issue 8): every tenant-owned object of tenant A is invisible to
// tenant B, which gets exactly the error it would get for an object that does not exist.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class TenancyTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    a_ = std::make_unique<TenantScope>(tenant("tenant-a"));
    b_ = std::make_unique<TenantScope>(tenant("tenant-b"));
  }
  std::unique_ptr<TenantScope> a_;
  std::unique_ptr<TenantScope> b_;
};

// The error B gets for A's object must equal the one for a missing object: same code and
// message, so that not even the text tells them apart.
template <class T, class U>
void expect_same_error(const Result<T>& foreign, const Result<U>& missing) {
  ASSERT_FALSE(foreign);
  ASSERT_FALSE(missing);
  EXPECT_EQ(foreign.error(), missing.error());
}

TEST_F(TenancyTest, HostOfAnotherTenantIsNotFound) {
  ASSERT_TRUE(store_->create_host(*a_, host("web-1"), ctx_at(0)));
  expect_same_error(store_->get_host(*b_, "web-1"), store_->get_host(*b_, "web-9"));
  EXPECT_EQ(store_->get_host(*b_, "web-1").error().code, StoreErrorCode::not_found);
  EXPECT_TRUE(store_->list_hosts(*b_)->empty());
}

TEST_F(TenancyTest, ChallengeForAnotherTenantsHostIsRefusedAsNotFound) {
  ASSERT_TRUE(store_->create_host(*a_, host("web-1"), ctx_at(0)));
  expect_same_error(store_->create_challenge(*b_, "web-1", random_nonce(), at(120'000), ctx_at(0)),
                    store_->create_challenge(*b_, "web-9", random_nonce(), at(120'000), ctx_at(0)));
}

TEST_F(TenancyTest, ChallengeOfAnotherTenantCannotBeReadOrConsumed) {
  const auto ch = host_with_challenge(*a_, "web-1");
  // B has a host of the same id: the challenge is still A's alone.
  ASSERT_TRUE(store_->create_host(*b_, host("web-1"), ctx_at(0)));
  expect_same_error(store_->get_challenge(*b_, ch.id, "web-1"),
                    store_->get_challenge(*b_, "0123456789abcdef0123456789abcdef", "web-1"));
  auto foreign = store_->consume_challenge_and_record(*b_, ch.id, "web-1", affirming(), ctx_at(1000));
  auto missing = store_->consume_challenge_and_record(*b_, "0123456789abcdef0123456789abcdef", "web-1", affirming(),
                                                      ctx_at(1000));
  expect_same_error(foreign, missing);
  EXPECT_EQ(foreign.error().code, StoreErrorCode::challenge_not_found);
  // B's attempt did not consume it.
  EXPECT_TRUE(store_->consume_challenge_and_record(*a_, ch.id, "web-1", affirming(), ctx_at(1000)));
}

TEST_F(TenancyTest, AttestationOfAnotherTenantIsNotFound) {
  const auto ch = host_with_challenge(*a_, "web-1");
  auto att = store_->consume_challenge_and_record(*a_, ch.id, "web-1", affirming(), ctx_at(1000));
  ASSERT_TRUE(att);
  expect_same_error(store_->get_attestation(*b_, att->id),
                    store_->get_attestation(*b_, "0123456789abcdef0123456789abcdef"));
}

TEST_F(TenancyTest, PolicyAndReferenceSetOfAnotherTenantAreNotFound) {
  for (const auto kind : {DocumentKind::policy, DocumentKind::reference_set}) {
    ASSERT_TRUE(store_->put_document(*a_, kind, "gold", {{"pcrs", {1, 2}}}, ctx_at(0)));
    expect_same_error(store_->get_document(*b_, kind, "gold", std::nullopt), store_->get_document(*b_, kind, "nothing", std::nullopt));
    expect_same_error(store_->get_document(*b_, kind, "gold", 1), store_->get_document(*b_, kind, "nothing", 1));
    expect_same_error(store_->list_document_versions(*b_, kind, "gold"),
                      store_->list_document_versions(*b_, kind, "nothing"));
    expect_same_error(store_->retire_document(*b_, kind, "gold", ctx_at(1)),
                      store_->retire_document(*b_, kind, "nothing", ctx_at(1)));
    EXPECT_TRUE(store_->get_document(*a_, kind, "gold", std::nullopt)) << "B's retire must not touch A's document";
  }
}

TEST_F(TenancyTest, SameNamesInTwoTenantsDoNotInterfere) {
  ASSERT_TRUE(store_->create_host(*a_, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(*b_, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->put_document(*a_, DocumentKind::reference_set, "gold", {{"owner", "a"}}, ctx_at(0)));
  ASSERT_TRUE(store_->put_document(*b_, DocumentKind::reference_set, "gold", {{"owner", "b"}}, ctx_at(0)));
  auto a_doc = store_->get_document(*a_, DocumentKind::reference_set, "gold", std::nullopt);
  auto b_doc = store_->get_document(*b_, DocumentKind::reference_set, "gold", std::nullopt);
  ASSERT_TRUE(a_doc && b_doc);
  EXPECT_EQ(a_doc->version, 1);
  EXPECT_EQ(b_doc->version, 1);
  EXPECT_EQ(a_doc->document["owner"], "a");
  EXPECT_EQ(b_doc->document["owner"], "b");
}

TEST_F(TenancyTest, EnrollmentOfAnotherTenantCannotBeActivated) {
  ASSERT_TRUE(store_->create_host(*a_, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(*b_, host("web-1"), ctx_at(0)));
  NewEnrollment e;
  e.secret_sha256 = random_hash();
  e.ak_public = {1, 2, 3};
  e.ak_name = {4, 5};
  e.expires_at = at(60'000);
  auto enrollment = store_->begin_enrollment(*a_, "web-1", e, ctx_at(0));
  ASSERT_TRUE(enrollment);
  expect_same_error(store_->activate_enrollment(*b_, "web-1", enrollment->id, e.secret_sha256, ctx_at(1)),
                    store_->activate_enrollment(*b_, "web-1", "0123456789abcdef0123456789abcdef", e.secret_sha256,
                                                ctx_at(1)));
  EXPECT_FALSE(store_->get_host(*b_, "web-1")->trusted);
}

TEST_F(TenancyTest, TpmRootsAreSeparatePerTenant) {
  const Bytes der = {0x30, 0x03, 0x02, 0x01, 0x01};
  auto root = store_->add_tpm_root(*a_, der, ctx_at(0));
  ASSERT_TRUE(root);
  EXPECT_TRUE(store_->list_tpm_roots(*b_)->empty());
  expect_same_error(store_->remove_tpm_root(*b_, root->id, ctx_at(1)),
                    store_->remove_tpm_root(*b_, "0123456789abcdef0123456789abcdef", ctx_at(1)));
  EXPECT_EQ(store_->list_tpm_roots(*a_)->size(), 1u) << "B's remove must not touch A's root";
  // The same certificate may be trusted by B independently.
  EXPECT_TRUE(store_->add_tpm_root(*b_, der, ctx_at(0)));
  EXPECT_EQ(store_->list_tpm_roots(*a_)->size(), 1u);
}

TEST_F(TenancyTest, AuditOfOneTenantHoldsNothingOfAnother) {
  ASSERT_TRUE(store_->create_host(*a_, host("web-a"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(*b_, host("web-b"), ctx_at(0)));
  auto b_log = store_->list_audit(*b_, AuditQuery{});
  ASSERT_TRUE(b_log);
  for (const auto& r : *b_log) {
    EXPECT_EQ(r.object.find("web-a"), std::string::npos) << r.object;
  }
  AuditQuery q;
  q.object = "host:web-a";
  EXPECT_TRUE(store_->list_audit(*b_, q)->empty());
  EXPECT_EQ(store_->list_audit(*a_, q)->size(), 1u);
}

}  // namespace
}  // namespace attestd::store::testing
