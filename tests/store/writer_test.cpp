// Group commit: concurrent write jobs share transactions, each job rolls back alone on failure,
// and a result is only delivered once its batch has committed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include "connection.h"
#include "store_fixture.h"
#include "writer.h"

namespace attestd::store::testing {
namespace {

using sqlite::Connection;
using sqlite::ConnectionRole;
using sqlite::Writer;

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(dir_.path() / "w.db", ConnectionRole::writer, {});
    ASSERT_TRUE(conn) << conn.error().message;
    ASSERT_TRUE(conn->exec("CREATE TABLE t (k INTEGER PRIMARY KEY)"));
    writer_ = std::make_unique<Writer>(std::move(*conn), 256);
  }

  // A job inserting key `k`; a duplicate key fails with conflict.
  static auto insert(int64_t k) {
    return [k](Connection& c) -> Result<int64_t> {
      auto r = c.execute("INSERT INTO t (k) VALUES (?)", k);
      if (!r) return std::unexpected(r.error());
      return k;
    };
  }

  int64_t count(std::string_view where = "1") {
    const std::string sql = fmt::format("SELECT COUNT(*) FROM t WHERE {}", where);
    return *writer_->run([&](Connection& c) { return c.scalar(sql); });
  }

  TempDir dir_;
  std::unique_ptr<Writer> writer_;
};

// Holds the writer thread inside a job until released, so that jobs submitted meanwhile queue up
// and form the next batch deterministically.
struct Gate {
  std::latch entered{1};
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();

  auto job() {
    return [this](Connection&) -> Result<int> {
      entered.count_down();
      opened.wait();
      return 0;
    };
  }
};

TEST_F(WriterTest, JobsQueuedDuringACommitFormOneBatch) {
  Gate gate;
  auto blocker = writer_->submit(gate.job());
  gate.entered.wait();
  std::vector<std::future<Result<int64_t>>> futures;
  for (int64_t k = 0; k < 10; ++k) futures.push_back(writer_->submit(insert(k)));
  gate.open.set_value();
  ASSERT_TRUE(blocker.get());
  for (auto& f : futures) EXPECT_TRUE(f.get());

  const WriteStats stats = writer_->stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.jobs, 11u);
  EXPECT_EQ(stats.batch_size_buckets[store::batch_size_bucket(1)], 1u);
  EXPECT_EQ(stats.batch_size_buckets[store::batch_size_bucket(10)], 1u);
}

TEST_F(WriterTest, FailingJobRollsBackAloneAndOthersInItsBatchCommit) {
  ASSERT_TRUE(writer_->run(insert(5)));  // makes a later insert of 5 conflict
  Gate gate;
  auto blocker = writer_->submit(gate.job());
  gate.entered.wait();
  auto first = writer_->submit(insert(1));
  // Writes 6 and then fails: the write of 6 must be undone with it.
  auto failing = writer_->submit([](Connection& c) -> Result<int64_t> {
    if (auto r = c.execute("INSERT INTO t (k) VALUES (6)"); !r) return std::unexpected(r.error());
    auto dup = c.execute("INSERT INTO t (k) VALUES (5)");
    if (!dup) return std::unexpected(dup.error());
    return 5;
  });
  auto throwing = writer_->submit([](Connection&) -> Result<int64_t> { throw std::runtime_error("boom"); });
  auto last = writer_->submit(insert(2));
  gate.open.set_value();
  ASSERT_TRUE(blocker.get());

  EXPECT_TRUE(first.get());
  auto failed = failing.get();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, StoreErrorCode::conflict);
  auto thrown = throwing.get();
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, StoreErrorCode::internal);
  EXPECT_NE(thrown.error().message.find("boom"), std::string::npos);
  EXPECT_TRUE(last.get());

  EXPECT_EQ(count("k IN (1, 2, 5)"), 3);
  EXPECT_EQ(count("k = 6"), 0) << "the failing job's own earlier write must be rolled back";
  const WriteStats stats = writer_->stats();
  EXPECT_EQ(stats.failed_jobs, 2u);
  EXPECT_EQ(stats.failed_batches, 0u);
  EXPECT_EQ(stats.batch_size_buckets[store::batch_size_bucket(4)], 1u);
}

TEST_F(WriterTest, ResultIsDeliveredOnlyAfterCommit) {
  // A reader on another connection must see the row as soon as the future is ready.
  auto reader = Connection::open(dir_.path() / "w.db", ConnectionRole::reader, {});
  ASSERT_TRUE(reader);
  for (int64_t k = 100; k < 120; ++k) {
    ASSERT_TRUE(writer_->run(insert(k)));
    auto seen = reader->select("SELECT COUNT(*) FROM t WHERE k = ?", k);
    ASSERT_TRUE(seen);
    ASSERT_TRUE(*seen->step());
    EXPECT_EQ(seen->integer(0), 1) << k;
  }
}

TEST_F(WriterTest, BatchesNeverExceedMaxBatch) {
  auto conn = Connection::open(dir_.path() / "small.db", ConnectionRole::writer, {});
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->exec("CREATE TABLE t (k INTEGER PRIMARY KEY)"));
  Writer small(std::move(*conn), 4);
  Gate gate;
  auto blocker = small.submit(gate.job());
  gate.entered.wait();
  std::vector<std::future<Result<int64_t>>> futures;
  for (int64_t k = 0; k < 10; ++k) futures.push_back(small.submit(insert(k)));
  gate.open.set_value();
  for (auto& f : futures) EXPECT_TRUE(f.get());
  const WriteStats stats = small.stats();
  EXPECT_EQ(stats.jobs, 11u);
  EXPECT_EQ(stats.batches, 4u);  // 1 (gate) + 4 + 4 + 2
}

TEST_F(WriterTest, SubmitAfterShutdownFailsAsUnavailable) {
  writer_->shutdown();
  auto r = writer_->run(insert(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::unavailable);
}

TEST_F(WriterTest, ShutdownRunsJobsAlreadyQueued) {
  Gate gate;
  auto blocker = writer_->submit(gate.job());
  gate.entered.wait();
  std::vector<std::future<Result<int64_t>>> futures;
  for (int64_t k = 0; k < 5; ++k) futures.push_back(writer_->submit(insert(k)));
  std::thread stopper([&] { writer_->shutdown(); });
  gate.open.set_value();
  stopper.join();
  for (auto& f : futures) EXPECT_TRUE(f.get());
}

class GroupCommitTest : public StoreTest {};

TEST_F(GroupCommitTest, ThirtyTwoConcurrentWritersShareTransactions) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  const WriteStats before = store_->write_stats();
  constexpr int kThreads = 32;
  constexpr int kPerThread = 20;
  std::barrier start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int j = 0; j < kPerThread; ++j) {
        if (!store_->create_challenge(scope, "web-1", random_nonce(), at(120'000), ctx_at(0))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const WriteStats after = store_->write_stats();
  const uint64_t jobs = after.jobs - before.jobs;
  const uint64_t batches = after.batches - before.batches;
  EXPECT_EQ(jobs, static_cast<uint64_t>(kThreads * kPerThread));
  const double mean = static_cast<double>(jobs) / static_cast<double>(batches);
  EXPECT_GT(mean, 1.0) << jobs << " jobs in " << batches << " batches";
  uint64_t bucketed = 0;
  for (const auto n : after.batch_size_buckets) bucketed += n;
  EXPECT_EQ(bucketed, after.batches);
  RecordProperty("mean_batch_size", std::to_string(mean));
}

}  // namespace
}  // namespace attestd::store::testing
