// Appending audit rows inside a write job, so that a change and the record of it commit together.
#pragma once

#include <string_view>

#include "attestd/store/records.h"
#include "connection.h"

namespace attestd::store::sqlite {

// The service's own chain: authentication failures and operator actions on no tenant.
inline constexpr std::string_view kSystemChain = "";

// Appends `event` to the chain of `tenant_id` (kSystemChain for the service's own) as the next
// chain_seq, on the writer's connection inside the caller's transaction. The one place rows enter
// the audit table: issue 7 computes prev_hash/hash here, and UNIQUE(tenant_id, chain_seq) keeps
// the chain linear even with several writers on a shared database.
Result<AuditRecord> append_audit_row(Connection& conn, std::string_view tenant_id, std::string_view actor,
                                     const AuditEvent& event, const RequestContext& ctx);

}  // namespace attestd::store::sqlite
