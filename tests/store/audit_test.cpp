// The audit log: each action writes its row in the same transaction, rows are numbered per
// tenant chain, and the table refuses edits and deletions.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class AuditTest : public StoreTest {};

TEST_F(AuditTest, AttestationIsAuditedWithVerdictReasonsAndActor) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  NewAttestation a = affirming();
  a.verdict = Verdict::contraindicated;
  a.reasons = {{"tpm.quote.pcr_digest_mismatch", "PCR 7"}};
  RequestContext ctx = ctx_at(1000);
  ctx.request_id = "req-42";
  auto att = store_->consume_challenge_and_record(scope, ch.id, "web-1", a, ctx);
  ASSERT_TRUE(att);
  AuditQuery q;
  q.action = "attestation.record";
  auto log = store_->list_audit(scope, q);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  const AuditRecord& r = (*log)[0];
  EXPECT_EQ(r.object, "host:web-1");
  EXPECT_EQ(r.actor, scope.actor());
  EXPECT_EQ(r.time, at(1000));
  EXPECT_EQ(r.request_id, "req-42");
  EXPECT_EQ(r.details["attestation_id"], att->id);
  EXPECT_EQ(r.details["verdict"], "contraindicated");
  EXPECT_EQ(r.details["reasons"], nlohmann::json::array({"tpm.quote.pcr_digest_mismatch"}));
  EXPECT_EQ(r.details["evidence_digests"]["tpm.quote"], "00ff");
}

TEST_F(AuditTest, FailedActionLeavesNoAuditRow) {
  const auto scope = tenant("acme");
  const auto ch = host_with_challenge(scope, "web-1");
  ASSERT_TRUE(store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1)));
  const size_t before = store_->list_audit(scope, AuditQuery{})->size();
  ASSERT_FALSE(store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(2)));
  ASSERT_FALSE(store_->create_host(scope, host("web-1"), ctx_at(3)));
  EXPECT_EQ(store_->list_audit(scope, AuditQuery{})->size(), before);
}

TEST_F(AuditTest, ChainSequenceCountsPerTenantWithoutGaps) {
  const auto a = tenant("a");
  const auto b = tenant("b");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->create_host(a, host("a-" + std::to_string(i)), ctx_at(i)));
    ASSERT_TRUE(store_->create_host(b, host("b-" + std::to_string(i)), ctx_at(i)));
  }
  for (const auto* scope : {&a, &b}) {
    auto log = store_->list_audit(*scope, AuditQuery{});
    ASSERT_TRUE(log);
    // Newest first: chain_seq runs n, n-1, ..., 1.
    int64_t expected = static_cast<int64_t>(log->size());
    for (const auto& r : *log) EXPECT_EQ(r.chain_seq, expected--);
  }
}

TEST_F(AuditTest, CursorPagesThroughNewestFirst) {
  const auto scope = tenant("acme");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->append_audit(scope, AuditEvent{"key.release", "key:k" + std::to_string(i), {}}, ctx_at(i)));
  }
  AuditQuery q;
  q.action = "key.release";
  q.limit = 2;
  auto page1 = store_->list_audit(scope, q);
  ASSERT_TRUE(page1);
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].object, "key:k4");
  q.before_id = page1->back().id;
  auto page2 = store_->list_audit(scope, q);
  ASSERT_TRUE(page2);
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].object, "key:k2");
}

TEST_F(AuditTest, AuditTableRefusesUpdateAndDelete) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->append_audit(scope, AuditEvent{"x", "y", {}}, ctx_at(0)));
  close();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE audit SET actor = 'someone else'", nullptr, nullptr, nullptr), SQLITE_CONSTRAINT);
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr), SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

TEST_F(AuditTest, SystemEventsStayOutOfTenantLogs) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->append_system_audit("unknown", AuditEvent{"auth.failure", "client:10.0.0.1", {}}, ctx_at(0)));
  AuditQuery q;
  q.action = "auth.failure";
  EXPECT_TRUE(store_->list_audit(scope, q)->empty());
}

}  // namespace
}  // namespace attestd::store::testing
