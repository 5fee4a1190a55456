// Bounded exponential backoff for SQLITE_BUSY that SQLite's own busy handler did not absorb.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace attestd::store::sqlite {

class BusyBackoff {
 public:
  explicit BusyBackoff(std::chrono::milliseconds budget)
      : deadline_(std::chrono::steady_clock::now() + budget) {}

  // Sleeps before the next attempt; false (without sleeping) once the budget is spent.
  bool wait() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) return false;
    const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - now);
    std::this_thread::sleep_for(std::min(delay_, remaining));
    delay_ = std::min(delay_ * 2, std::chrono::microseconds(50'000));
    ++attempts_;
    return true;
  }

  int attempts() const { return attempts_; }

 private:
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::microseconds delay_{200};
  int attempts_ = 0;
};

}  // namespace attestd::store::sqlite
