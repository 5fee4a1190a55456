// Opening SQLite connections and the PRAGMAs that make them attestd connections.
#include "connection.h"

#include <fmt/format.h>

#include "busy.h"

namespace attestd::store::sqlite {

Result<Connection> Connection::open(const std::filesystem::path& path, ConnectionRole role,
                                    const ConnectionSettings& settings) {
  // NOMUTEX: a connection is only ever used by one thread at a time (writer thread or pool lease).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (role == ConnectionRole::writer) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection conn(raw, settings.busy_budget);  // owns raw even when open failed
  if (rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(raw, rc, fmt::format("opening {}", path.string())));
  }
  sqlite3_busy_timeout(raw, static_cast<int>(settings.busy_timeout.count()));

  if (role == ConnectionRole::writer) {
    // WAL lets readers run beside the single writer and makes a commit one append (plus one fsync
    // under synchronous=FULL). The mode is stored in the file, so readers inherit it.
    auto mode = conn.scalar_text("PRAGMA journal_mode=WAL");
    if (!mode) return std::unexpected(std::move(mode.error()));
    if (*mode != "wal") {
      return std::unexpected(StoreError{StoreErrorCode::internal,
                                        fmt::format("{}: journal_mode is '{}', WAL is required", path.string(), *mode)});
    }
  }
  // Per-connection settings (not stored in the file), so every connection sets them.
  // synchronous: see Durability in store.h. trusted_schema=OFF: schema-defined functions in a
  // tampered file cannot run with our privileges. temp_store=MEMORY: statement journals and sort
  // spills stay in memory, so a write never creates, probes and unlinks a temp file (six syscalls
  // per transaction under load) and a stored secret's pages never land in a temp file.
  const std::string pragmas = fmt::format(
      "PRAGMA foreign_keys=ON; PRAGMA synchronous={}; PRAGMA trusted_schema=OFF; PRAGMA query_only={}; "
      "PRAGMA temp_store=MEMORY;",
      settings.durability == Durability::full ? "FULL" : "NORMAL", role == ConnectionRole::reader ? "ON" : "OFF");
  if (auto r = conn.exec(pragmas); !r) return std::unexpected(std::move(r.error()));
  return conn;
}

Result<void> Connection::exec(std::string_view sql) {
  const std::string script(sql);  // sqlite3_exec needs a terminated string
  BusyBackoff backoff(busy_budget_);
  for (;;) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);  // the connection's errmsg carries the same text
    if (rc == SQLITE_OK) return {};
    const int primary = rc & 0xff;
    // Only a script that changed nothing may be retried: attestd's scripts are single statements
    // or BEGIN/COMMIT, which fail on busy before doing anything.
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && backoff.wait()) continue;
    return std::unexpected(sqlite_error(db_.get(), rc, fmt::format("running '{}'", sql.substr(0, 60))));
  }
}

Result<Query> Connection::query(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    // PERSISTENT: these statements live as long as the connection.
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return std::unexpected(sqlite_error(db_.get(), rc, fmt::format("preparing '{}'", sql.substr(0, 60))));
    }
    it = cache_.emplace(std::string(sql), StatementHandle(stmt)).first;
  }
  return Query(it->second.get(), busy_budget_);
}

Result<int64_t> Connection::scalar(std::string_view sql) {
  auto q = query(sql);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("'{}' returned no row", sql)});
  return q->integer(0);
}

Result<std::string> Connection::scalar_text(std::string_view sql) {
  auto q = query(sql);
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = q->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("'{}' returned no row", sql)});
  return q->text(0);
}

}  // namespace attestd::store::sqlite
