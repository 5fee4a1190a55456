// A million audit records (issue 7 acceptance): filtered queries over them return exactly the
// right records, newest first. Only correctness is asserted; bench/audit reports the time.
// The rows are written in one bulk transaction, with real chain hashes and index rows, exactly as
// append_audit_row would write them (the chain is verified at the end to prove it).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "attestd/store/audit_chain.h"
#include "audit_bulk.h"
#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

constexpr int64_t kRecords = 1'000'000;

class AuditMillionTest : public StoreTest {};

TEST_F(AuditMillionTest, FilteredQueriesOverAMillionRecordsAreExact) {
  const auto a = tenant("big");
  const auto b = tenant("small", Role::auditor);
  const int64_t before = static_cast<int64_t>(store_->export_audit(a, 0, std::nullopt, 10000)->size());
  close();
  auto bulk = bulk_append(db_path(), a.tenant_id(), before, kRecords);
  ASSERT_TRUE(bulk) << bulk.error();
  reopen();

  // host + verdict: the expected answer, computed from the generator, newest first.
  // The host of a record with both reasons (i % 20 == 3): every record of it has them, since
  // hosts repeat every 1000 records.
  const std::string host = bulk_host(bulk_host_index(999'983));
  std::vector<int64_t> expected;
  for (int64_t i = kRecords - 1; i >= 0 && expected.size() < 50; --i) {
    if (bulk_host(bulk_host_index(i)) == host && bulk_verdict(i) == "contraindicated") {
      expected.push_back(before + i + 1);
    }
  }
  ASSERT_FALSE(expected.empty());
  AuditQuery q;
  q.host = host;
  q.verdict = "contraindicated";
  q.limit = 50;
  auto got = store_->list_audit(a, q);
  ASSERT_TRUE(got) << got.error().message;
  std::vector<int64_t> seqs;
  for (const auto& r : *got) seqs.push_back(r.chain_seq);
  EXPECT_EQ(seqs, expected);
  for (const auto& r : *got) {
    EXPECT_EQ(r.object, "host:" + host);
    EXPECT_EQ(r.details["verdict"], "contraindicated");
  }

  // reason + host, and a second page through the cursor.
  expected.clear();
  for (int64_t i = kRecords - 1; i >= 0 && expected.size() < 20; --i) {
    const auto reasons = bulk_reasons(i);
    if (bulk_host(bulk_host_index(i)) == host &&
        std::find(reasons.begin(), reasons.end(), "eventlog.replay.pcr_mismatch") != reasons.end()) {
      expected.push_back(before + i + 1);
    }
  }
  q = {};
  q.reason = "eventlog.replay.pcr_mismatch";
  q.host = host;
  q.limit = 10;
  seqs.clear();
  for (int page = 0; page < 2; ++page) {
    auto p = store_->list_audit(a, q);
    ASSERT_TRUE(p) << p.error().message;
    for (const auto& r : *p) seqs.push_back(r.chain_seq);
    ASSERT_FALSE(p->empty());
    q.before_id = p->back().id;
  }
  EXPECT_EQ(seqs, expected);

  // A time window: records i with time in [since, until) are exactly i in [500000, 500010).
  q = {};
  q.since = bulk_time(500'000);
  q.until = bulk_time(500'010);
  auto window = store_->list_audit(a, q);
  ASSERT_TRUE(window);
  seqs.clear();
  for (const auto& r : *window) seqs.push_back(r.chain_seq);
  std::vector<int64_t> window_expected;
  for (int64_t i = 500'009; i >= 500'000; --i) window_expected.push_back(before + i + 1);
  EXPECT_EQ(seqs, window_expected);

  // Another tenant's auditor sees none of it.
  q = {};
  q.host = host;
  EXPECT_TRUE(store_->list_audit(b, q)->empty());
  q = {};
  q.reason = "eventlog.replay.pcr_mismatch";
  EXPECT_TRUE(store_->list_audit(b, q)->empty());

  // The bulk rows are a valid continuation of the chain: the store appends after them.
  auto next = store_->append_audit(a, {"test.after", "x", nlohmann::json::object()}, ctx_at(0));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->chain_seq, before + kRecords + 1);
  auto tail = store_->export_audit(a, before + kRecords - 1, std::nullopt, 10);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1].prev_hash, (*tail)[0].hash);
}

}  // namespace
}  // namespace attestd::store::testing
