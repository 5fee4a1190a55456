// What was acknowledged is still there after a close and reopen, and after the process is
// killed with SIGKILL (issue 11) right after the acknowledgement.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class DurabilityTest : public StoreTest {};

TEST_F(DurabilityTest, EverythingAcknowledgedSurvivesCloseAndReopen) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "default", {{"v", 1}}, ctx_at(0)));
  const auto ch = host_with_challenge(scope, "web-1");
  auto att = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000));
  ASSERT_TRUE(att);
  const size_t audit_rows = store_->list_audit(scope, AuditQuery{})->size();

  reopen();
  EXPECT_TRUE(store_->get_host(scope, "web-1"));
  EXPECT_TRUE(store_->get_document(scope, DocumentKind::policy, "default", std::nullopt));
  EXPECT_TRUE(store_->get_attestation(scope, att->id));
  EXPECT_EQ(store_->get_challenge(scope, ch.id, "web-1")->consumed_at, at(1000));
  EXPECT_EQ(store_->list_audit(scope, AuditQuery{})->size(), audit_rows);
  auto replay = store_->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(2000));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, StoreErrorCode::challenge_consumed);
}

TEST_F(DurabilityTest, AcknowledgedConsumptionSurvivesSigkill) {
  const auto scope = tenant("acme");
  std::vector<Challenge> challenges;
  for (int i = 0; i < 20; ++i) challenges.push_back(host_with_challenge(scope, "web-1"));
  close();

  int ack[2];
  ASSERT_EQ(pipe(ack), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child consumes every challenge, writing one byte per acknowledged consumption, then
    // waits to be killed: nothing after the acknowledgement (no close, no checkpoint) runs.
    ::close(ack[0]);
    auto child_store = Store::open(db_path(), options());
    if (!child_store) _exit(2);
    for (const auto& ch : challenges) {
      if (!(*child_store)->consume_challenge_and_record(scope, ch.id, "web-1", affirming(), ctx_at(1000))) _exit(3);
      if (::write(ack[1], "x", 1) != 1) _exit(4);
    }
    for (;;) pause();
  }
  ::close(ack[1]);
  int acknowledged = 0;
  char byte = 0;
  while (acknowledged < 10 && ::read(ack[0], &byte, 1) == 1) ++acknowledged;
  ::kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  while (::read(ack[0], &byte, 1) == 1) ++acknowledged;
  ::close(ack[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(acknowledged, 10);

  reopen();
  int consumed = 0;
  for (const auto& ch : challenges) {
    if (store_->get_challenge(scope, ch.id, "web-1")->consumed_at) ++consumed;
  }
  // Every acknowledged consumption is on disk (there may be one more committed whose byte the
  // kill beat).
  EXPECT_GE(consumed, acknowledged);
  AuditQuery q;
  q.action = "attestation.record";
  EXPECT_EQ(store_->list_audit(scope, q)->size(), static_cast<size_t>(consumed));
}

}  // namespace
}  // namespace attestd::store::testing
