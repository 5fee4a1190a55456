// Busy handling: neither our own concurrency nor another process holding the write lock makes a
// call fail with "database is locked".
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class ConcurrencyTest : public StoreTest {};

TEST_F(ConcurrencyTest, EightWritersAndEightReadersNeverSeeAnError) {
  const auto scope = tenant("acme");
  for (int h = 0; h < 8; ++h) ASSERT_TRUE(store_->create_host(scope, host("host-" + std::to_string(h)), ctx_at(0)));
  constexpr int kWriters = 8;
  constexpr int kReaders = 8;
  constexpr int kOpsPerThread = 250;  // 4,000 operations in all
  std::barrier start(kWriters + kReaders);
  std::mutex errors_mutex;
  std::set<std::string> errors;
  std::vector<std::string> attestation_ids;
  std::mutex ids_mutex;
  auto record_error = [&](const StoreError& e) {
    std::lock_guard lock(errors_mutex);
    errors.insert(std::string(to_string(e.code)) + ": " + e.message);
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const std::string host_id = "host-" + std::to_string(w);
      start.arrive_and_wait();
      for (int i = 0; i < kOpsPerThread / 2; ++i) {
        auto ch = store_->create_challenge(scope, host_id, random_nonce(), at(120'000), ctx_at(i));
        if (!ch) {
          record_error(ch.error());
          continue;
        }
        auto att = store_->consume_challenge_and_record(scope, ch->id, host_id, affirming(), ctx_at(i + 1));
        if (!att) {
          record_error(att.error());
          continue;
        }
        std::lock_guard lock(ids_mutex);
        attestation_ids.push_back(att->id);
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      start.arrive_and_wait();
      for (int i = 0; i < kOpsPerThread; ++i) {
        std::string id;
        {
          std::lock_guard lock(ids_mutex);
          if (!attestation_ids.empty()) id = attestation_ids[static_cast<size_t>(i) % attestation_ids.size()];
        }
        if (!id.empty()) {
          if (auto a = store_->get_attestation(scope, id); !a) record_error(a.error());
        }
        if (auto h = store_->get_host(scope, "host-" + std::to_string(r)); !h) record_error(h.error());
        AuditQuery q;
        q.limit = 20;
        if (auto log = store_->list_audit(scope, q); !log) record_error(log.error());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << *errors.begin();
  EXPECT_EQ(attestation_ids.size(), static_cast<size_t>(kWriters * (kOpsPerThread / 2)));
}

TEST_F(ConcurrencyTest, WriteWaitsOutAnotherProcessHoldingTheWriteLock) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  // Another process (attestctl, say) takes the write lock and keeps it for 300 ms.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto ch = store_->create_challenge(scope, "web-1", random_nonce(), at(120'000), ctx_at(0));
  release.join();
  sqlite3_close(other);
  ASSERT_TRUE(ch) << ch.error().message;
}

TEST_F(ConcurrencyTest, LockHeldBeyondTheBudgetFailsAsUnavailableWithoutSqliteText) {
  close();
  StoreOptions o = options();
  o.busy_timeout = std::chrono::milliseconds(50);
  o.busy_budget = std::chrono::milliseconds(200);
  auto opened = sqlite::SqliteStore::open(db_path(), o);
  ASSERT_TRUE(opened);
  store_ = std::move(*opened);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto t = store_->create_tenant("late", "op", ctx_at(0));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, StoreErrorCode::unavailable);
  EXPECT_EQ(t.error().message.find("locked"), std::string::npos) << t.error().message;
  // And the store works again once the lock is gone.
  EXPECT_TRUE(store_->create_tenant("late", "op", ctx_at(0)));
}

}  // namespace
}  // namespace attestd::store::testing
