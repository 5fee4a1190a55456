// The schema of the attestd database, as an ordered list of migrations applied in code.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "attestd/store/error.h"
#include "attestd/store/records.h"
#include "connection.h"

namespace attestd::store::sqlite {

struct Migration {
  int64_t version;       // 1, 2, ...; never renumbered once shipped
  std::string_view sql;  // DDL; never edited once shipped: fix with a new migration
};

// Every migration, ascending.
std::span<const Migration> migrations();

// Brings the database to the newest schema: each pending migration runs in its own
// BEGIN IMMEDIATE transaction together with its schema_version row, re-checking the version
// under the write lock so that two processes starting together apply it once. Running it on an
// up-to-date database changes nothing. Fails with internal when the database is newer than this
// build (refusing to run old code against a schema it does not know).
Result<void> migrate(Connection& conn, Timestamp now);

// The highest applied version (0 for a new file).
Result<int64_t> schema_version(Connection& conn);

}  // namespace attestd::store::sqlite
