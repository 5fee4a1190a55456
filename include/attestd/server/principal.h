// The authenticated caller of a request, as the Authenticator established it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attestd/server/role.h"

namespace attestd::server {

// What a credential is further restricted to (issue 8). nullopt means "not restricted"; an empty
// list means "nothing", so a restriction can never fail open by being empty.
struct Restrictions {
  std::optional<std::vector<std::string>> hosts;  // attester credentials: host ids it may attest
  std::optional<std::vector<std::string>> keys;   // workload credentials: key names it may fetch

  friend bool operator==(const Restrictions&, const Restrictions&) = default;
};

struct Principal {
  std::string tenant_id;      // empty for the operator role, which belongs to no tenant
  Role role = Role::auditor;  // the least powerful role, should a caller forget to set it
  std::string credential_id;  // token or certificate id: for audit, never the secret itself
  Restrictions restrictions;

  friend bool operator==(const Principal&, const Principal&) = default;
};

}  // namespace attestd::server
