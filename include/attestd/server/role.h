// Roles of DESIGN.md §6 and the access rule a route declares with them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace attestd::server {

// Every credential carries exactly one role. `operator_` manages tenants and sees no tenant data
// (the trailing underscore only avoids the C++ keyword; its wire name is "operator").
enum class Role : uint8_t { operator_, admin, attester, workload, auditor };

inline constexpr Role kAllRoles[] = {Role::operator_, Role::admin, Role::attester, Role::workload,
                                     Role::auditor};

// The wire name ("operator", "admin", ...).
std::string_view to_string(Role role);
// Parses a wire name; nullopt for anything else.
std::optional<Role> parse_role(std::string_view name);

// Who may call a route: nobody needs a credential (`Access::anyone()`), or an authenticated
// principal whose role is in the set. An empty role set admits nobody, which is the fail-closed
// default of a route that forgot to say.
class Access {
 public:
  constexpr Access() = default;
  static constexpr Access anyone() {
    Access a;
    a.public_ = true;
    return a;
  }
  static constexpr Access roles(std::initializer_list<Role> roles) {
    Access a;
    for (Role r : roles) a.mask_ = static_cast<uint8_t>(a.mask_ | bit(r));
    return a;
  }

  [[nodiscard]] constexpr bool is_public() const { return public_; }
  [[nodiscard]] constexpr bool admits(Role r) const { return (mask_ & bit(r)) != 0; }

  friend constexpr bool operator==(const Access&, const Access&) = default;

 private:
  static constexpr uint8_t bit(Role r) { return static_cast<uint8_t>(1U << static_cast<unsigned>(r)); }
  bool public_ = false;
  uint8_t mask_ = 0;
};

}  // namespace attestd::server
