// Challenges are single use: consume_challenge_and_record succeeds once, atomically with the
// attestation and its audit row, and every other attempt fails with the reason that applies.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class ChallengeTest : public StoreTest {};

TEST_F(ChallengeTest, ConsumeStoresAttestationReadableByItsId) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  NewAttestation a = affirming();
  a.reasons = {{"tpm.quote.not_safe", "clock not safe"}};
  auto recorded = store_->consume_challenge_and_record(scope, ch.id, "web-1", a, ctx_at(1000));
  ASSERT_TRUE(recorded) << recorded.error().message;

  auto read = store_->get_attestation(scope, recorded->id);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->challenge_id, ch.id);
  EXPECT_EQ(read->host_id, "web-1");
  EXPECT_EQ(read->verdict, Verdict::affirming);
  EXPECT_EQ(read->reasons, a.reasons);
  EXPECT_EQ(read->token, a.token);
  EXPECT_EQ(read->policy_name, "default");
  EXPECT_EQ(read->policy_version, 1);
  EXPECT_EQ(read->evidence_digests, a.evidence_digests);
  EXPECT_EQ(read->created_at, at(1000));

  auto after = store_->get_challenge(scope, ch.id, "web-1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->consumed_at, at(1000));
}

TEST_F(ChallengeTest, ChallengeKeepsItsNonceAndExpiry) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  const Nonce nonce = random_nonce();
  auto ch = store_->create_challenge(scope, "web-1", nonce, at(120'000), ctx_at(0));
  ASSERT_TRUE(ch);
  auto read = store_->get_challenge(scope, ch->id, "web-1");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->nonce, nonce);
  EXPECT_EQ(read->expires_at, at(120'000));
  EXPECT_FALSE(read->consumed_at);
}

TEST_F(ChallengeTest, SecondUseFailsAsConsumed) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  ASSERT_TRUE(store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000)));
  auto again = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(2000));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::challenge_consumed);
}

TEST_F(ChallengeTest, ConsumeAtOrAfterExpiryFailsAsExpiredAndStoresNothing) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");  // expires at 120 s
  auto late = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(120'000));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, StoreErrorCode::challenge_expired);
  auto read = store_->get_challenge(scope, ch.id, "web-1");
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->consumed_at);
  AuditQuery q;
  q.action = "attestation.record";
  EXPECT_TRUE(store_->list_audit(scope, q)->empty());
}

TEST_F(ChallengeTest, ConsumedAndExpiredReportsConsumed) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  ASSERT_TRUE(store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000)));
  auto replay = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(500'000));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, StoreErrorCode::challenge_consumed);
}

TEST_F(ChallengeTest, UnknownChallengeFailsAsNotFound) {
  const auto scope = tenant("acme");
  host_with_challenge(scope, "web-1");
  auto r = store_->consume_challenge_and_record(scope, "0123456789abcdef0123456789abcdef", "web-1", affirming(),
                                                ctx_at(1000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::challenge_not_found);
}

TEST_F(ChallengeTest, ChallengeOfAnotherHostFailsAsNotFoundAndStaysUsable) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  ASSERT_TRUE(store_->create_host(scope, host("web-2"), ctx_at(0)));
  auto r = store_->consume_challenge_and_record(scope, ch.id, "web-2", affirming(), ctx_at(1000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::challenge_not_found);
  EXPECT_TRUE(store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000)));
}

TEST_F(ChallengeTest, ChallengeForUnknownHostIsNotFound) {
  const auto scope = tenant("acme");
  auto ch = store_->create_challenge(scope, "ghost", random_nonce(), at(120'000), ctx_at(0));
  ASSERT_FALSE(ch);
  EXPECT_EQ(ch.error().code, StoreErrorCode::not_found);
}

TEST_F(ChallengeTest, SixteenThreadsRacingForOneChallengeExactlyOneWins) {
  const auto scope = tenant("acme");
  for (int round = 0; round < 5; ++round) {
    const auto ch = host_with_challenge(scope, "web-1");
    constexpr int kThreads = 16;
    std::barrier start(kThreads);
    std::atomic<int> wins{0};
    std::atomic<int> consumed{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto r = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000));
        if (r) {
          ++wins;
        } else if (r.error().code == StoreErrorCode::challenge_consumed) {
          ++consumed;
        } else {
          ++other;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(consumed.load(), kThreads - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
  }
  AuditQuery q;
  q.action = "attestation.record";
  EXPECT_EQ(store_->list_audit(scope, q)->size(), 5u);
}

TEST_F(ChallengeTest, PurgeDeletesOnlyChallengesExpiredBeforeCutoff) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  auto old_one = store_->create_challenge(scope, "web-1", random_nonce(), at(10), ctx_at(0));
  auto fresh = store_->create_challenge(scope, "web-1", random_nonce(), at(100'000), ctx_at(0));
  ASSERT_TRUE(old_one && fresh);
  auto purged = store_->purge_expired_challenges(at(50'000));
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(store_->get_challenge(scope, old_one->id, "web-1"));
  EXPECT_TRUE(store_->get_challenge(scope, fresh->id, "web-1"));
}

}  // namespace
}  // namespace attestd::store::testing
