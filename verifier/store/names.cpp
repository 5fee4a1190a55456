// Stable names of the store's enums: the values stored in the database and shown in metrics.
#include <array>
#include <utility>

#include "attestd/store/error.h"
#include "attestd/store/records.h"

namespace attestd::store {

namespace {

constexpr std::array kRoles = {
    std::pair{Role::admin, std::string_view("admin")},       std::pair{Role::attester, std::string_view("attester")},
    std::pair{Role::workload, std::string_view("workload")}, std::pair{Role::auditor, std::string_view("auditor")},
    std::pair{Role::operator_, std::string_view("operator")},
};

constexpr std::array kVerdicts = {
    std::pair{Verdict::affirming, std::string_view("affirming")},
    std::pair{Verdict::warning, std::string_view("warning")},
    std::pair{Verdict::contraindicated, std::string_view("contraindicated")},
    std::pair{Verdict::none, std::string_view("none")},
};

template <class E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <class E, size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Role role) { return name_of(kRoles, role); }
std::optional<Role> parse_role(std::string_view name) { return value_of(kRoles, name); }
std::string_view to_string(Verdict verdict) { return name_of(kVerdicts, verdict); }
std::optional<Verdict> parse_verdict(std::string_view name) { return value_of(kVerdicts, name); }

std::string_view to_string(StoreErrorCode code) {
  switch (code) {
    case StoreErrorCode::not_found: return "not_found";
    case StoreErrorCode::conflict: return "conflict";
    case StoreErrorCode::invalid_argument: return "invalid_argument";
    case StoreErrorCode::challenge_not_found: return "challenge_not_found";
    case StoreErrorCode::challenge_expired: return "challenge_expired";
    case StoreErrorCode::challenge_consumed: return "challenge_consumed";
    case StoreErrorCode::enrollment_expired: return "enrollment_expired";
    case StoreErrorCode::enrollment_consumed: return "enrollment_consumed";
    case StoreErrorCode::enrollment_secret_mismatch: return "enrollment_secret_mismatch";
    case StoreErrorCode::token_expired: return "token_expired";
    case StoreErrorCode::token_revoked: return "token_revoked";
    case StoreErrorCode::unavailable: return "unavailable";
    case StoreErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace attestd::store
