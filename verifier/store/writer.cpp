// Group commit on the single writing connection.
#include "writer.h"

#include <fmt/format.h>

#include <exception>
#include <vector>

#include "busy.h"

namespace attestd::store::sqlite {

Writer::Writer(Connection conn, size_t max_batch)
    : conn_(std::move(conn)), max_batch_(max_batch == 0 ? 1 : max_batch), thread_([this] { loop(); }) {}

Writer::~Writer() { shutdown(); }

void Writer::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  std::lock_guard join_lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

WriteStats Writer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Writer::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  const StoreError closed{StoreErrorCode::unavailable, "the store is shutting down"};
  job.finish(&closed);
}

void Writer::loop() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Whatever queued while the previous batch was committing forms the next batch: under load
      // batches grow by themselves, and a lone request is committed without waiting for company.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

namespace {

// Runs one job, turning an escaped exception (bad_alloc, a JSON library error) into its error.
Result<void> run_guarded(const std::function<Result<void>(Connection&)>& fn, Connection& conn) {
  try {
    return fn(conn);
  } catch (const std::exception& e) {
    return std::unexpected(StoreError{StoreErrorCode::internal, fmt::format("write job failed: {}", e.what())});
  } catch (...) {
    return std::unexpected(StoreError{StoreErrorCode::internal, "write job failed with an unknown exception"});
  }
}

}  // namespace

void Writer::run_batch(std::vector<Job>& batch) {
  // nullopt: the job succeeded (pending commit); otherwise its own error.
  std::vector<std::optional<StoreError>> outcome(batch.size());
  std::optional<StoreError> batch_error;
  uint64_t failed = 0;

  // BEGIN IMMEDIATE takes the write lock up front, so no statement inside the batch can hit
  // SQLITE_BUSY halfway. Only another process (attestctl) can hold it; busy_timeout and the
  // statement's retry wait that out within the busy budget.
  const auto begun = std::chrono::steady_clock::now();
  if (auto r = conn_.run("BEGIN IMMEDIATE"); !r) {
    batch_error = std::move(r.error());
  }
  const bool waited = std::chrono::steady_clock::now() - begun > std::chrono::milliseconds(5);

  for (size_t i = 0; i < batch.size() && !batch_error; ++i) {
    if (auto r = conn_.run("SAVEPOINT job"); !r) {
      batch_error = std::move(r.error());
      break;
    }
    auto result = run_guarded(batch[i].run, conn_);
    if (conn_.autocommit()) {
      // SQLite rolled the whole transaction back by itself (disk full, I/O error): the jobs
      // before this one are lost too.
      batch_error = result ? StoreError{StoreErrorCode::internal, "transaction rolled back by SQLite"}
                           : std::move(result.error());
      break;
    }
    if (result) {
      if (auto r = conn_.run("RELEASE job"); !r) batch_error = std::move(r.error());
      continue;
    }
    outcome[i] = std::move(result.error());
    ++failed;
    // ROLLBACK TO undoes the job but leaves the savepoint open; RELEASE closes it.
    auto undone = conn_.run("ROLLBACK TO job");
    if (undone) undone = conn_.run("RELEASE job");
    if (!undone) batch_error = std::move(undone.error());
  }

  if (!batch_error) {
    if (auto r = conn_.run("COMMIT"); !r) batch_error = std::move(r.error());
  }
  if (batch_error && !conn_.autocommit()) (void)conn_.run("ROLLBACK");

  {
    std::lock_guard lock(mutex_);
    stats_.batches += 1;
    stats_.jobs += batch.size();
    stats_.failed_jobs += batch_error ? batch.size() : failed;
    stats_.failed_batches += batch_error ? 1U : 0U;
    stats_.lock_waits += waited ? 1U : 0U;
    stats_.batch_size_buckets[batch_size_bucket(batch.size())] += 1;
  }

  // Futures resolve only now, after COMMIT: an acknowledged write is a durable write.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch_error) {
      batch[i].finish(&*batch_error);
    } else if (outcome[i]) {
      batch[i].finish(&*outcome[i]);
    } else {
      batch[i].finish(nullptr);
    }
  }
}

}  // namespace attestd::store::sqlite
