// A prepared SQLite statement owned by a Connection's cache, and the lease through which one call
// uses it: binding, stepping with busy retry, and reading columns.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "attestd/store/error.h"
#include "attestd/store/records.h"

namespace attestd::store::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// SQL NULL as a bind argument.
struct Null {};

// One use of a cached statement. Parameters are bound by position (1-based, in the order given to
// bind()); on destruction the statement is reset and its bindings cleared, so the next lease
// starts clean and no read transaction is held open by a half-stepped statement.
class Query {
 public:
  Query(sqlite3_stmt* stmt, std::chrono::milliseconds busy_budget) noexcept : stmt_(stmt), busy_budget_(busy_budget) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;

  // Binds every argument in order starting at parameter 1. Supported: integers, Timestamp,
  // std::string / std::string_view / const char*, byte spans and vectors and arrays, Null,
  // std::optional of any of these (nullopt binds NULL). Fails with internal on a SQLite error.
  template <class... Args>
  Result<void> bind(const Args&... args) {
    int index = 1;
    Result<void> result;
    ((result = result ? bind_one(index++, args) : result), ...);
    return result;
  }

  // Advances to the next row: true for a row, false when done. SQLITE_BUSY before the first row
  // is retried (the statement is restarted) within the busy budget, then reported as unavailable;
  // a constraint violation is conflict; anything else internal.
  Result<bool> step();
  // Steps a statement that returns no rows to completion.
  Result<void> run();

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  Timestamp time(int col) const { return Timestamp(std::chrono::milliseconds(integer(col))); }
  std::optional<Timestamp> optional_time(int col) const {
    return is_null(col) ? std::nullopt : std::optional<Timestamp>(time(col));
  }
  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
  Bytes blob(int col) const;
  // A blob that must be exactly N bytes (nonces, digests); nullopt when it is not.
  template <size_t N>
  std::optional<std::array<uint8_t, N>> fixed_blob(int col) const {
    const Bytes b = blob(col);
    if (b.size() != N) return std::nullopt;
    std::array<uint8_t, N> out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
  }

  sqlite3_stmt* raw() const noexcept { return stmt_; }

 private:
  Result<void> check_bind(int rc, int index);
  Result<void> bind_one(int index, int64_t value) { return check_bind(sqlite3_bind_int64(stmt_, index, value), index); }
  Result<void> bind_one(int index, int value) { return bind_one(index, static_cast<int64_t>(value)); }
  Result<void> bind_one(int index, bool value) { return bind_one(index, static_cast<int64_t>(value ? 1 : 0)); }
  Result<void> bind_one(int index, Timestamp value) { return bind_one(index, static_cast<int64_t>(value.time_since_epoch().count())); }
  Result<void> bind_one(int index, std::string_view value);
  Result<void> bind_one(int index, const std::string& value) { return bind_one(index, std::string_view(value)); }
  Result<void> bind_one(int index, const char* value) { return bind_one(index, std::string_view(value)); }
  Result<void> bind_one(int index, std::span<const uint8_t> value);
  Result<void> bind_one(int index, const Bytes& value) { return bind_one(index, std::span<const uint8_t>(value)); }
  template <size_t N>
  Result<void> bind_one(int index, const std::array<uint8_t, N>& value) {
    return bind_one(index, std::span<const uint8_t>(value));
  }
  Result<void> bind_one(int index, Null) { return check_bind(sqlite3_bind_null(stmt_, index), index); }
  template <class T>
  Result<void> bind_one(int index, const std::optional<T>& value) {
    return value ? bind_one(index, *value) : bind_one(index, Null{});
  }

  sqlite3_stmt* stmt_;
  std::chrono::milliseconds busy_budget_;
  bool returned_row_ = false;
};

// Maps a SQLite result code (with the connection's message) to a StoreError: busy and locked
// become unavailable without SQLite's "database is locked" text, constraints conflict.
StoreError sqlite_error(sqlite3* db, int rc, std::string_view what);

}  // namespace attestd::store::sqlite
