// The audit table: appends within the action's transaction, and tenant-scoped reads.
#include <fmt/format.h>

#include <algorithm>

#include "audit_log.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

Result<AuditRecord> append_audit_row(Connection& conn, std::string_view tenant_id, std::string_view actor,
                                     const AuditEvent& event, const RequestContext& ctx) {
  auto details = dump_json(event.details, "audit details");
  if (!details) return std::unexpected(std::move(details.error()));
  // Reading the head and inserting after it is safe: this runs on the single writer inside its
  // transaction. (On a shared database the UNIQUE constraint turns a race into a conflict.)
  auto head = conn.select("SELECT COALESCE(MAX(chain_seq), 0) FROM audit WHERE tenant_id = ?", tenant_id);
  if (!head) return std::unexpected(std::move(head.error()));
  auto row = head->step();
  if (!row) return std::unexpected(std::move(row.error()));
  const int64_t seq = head->integer(0) + 1;

  auto insert = conn.select(
      "INSERT INTO audit (tenant_id, chain_seq, time, actor, action, object, details, request_id, client_address) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      tenant_id, seq, ctx.now, actor, event.action, event.object, *details, ctx.request_id, ctx.client_address);
  if (!insert) return std::unexpected(std::move(insert.error()));
  auto inserted = insert->step();
  if (!inserted) return std::unexpected(std::move(inserted.error()));
  if (!*inserted) return fail(StoreErrorCode::internal, "audit insert returned no id");
  AuditRecord record{insert->integer(0), seq, ctx.now, std::string(actor), event.action, event.object,
                     event.details, ctx.request_id, ctx.client_address};
  if (auto done = insert->run(); !done) return std::unexpected(std::move(done.error()));
  return record;
}

Result<AuditRecord> SqliteStore::append_audit(const TenantScope& scope, const AuditEvent& event,
                                              const RequestContext& ctx) {
  if (event.action.empty()) return fail(StoreErrorCode::invalid_argument, "audit action is empty");
  return writer_->run([&](Connection& c) { return append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx); });
}

Result<AuditRecord> SqliteStore::append_system_audit(std::string_view actor, const AuditEvent& event,
                                                     const RequestContext& ctx) {
  if (event.action.empty()) return fail(StoreErrorCode::invalid_argument, "audit action is empty");
  return writer_->run([&](Connection& c) { return append_audit_row(c, kSystemChain, actor, event, ctx); });
}

Result<std::vector<AuditRecord>> SqliteStore::list_audit(const TenantScope& scope, const AuditQuery& query) {
  const int64_t limit = std::clamp<int64_t>(query.limit, 1, 1000);
  return readers_->with([&](Connection& c) -> Result<std::vector<AuditRecord>> {
    // One statement for every combination of filters: an absent filter binds NULL.
    auto q = c.select(
        "SELECT id, chain_seq, time, actor, action, object, details, request_id, client_address FROM audit "
        "WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR action = ?3) "
        "AND (?4 IS NULL OR object = ?4) ORDER BY id DESC LIMIT ?5",
        scope.tenant_id(), query.before_id, query.action, query.object, limit);
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<AuditRecord> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      auto details = parse_json(q->text(6), "audit details");
      if (!details) return std::unexpected(std::move(details.error()));
      out.push_back(AuditRecord{q->integer(0), q->integer(1), q->time(2), q->text(3), q->text(4), q->text(5),
                                std::move(*details), q->text(7), q->text(8)});
    }
    return out;
  });
}

}  // namespace attestd::store::sqlite
