// Counters of the group-commit writer, for GET /metrics ("database write batch sizes").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace attestd::store {

struct WriteStats {
  // Upper bounds (inclusive) of the batch-size histogram buckets; the last bucket is unbounded.
  // Each bucket counts its own batches; a Prometheus exporter accumulates them.
  static constexpr std::array<uint64_t, 10> kBucketBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, UINT64_MAX};

  uint64_t batches = 0;          // transactions committed or attempted
  uint64_t jobs = 0;             // write jobs run
  uint64_t failed_jobs = 0;      // jobs that returned an error (rolled back alone)
  uint64_t failed_batches = 0;   // transactions that could not begin or commit
  uint64_t lock_waits = 0;       // batches whose BEGIN waited (> 5 ms) for another process's lock
  std::array<uint64_t, kBucketBounds.size()> batch_size_buckets{};

  double mean_batch_size() const {
    return batches == 0 ? 0.0 : static_cast<double>(jobs) / static_cast<double>(batches);
  }
};

// Index of the bucket that counts a batch of `size` jobs.
constexpr size_t batch_size_bucket(uint64_t size) {
  size_t i = 0;
  while (i + 1 < WriteStats::kBucketBounds.size() && size > WriteStats::kBucketBounds[i]) ++i;
  return i;
}

}  // namespace attestd::store
