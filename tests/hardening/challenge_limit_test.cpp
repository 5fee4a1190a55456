// The bound on outstanding challenges per host (issue 11), at the store: counted inside the
// create transaction, so concurrent callers cannot overshoot it; used and expired challenges do
// not count; hosts and tenants are counted apart.
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class ChallengeLimitTest : public StoreTest {
 protected:
  Result<Challenge> create(const TenantScope& scope, const std::string& host_id, int64_t now_ms,
                           int64_t lifetime_ms = 120'000) {
    return store_->create_challenge(scope, host_id, random_nonce(), at(now_ms + lifetime_ms), ctx_at(now_ms), 4);
  }
};

TEST_F(ChallengeLimitTest, ChallengeBeyondTheBoundIsRefusedAsConflictWithoutARecord) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(create(scope, "web-1", i));
  auto refused = create(scope, "web-1", 10);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, StoreErrorCode::conflict);
  // No challenge row and no audit row for the refusal.
  AuditQuery q;
  q.limit = 100;
  auto log = store_->list_audit(scope, q);
  ASSERT_TRUE(log);
  int creates = 0;
  for (const auto& r : *log) creates += r.action == "challenge.create" ? 1 : 0;
  EXPECT_EQ(creates, 4);
}

TEST_F(ChallengeLimitTest, UsedAndExpiredChallengesDoNotCount) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  auto short_lived = create(scope, "web-1", 0, 1'000);
  ASSERT_TRUE(short_lived);
  std::vector<Challenge> live;
  for (int i = 0; i < 3; ++i) live.push_back(*create(scope, "web-1", 1));
  EXPECT_FALSE(create(scope, "web-1", 2));
  ASSERT_TRUE(store_->consume_challenge_and_record(scope, live[0].id, "web-1", affirming(), ctx_at(3)));
  EXPECT_TRUE(create(scope, "web-1", 4));  // the used one freed its slot
  EXPECT_FALSE(create(scope, "web-1", 5));
  EXPECT_TRUE(create(scope, "web-1", 1'000));  // the short-lived one expired at 1 s
}

TEST_F(ChallengeLimitTest, EachHostAndTenantIsCountedApart) {
  const auto acme = tenant("acme");
  const auto other = tenant("other");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(acme, host("web-2"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(other, host("web-1"), ctx_at(0)));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(create(acme, "web-1", i));
  EXPECT_FALSE(create(acme, "web-1", 5));
  EXPECT_TRUE(create(acme, "web-2", 5));
  EXPECT_TRUE(create(other, "web-1", 5));
}

TEST_F(ChallengeLimitTest, ConcurrentCreatesAdmitExactlyTheBound) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  constexpr int kThreads = 24;
  std::barrier start(kThreads);
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto ch = create(scope, "web-1", 0);
      if (ch) {
        ++created;
      } else if (ch.error().code == StoreErrorCode::conflict) {
        ++conflicts;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 4);
  EXPECT_EQ(conflicts.load(), kThreads - 4);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(ChallengeLimitTest, WithoutALimitThereIsNoBound) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(store_->create_challenge(scope, "web-1", random_nonce(), at(120'000), ctx_at(0)));
  }
}

}  // namespace
}  // namespace attestd::store::testing
