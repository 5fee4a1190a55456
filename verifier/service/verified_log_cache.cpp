#include "verified_log_cache.h"

#include <cstring>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/policy/boot_events.h"

namespace attestd::service {

namespace el = evidence::eventlog;

std::expected<std::shared_ptr<const VerifiedLog>, evidence::Error> verify_log(std::span<const uint8_t> bytes) {
  auto v = std::make_shared<VerifiedLog>();
  v->bytes.assign(bytes.begin(), bytes.end());
  auto parsed = el::parse_event_log(v->bytes);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  v->log = std::move(*parsed);
  v->replay = el::replay_pcrs(v->log);
  v->digest_reasons = el::check_event_digests(v->log);
  v->boot_events = std::make_shared<const std::vector<policy::BootEvent>>(policy::boot_events(v->log));
  return std::shared_ptr<const VerifiedLog>(std::move(v));
}

size_t VerifiedLogCache::DigestHash::operator()(const LogDigest& d) const noexcept {
  // The key is already a uniform hash: any 8 of its bytes will do.
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

VerifiedLogCache::VerifiedLogCache(size_t max_entries, size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

std::expected<std::shared_ptr<const VerifiedLog>, evidence::Error> VerifiedLogCache::get(
    std::span<const uint8_t> bytes, const LogDigest& digest) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(digest); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      return it->second->value;
    }
    ++misses_;
  }
  // Verified outside the lock: two threads missing on the same log both compute it, which costs
  // one redundant verification and never blocks the others.
  auto verified = verify_log(bytes);
  if (!verified) return verified;
  if (max_entries_ == 0 || bytes.size() > max_bytes_) return verified;

  std::lock_guard lock(mutex_);
  if (index_.contains(digest)) return verified;
  lru_.push_front(Entry{digest, *verified});
  index_.emplace(digest, lru_.begin());
  bytes_ += bytes.size();
  while (index_.size() > max_entries_ || bytes_ > max_bytes_) {
    const Entry& last = lru_.back();
    bytes_ -= last.value->bytes.size();
    index_.erase(last.digest);
    lru_.pop_back();
  }
  return verified;
}

VerifiedLogCache::Stats VerifiedLogCache::stats() const {
  std::lock_guard lock(mutex_);
  return {hits_, misses_, index_.size(), bytes_};
}

}  // namespace attestd::service
