#include "attestd/server/role.h"

namespace attestd::server {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
    case Role::attester: return "attester";
    case Role::workload: return "workload";
    case Role::auditor: return "auditor";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : kAllRoles) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

}  // namespace attestd::server
