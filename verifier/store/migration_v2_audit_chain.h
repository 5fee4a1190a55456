// Migration 2 (issue 7): the audit log's hash chain and signed checkpoints.
// Owned by the audit work; kept in its own file so that migrations of parallel work do not collide.
#pragma once

#include <string_view>

namespace attestd::store::sqlite {

// Placeholder until the audit chain lands: a no-op statement keeps version numbering contiguous.
inline constexpr std::string_view kV2AuditChain = "SELECT 1;";

}  // namespace attestd::store::sqlite
