// Credential activation: one enrollment makes a host trusted once, with the AK it was made for.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class EnrollmentTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    scope_ = std::make_unique<TenantScope>(tenant("acme"));
    ASSERT_TRUE(store_->create_host(*scope_, host("web-1"), ctx_at(0)));
    pending_.secret_sha256 = random_hash();
    pending_.ak_public = {0xaa, 0xbb};
    pending_.ak_name = {0x00, 0x0b, 0x01};
    pending_.ek_certificate = Bytes{0x30, 0x00};
    pending_.expires_at = at(60'000);
    auto e = store_->begin_enrollment(*scope_, "web-1", pending_, ctx_at(0));
    ASSERT_TRUE(e) << e.error().message;
    enrollment_id_ = e->id;
  }
  std::unique_ptr<TenantScope> scope_;
  NewEnrollment pending_;
  std::string enrollment_id_;
};

TEST_F(EnrollmentTest, ActivationWithRightSecretTrustsHostAndInstallsAk) {
  EXPECT_FALSE(store_->get_host(*scope_, "web-1")->trusted);
  auto h = store_->activate_enrollment(*scope_, "web-1", enrollment_id_, pending_.secret_sha256, ctx_at(10));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(h->trusted);
  EXPECT_EQ(h->ak_public, pending_.ak_public);
  EXPECT_EQ(h->ak_name, pending_.ak_name);
  EXPECT_EQ(h->ek_certificate, pending_.ek_certificate);
  EXPECT_EQ(h->labels["rack"], "r1");
}

TEST_F(EnrollmentTest, WrongSecretIsRefusedAndLeavesEnrollmentUsable) {
  auto wrong = store_->activate_enrollment(*scope_, "web-1", enrollment_id_, random_hash(), ctx_at(10));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, StoreErrorCode::enrollment_secret_mismatch);
  EXPECT_FALSE(store_->get_host(*scope_, "web-1")->trusted);
  EXPECT_TRUE(store_->activate_enrollment(*scope_, "web-1", enrollment_id_, pending_.secret_sha256, ctx_at(11)));
}

TEST_F(EnrollmentTest, SecondActivationIsConsumed) {
  ASSERT_TRUE(store_->activate_enrollment(*scope_, "web-1", enrollment_id_, pending_.secret_sha256, ctx_at(10)));
  auto again = store_->activate_enrollment(*scope_, "web-1", enrollment_id_, pending_.secret_sha256, ctx_at(11));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::enrollment_consumed);
}

TEST_F(EnrollmentTest, ActivationAtExpiryIsExpired) {
  auto late = store_->activate_enrollment(*scope_, "web-1", enrollment_id_, pending_.secret_sha256, ctx_at(60'000));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, StoreErrorCode::enrollment_expired);
  EXPECT_FALSE(store_->get_host(*scope_, "web-1")->trusted);
}

TEST_F(EnrollmentTest, EnrollmentForUnknownHostIsNotFound) {
  auto e = store_->begin_enrollment(*scope_, "ghost", pending_, ctx_at(0));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, StoreErrorCode::not_found);
}

TEST_F(EnrollmentTest, DuplicateHostIsConflict) {
  auto again = store_->create_host(*scope_, host("web-1"), ctx_at(0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::conflict);
}

}  // namespace
}  // namespace attestd::store::testing
