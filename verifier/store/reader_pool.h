// A small pool of read-only WAL connections: reads run in parallel with each other and with the
// writer, each on a snapshot of the last commit.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "attestd/store/error.h"
#include "connection.h"

namespace attestd::store::sqlite {

class ReaderPool {
 public:
  explicit ReaderPool(std::vector<Connection> connections) : connections_(std::move(connections)) {
    for (auto& c : connections_) free_.push_back(&c);
  }
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Runs `fn` (Result<T>(Connection&)) on a free connection, waiting for one if all are leased.
  // An exception escaping `fn` (bad_alloc, a corrupt JSON column) becomes internal.
  template <class F>
  auto with(F&& fn) -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    Connection* conn = acquire();
    struct Release {
      ReaderPool* pool;
      Connection* conn;
      ~Release() { pool->release(conn); }
    } release{this, conn};
    try {
      return fn(*conn);
    } catch (const std::exception& e) {
      return R(std::unexpect, StoreError{StoreErrorCode::internal, fmt::format("read failed: {}", e.what())});
    } catch (...) {
      return R(std::unexpect, StoreError{StoreErrorCode::internal, "read failed with an unknown exception"});
    }
  }

 private:
  Connection* acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    Connection* c = free_.back();
    free_.pop_back();
    return c;
  }
  void release(Connection* c) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    available_.notify_one();
  }

  std::vector<Connection> connections_;  // never resized after construction: free_ points into it
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> free_;
};

}  // namespace attestd::store::sqlite
