#include "document_cache.h"

#include <fmt/format.h>

namespace attestd::service {

DocumentCache::DocumentCache(size_t max_entries, size_t max_bytes)
    : max_entries_(max_entries == 0 ? 1 : max_entries), max_bytes_(max_bytes) {}

template <class T, class Parse>
store::Result<std::shared_ptr<const T>> DocumentCache::get(store::Store& store, const store::TenantScope& scope,
                                                           store::DocumentKind kind, std::string_view name,
                                                           int64_t version, Parse parse) {
  // NUL cannot occur in a tenant id (hex) and separates the parts unambiguously.
  std::string key = fmt::format("{}{}{}", kind == store::DocumentKind::policy ? 'p' : 'r', scope.tenant_id(), '\0');
  key.append(name);
  key.push_back('\0');
  key.append(std::to_string(version));
  {
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      return std::static_pointer_cast<const T>(it->second->value);
    }
    ++misses_;
  }
  // Read and parsed outside the lock: two requests missing the same entry both parse it, which
  // costs time once, never correctness (the results are equal).
  auto doc = store.get_document(scope, kind, name, version);
  if (!doc) return std::unexpected(std::move(doc.error()));
  auto parsed = parse(doc->document);
  if (!parsed) {
    return std::unexpected(store::StoreError{
        store::StoreErrorCode::internal, fmt::format("stored {} {}@{} no longer parses",
                                                     kind == store::DocumentKind::policy ? "policy" : "reference set",
                                                     name, version)});
  }
  auto value = std::make_shared<const T>(std::move(*parsed));
  const size_t bytes = doc->document.dump().size() + key.size();
  std::lock_guard lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    return std::static_pointer_cast<const T>(it->second->value);
  }
  if (bytes > max_bytes_) return value;  // larger than the whole cache: used, not kept
  lru_.push_front(Entry{key, value, bytes});
  bytes_ += bytes;
  index_.emplace(std::move(key), lru_.begin());
  while (lru_.size() > max_entries_ || bytes_ > max_bytes_) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  return value;
}

store::Result<std::shared_ptr<const policy::Policy>> DocumentCache::policy(store::Store& store,
                                                                           const store::TenantScope& scope,
                                                                           std::string_view name, int64_t version) {
  return get<policy::Policy>(store, scope, store::DocumentKind::policy, name, version,
                             [](const nlohmann::json& j) { return policy::parse_policy_json(j); });
}

store::Result<std::shared_ptr<const policy::ReferenceSet>> DocumentCache::reference_set(
    store::Store& store, const store::TenantScope& scope, std::string_view name, int64_t version) {
  return get<policy::ReferenceSet>(store, scope, store::DocumentKind::reference_set, name, version,
                                   [](const nlohmann::json& j) { return policy::parse_reference_set_json(j); });
}

DocumentCache::Stats DocumentCache::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{hits_, misses_, lru_.size(), bytes_};
}

}  // namespace attestd::service
