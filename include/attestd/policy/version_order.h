// Order of GPU driver and VBIOS versions for min_driver / min_vbios: dot-separated components,
// compared numerically left to right. Components are read as hex ("96.00.5E.00.01", NVIDIA's VBIOS
// form); for digit-only components (driver "550.144.03") hex and decimal give the same order.
#pragma once

#include <optional>
#include <string_view>

namespace attestd::policy {

// Most components and digits per component accepted: versions in the wild have at most 5 and 4.
inline constexpr size_t kMaxVersionComponents = 8;
inline constexpr size_t kMaxVersionComponentDigits = 8;

// True for 1..kMaxVersionComponents components of 1..kMaxVersionComponentDigits hex digits.
bool is_version_string(std::string_view text);

// <0, 0 or >0 as a is lower than, equal to or higher than b; a missing trailing component counts
// as 0 ("535.86" == "535.86.0"). nullopt when either is not a version string.
std::optional<int> compare_versions(std::string_view a, std::string_view b);

}  // namespace attestd::policy
