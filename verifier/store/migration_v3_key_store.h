// Migration 3 (issue 6): the key broker's encrypted key versions.
// Owned by the key-broker work; kept in its own file so that migrations of parallel work do not collide.
#pragma once

#include <string_view>

namespace attestd::store::sqlite {

// Placeholder until the key store lands: a no-op statement keeps version numbering contiguous.
inline constexpr std::string_view kV3KeyStore = "SELECT 1;";

}  // namespace attestd::store::sqlite
