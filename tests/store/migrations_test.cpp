// Opening the store: the file is created and migrated once, reopening changes nothing, and the
// connections really run with WAL, foreign keys and the chosen synchronous level.
#include <gtest/gtest.h>

#include "connection.h"
#include "migrations.h"
#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

using sqlite::ConnectionRole;

// Reads one integer from the database file with a plain connection of the test's own.
int64_t query_file(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int64_t value = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

class MigrationsTest : public StoreTest {};

TEST_F(MigrationsTest, OpenCreatesFileAtNewestSchemaVersion) {
  ASSERT_TRUE(std::filesystem::exists(db_path()));
  const int64_t newest = sqlite::migrations().back().version;
  close();
  EXPECT_EQ(query_file(db_path(), "SELECT MAX(version) FROM schema_version"), newest);
  EXPECT_EQ(query_file(db_path(), "SELECT COUNT(*) FROM schema_version"), newest);
}

TEST_F(MigrationsTest, ReopeningAppliesNothingAndKeepsData) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  for (int i = 0; i < 3; ++i) reopen();
  close();
  EXPECT_EQ(query_file(db_path(), "SELECT COUNT(*) FROM schema_version"),
            static_cast<int64_t>(sqlite::migrations().size()));
  EXPECT_EQ(query_file(db_path(), "SELECT COUNT(*) FROM hosts"), 1);
}

TEST_F(MigrationsTest, DatabaseFromNewerBuildIsRefused) {
  close();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version VALUES (999, 0)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto opened = Store::open(db_path());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, StoreErrorCode::internal);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

TEST_F(MigrationsTest, JournalModeIsWalOnWriterAndReaders) {
  EXPECT_EQ(store_->pragma("journal_mode", ConnectionRole::writer), "wal");
  EXPECT_EQ(store_->pragma("journal_mode", ConnectionRole::reader), "wal");
  close();
  // WAL is a property of the file, so any later connection gets it too.
  EXPECT_EQ(query_file(db_path(), "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

TEST_F(MigrationsTest, ForeignKeysAreOnForEveryConnection) {
  EXPECT_EQ(store_->pragma("foreign_keys", ConnectionRole::writer), "1");
  EXPECT_EQ(store_->pragma("foreign_keys", ConnectionRole::reader), "1");
}

TEST_F(MigrationsTest, SynchronousIsFullByDefault) {
  // 2 = FULL: every commit is fsynced before the write call returns (see Durability).
  EXPECT_EQ(store_->pragma("synchronous", ConnectionRole::writer), "2");
}

TEST_F(MigrationsTest, ReadersAreQueryOnly) {
  EXPECT_EQ(store_->pragma("query_only", ConnectionRole::reader), "1");
  EXPECT_EQ(store_->pragma("query_only", ConnectionRole::writer), "0");
}

TEST_F(MigrationsTest, ForeignKeyViolationIsRejectedByTheWriterConnection) {
  // A challenge row for a host that does not exist would be an orphan: the writer's connection
  // refuses it at the SQL level, independent of the store's own checks.
  sqlite::ConnectionSettings settings;
  auto conn = sqlite::Connection::open(db_path(), ConnectionRole::writer, settings);
  ASSERT_TRUE(conn) << conn.error().message;
  auto inserted = conn->execute(
      "INSERT INTO challenges (id, tenant_id, host_id, nonce, created_at, expires_at) "
      "VALUES ('c', 't', 'h', zeroblob(32), 0, 1)");
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, StoreErrorCode::conflict);
  EXPECT_NE(inserted.error().message.find("FOREIGN KEY"), std::string::npos) << inserted.error().message;
}

}  // namespace
}  // namespace attestd::store::testing
