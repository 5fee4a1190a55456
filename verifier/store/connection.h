// One SQLite connection: opening with the PRAGMAs attestd relies on, running scripts, and the
// per-connection cache of prepared statements. All SQLite configuration lives here.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "attestd/store/error.h"
#include "attestd/store/store.h"
#include "statement.h"

namespace attestd::store::sqlite {

enum class ConnectionRole {
  writer,  // the single writer: creates the file, switches it to WAL, runs migrations
  reader,  // query_only: a bug that writes through a reader fails instead of bypassing the writer
};

struct ConnectionSettings {
  Durability durability = Durability::full;
  std::chrono::milliseconds busy_timeout{5000};
  std::chrono::milliseconds busy_budget{30000};
};

// Owns a sqlite3* and the statements prepared on it. Used by one thread at a time (the writer
// thread, or whoever leased it from the reader pool), so it is opened without SQLite's mutex.
class Connection {
 public:
  // Opens `path` and applies the PRAGMAs: journal_mode=WAL (writer), foreign_keys=ON,
  // synchronous=FULL|NORMAL, busy_timeout, trusted_schema=OFF, query_only (reader). Fails with
  // internal when the file cannot be opened or WAL cannot be enabled.
  static Result<Connection> open(const std::filesystem::path& path, ConnectionRole role,
                                 const ConnectionSettings& settings);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection() = default;

  // Runs a script of one or more statements (migrations, BEGIN/COMMIT), retrying SQLITE_BUSY
  // within the busy budget.
  Result<void> exec(std::string_view sql);

  // Runs one cached statement that returns no rows (BEGIN IMMEDIATE, SAVEPOINT, COMMIT ...).
  Result<void> run(std::string_view sql) {
    auto q = query(sql);
    if (!q) return std::unexpected(std::move(q.error()));
    return q->run();
  }

  // Prepares (cached) and binds `sql`, ready to step.
  template <class... Args>
  Result<Query> select(std::string_view sql, const Args&... args) {
    auto q = query(sql);
    if (!q) return q;
    if (auto b = q->bind(args...); !b) return std::unexpected(std::move(b.error()));
    return q;
  }

  // Prepares (cached), binds and runs a statement that returns no rows; returns rows changed.
  template <class... Args>
  Result<int64_t> execute(std::string_view sql, const Args&... args) {
    auto q = select(sql, args...);
    if (!q) return std::unexpected(std::move(q.error()));
    if (auto r = q->run(); !r) return std::unexpected(std::move(r.error()));
    return changes();
  }

  // Leases the cached prepared statement for `sql`, preparing it on first use.
  Result<Query> query(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  // False while a transaction is open; SQLite rolls back by itself on some errors (disk full,
  // I/O), which the writer detects with this.
  bool autocommit() const { return sqlite3_get_autocommit(db_.get()) != 0; }
  // Reads one integer PRAGMA or scalar query (tests and migrations).
  Result<int64_t> scalar(std::string_view sql);
  Result<std::string> scalar_text(std::string_view sql);

  sqlite3* raw() const noexcept { return db_.get(); }
  std::chrono::milliseconds busy_budget() const noexcept { return busy_budget_; }

 private:
  struct DbDeleter {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  Connection(sqlite3* db, std::chrono::milliseconds busy_budget) : db_(db), busy_budget_(busy_budget) {}

  // Declared before the cache so that the statements are finalized before the connection closes.
  std::unique_ptr<sqlite3, DbDeleter> db_;
  std::chrono::milliseconds busy_budget_;
  std::unordered_map<std::string, StatementHandle, Hash, std::equal_to<>> cache_;
};

}  // namespace attestd::store::sqlite
