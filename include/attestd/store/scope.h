// The tenant on whose behalf a data-access call runs (DESIGN §6, issue 8).
#pragma once

#include <string>
#include <utility>

namespace attestd::store {

class Store;

// Which tenant a call may see and who is acting, as established by an authenticated credential.
// Only a Store implementation can make one (from Store::authenticate), so a handler cannot build a
// scope out of a tenant id it read from a request body or path: every tenant-owned query takes
// its tenant id from here and nowhere else.
class TenantScope {
 public:
  // The tenant's internal id (32 hex characters), never its display name.
  const std::string& tenant_id() const noexcept { return tenant_id_; }
  // The token id that authenticated the request; written to the audit log as the actor.
  const std::string& actor() const noexcept { return actor_; }

 private:
  friend class Store;
  TenantScope(std::string tenant_id, std::string actor) : tenant_id_(std::move(tenant_id)), actor_(std::move(actor)) {}

  std::string tenant_id_;
  std::string actor_;
};

}  // namespace attestd::store
