// Parsed policies and reference sets, so that an attestation does not read and parse every
// document of its tenant. A stored version never changes (a put adds a version, retirement only
// changes which version is current), so an entry keyed by (tenant, name, version) never goes
// stale: the attestation still asks the store which versions are current, then takes them from
// here. A reference set of 10,000 values costs its parse once, not once per attestation.
#pragma once

#include <cstdint>
#include <expected>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "attestd/policy/policy_document.h"
#include "attestd/policy/reference_set.h"
#include "attestd/store/store.h"

namespace attestd::service {

class DocumentCache {
 public:
  // At most `max_entries` documents (both kinds together) and about `max_bytes` of them (counted
  // as the size of their stored JSON text), least recently used dropped first: a tenant uploading
  // many large sets cannot grow memory without bound.
  DocumentCache(size_t max_entries, size_t max_bytes);

  // The parsed version `version` of the tenant's policy `name`, from the cache or read and parsed
  // now. not_found when that version does not exist; internal when it no longer parses.
  store::Result<std::shared_ptr<const policy::Policy>> policy(store::Store& store, const store::TenantScope& scope,
                                                              std::string_view name, int64_t version);
  store::Result<std::shared_ptr<const policy::ReferenceSet>> reference_set(store::Store& store,
                                                                           const store::TenantScope& scope,
                                                                           std::string_view name, int64_t version);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
    size_t bytes = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const void> value;  // policy::Policy or policy::ReferenceSet, by the key's kind
    size_t bytes = 0;
  };

  template <class T, class Parse>
  store::Result<std::shared_ptr<const T>> get(store::Store& store, const store::TenantScope& scope,
                                              store::DocumentKind kind, std::string_view name, int64_t version,
                                              Parse parse);

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace attestd::service
