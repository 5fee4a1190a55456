// The single writer: one thread owns the only writing connection and commits concurrent write
// requests in batches (group commit).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "attestd/store/error.h"
#include "attestd/store/write_stats.h"
#include "connection.h"

namespace attestd::store::sqlite {

// Callers submit a job and wait on its future. The writer thread takes every queued job (up to
// max_batch), runs them in one BEGIN IMMEDIATE .. COMMIT with each job inside its own SAVEPOINT,
// and resolves the futures only after COMMIT: a job whose future holds a value is durable.
//  - A job that returns an error (or throws) is rolled back to its savepoint and gets that error;
//    the other jobs of the batch still commit.
//  - If the transaction cannot begin or commit (disk full, I/O error, another process holding
//    the lock beyond the busy budget), every job of the batch gets that error and nothing of it
//    is stored.
// One fsync then covers a whole batch, which is what keeps throughput up under Durability::full.
class Writer {
 public:
  Writer(Connection conn, size_t max_batch);
  ~Writer();  // runs every job already queued, then stops
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues `fn` (Result<T>(Connection&)); it runs on the writer thread inside the batch
  // transaction. After shutdown the future is ready at once with unavailable.
  template <class F>
  auto submit(F fn) -> std::future<std::invoke_result_t<F&, Connection&>> {
    using R = std::invoke_result_t<F&, Connection&>;  // Result<T>
    auto state = std::make_shared<TypedState<R>>();
    auto future = state->promise.get_future();
    Job job;
    job.run = [state, fn = std::move(fn)](Connection& conn) mutable -> Result<void> {
      R r = fn(conn);
      if (!r) return std::unexpected(std::move(r.error()));
      state->value.emplace(std::move(r));
      return {};
    };
    job.finish = [state](const StoreError* error) {
      if (error != nullptr) {
        state->promise.set_value(R(std::unexpect, *error));
      } else {
        state->promise.set_value(std::move(*state->value));
      }
    };
    enqueue(std::move(job));
    return future;
  }

  // submit() and wait.
  template <class F>
  auto run(F fn) -> std::invoke_result_t<F&, Connection&> {
    return submit(std::move(fn)).get();
  }

  WriteStats stats() const;

  // Stops accepting jobs, finishes the queued ones and joins the thread. Idempotent.
  void shutdown();

 private:
  struct Job {
    std::function<Result<void>(Connection&)> run;  // inside the job's savepoint
    std::function<void(const StoreError*)> finish;  // after COMMIT (nullptr) or with the failure
  };
  template <class R>
  struct TypedState {
    std::promise<R> promise;
    std::optional<R> value;  // the job's result, held until the batch commits
  };

  void enqueue(Job job);
  void loop();
  void run_batch(std::vector<Job>& batch);

  Connection conn_;
  const size_t max_batch_;
  std::mutex join_mutex_;  // shutdown() from two threads joins once
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  WriteStats stats_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace attestd::store::sqlite
