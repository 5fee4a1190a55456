// A fleet boots a handful of images, so the same measured-boot log arrives thousands of times.
// Parsing it, checking every event's digest and replaying every bank depends only on its bytes,
// so each distinct log is verified once and the result is kept, keyed by the SHA-256 of the
// bytes (collision resistance makes the key as good as the bytes). What depends on the request
// (the comparison with the quoted PCRs, the appraisal) is still done every time.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/policy/claims.h"

namespace attestd::service {

// A parsed, digest-checked and replayed log. It owns the bytes its events point into.
struct VerifiedLog {
  std::vector<uint8_t> bytes;
  evidence::eventlog::EventLog log;
  evidence::eventlog::Replay replay;
  std::vector<evidence::Error> digest_reasons;  // check_event_digests, in log order
  // What event-level policy reads (policy::boot_events); owns its values.
  std::shared_ptr<const std::vector<policy::BootEvent>> boot_events;

  VerifiedLog() = default;
  VerifiedLog(const VerifiedLog&) = delete;  // `log` points into `bytes`
  VerifiedLog& operator=(const VerifiedLog&) = delete;
};

using LogDigest = std::array<uint8_t, 32>;

class VerifiedLogCache {
 public:
  // Bounded both ways: a client sending ever new logs can neither grow memory without limit nor
  // pin more than `max_bytes` of log bytes (their parsed form is a small multiple of that).
  VerifiedLogCache(size_t max_entries, size_t max_bytes);

  // The verification of `bytes`, whose SHA-256 is `digest`, from the cache or computed now. A log
  // that does not parse is not cached: its error is returned every time.
  std::expected<std::shared_ptr<const VerifiedLog>, evidence::Error> get(std::span<const uint8_t> bytes,
                                                                           const LogDigest& digest);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
    size_t bytes = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct DigestHash {
    size_t operator()(const LogDigest& d) const noexcept;
  };
  struct Entry {
    LogDigest digest;
    std::shared_ptr<const VerifiedLog> value;
  };

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<LogDigest, std::list<Entry>::iterator, DigestHash> index_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

// Verifies a log without caching (what the cache computes on a miss).
std::expected<std::shared_ptr<const VerifiedLog>, evidence::Error> verify_log(std::span<const uint8_t> bytes);

}  // namespace attestd::service
