// Binding, stepping and column access for cached statements.
#include "statement.h"

#include <fmt/format.h>

#include <thread>

#include "busy.h"

namespace attestd::store::sqlite {

StoreError sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    // The caller gets a retryable "unavailable", never SQLite's "database is locked".
    return StoreError{StoreErrorCode::unavailable, fmt::format("{}: storage stayed busy beyond the retry budget", what)};
  }
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (primary == SQLITE_CONSTRAINT) {
    return StoreError{StoreErrorCode::conflict, fmt::format("{}: {}", what, message)};
  }
  return StoreError{StoreErrorCode::internal, fmt::format("{}: {} (SQLite {})", what, message, rc)};
}

Query::~Query() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query::Query(Query&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), busy_budget_(other.busy_budget_), returned_row_(other.returned_row_) {}

Result<void> Query::check_bind(int rc, int index) {
  if (rc == SQLITE_OK) return {};
  return std::unexpected(sqlite_error(sqlite3_db_handle(stmt_), rc, fmt::format("binding parameter {}", index)));
}

Result<void> Query::bind_one(int index, std::string_view value) {
  return check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Result<void> Query::bind_one(int index, std::span<const uint8_t> value) {
  // An empty span may have a null data pointer, which SQLite would bind as NULL: bind a
  // zero-length blob instead so that NOT NULL columns accept it.
  if (value.empty()) return check_bind(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  return check_bind(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT), index);
}

Result<bool> Query::step() {
  BusyBackoff backoff(busy_budget_);
  for (;;) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      returned_row_ = true;
      return true;
    }
    if (rc == SQLITE_DONE) return false;
    const int primary = rc & 0xff;
    // SQLite's busy handler already waited busy_timeout for lock acquisition; some busy cases
    // (WAL recovery, a snapshot that moved) bypass it, so restart the statement ourselves. A
    // statement that already produced rows cannot be restarted without repeating them.
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && !returned_row_ && backoff.wait()) {
      sqlite3_reset(stmt_);
      continue;
    }
    return std::unexpected(sqlite_error(sqlite3_db_handle(stmt_), rc, "executing statement"));
  }
}

Result<void> Query::run() {
  for (;;) {
    auto r = step();
    if (!r) return std::unexpected(std::move(r.error()));
    if (!*r) return {};
  }
}

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Bytes Query::blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return Bytes(p, p + n);
}

}  // namespace attestd::store::sqlite
