// Opening the SQLite store: the writer connection (creates the file, WAL, migrations), the
// readers, and the writer thread.
#include "sqlite_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "migrations.h"

namespace attestd::store {

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, const StoreOptions& options) {
  auto store = sqlite::SqliteStore::open(path, options);
  if (!store) return std::unexpected(std::move(store.error()));
  return std::unique_ptr<Store>(std::move(*store));
}

namespace sqlite {

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       const StoreOptions& options) {
  const ConnectionSettings settings{options.durability, options.busy_timeout, options.busy_budget};
  auto writer = Connection::open(path, ConnectionRole::writer, settings);
  if (!writer) return std::unexpected(std::move(writer.error()));

  // Migrations are the one place the store reads the wall clock: applied_at is informational
  // and no test depends on it.
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  if (auto r = migrate(*writer, now); !r) return std::unexpected(std::move(r.error()));

  std::vector<Connection> readers;
  const int count = std::max(1, options.reader_connections);
  readers.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto reader = Connection::open(path, ConnectionRole::reader, settings);
    if (!reader) return std::unexpected(std::move(reader.error()));
    readers.push_back(std::move(*reader));
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<Writer>(std::move(*writer), options.max_batch),
                      std::make_unique<ReaderPool>(std::move(readers))));
}

SqliteStore::~SqliteStore() {
  // Queued writes finish before the connections close (graceful shutdown, issue 4).
  writer_->shutdown();
}

Result<std::string> SqliteStore::pragma(std::string_view name, ConnectionRole on) {
  const std::string sql = fmt::format("PRAGMA {}", name);
  auto read = [&](Connection& c) -> Result<std::string> { return c.scalar_text(sql); };
  if (on == ConnectionRole::writer) return writer_->run(read);
  return readers_->with(read);
}

}  // namespace sqlite
}  // namespace attestd::store
