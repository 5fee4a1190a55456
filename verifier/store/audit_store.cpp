// The audit table: hash-chained appends within the action's transaction, tenant-scoped reads,
// exports in chain order, and the signed checkpoints the service adds.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "attestd/store/audit_chain.h"
#include "audit_log.h"
#include "json_text.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

constexpr std::string_view kRecordColumns =
    "a.id, a.chain_seq, a.time, a.actor, a.action, a.object, a.details, a.request_id, a.client_address, "
    "a.prev_hash, a.hash";

Result<AuditRecord> read_record(const Query& q) {
  auto details = parse_json(q.text(6), "audit details");
  if (!details) return std::unexpected(std::move(details.error()));
  AuditRecord r{q.integer(0), q.integer(1), q.time(2), q.text(3),  q.text(4),  q.text(5),
                std::move(*details), q.text(7), q.text(8), q.text(6), {}, {}};
  if (auto prev = q.fixed_blob<32>(9)) r.prev_hash = *prev;
  if (auto hash = q.fixed_blob<32>(10)) r.hash = *hash;
  return r;
}

Result<std::vector<AuditRecord>> read_records(Query& q) {
  std::vector<AuditRecord> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) break;
    auto r = read_record(q);
    if (!r) return std::unexpected(std::move(r.error()));
    out.push_back(std::move(*r));
  }
  return out;
}

Result<std::vector<AuditRecord>> export_chain(Connection& c, std::string_view tenant_id, int64_t after_seq,
                                              std::optional<Timestamp> since, int64_t limit) {
  if (since) {
    // An export is a contiguous piece of the chain, so that it verifies from its first record's
    // prev_hash: it starts at the first record at or after `since`, not at every such record.
    auto first = c.select("SELECT MIN(chain_seq) FROM audit WHERE tenant_id = ? AND time >= ?", tenant_id, *since);
    if (!first) return std::unexpected(std::move(first.error()));
    auto row = first->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (first->is_null(0)) return std::vector<AuditRecord>{};
    after_seq = std::max(after_seq, first->integer(0) - 1);
  }
  auto q = c.select(fmt::format("SELECT {} FROM audit a WHERE a.tenant_id = ? AND a.chain_seq > ? "
                                "ORDER BY a.chain_seq LIMIT ?",
                                kRecordColumns),
                    tenant_id, after_seq, std::clamp<int64_t>(limit, 1, 10000));
  if (!q) return std::unexpected(std::move(q.error()));
  return read_records(*q);
}

}  // namespace

Result<AuditRecord> append_audit_row(Connection& conn, std::string_view tenant_id, std::string_view actor,
                                     const AuditEvent& event, const RequestContext& ctx) {
  auto details = dump_json(event.details, "audit details");
  if (!details) return std::unexpected(std::move(details.error()));
  // Reading the head and inserting after it is safe: this runs on the single writer inside its
  // transaction. (On a shared database the UNIQUE constraint turns a race into a conflict.)
  auto head = conn.select("SELECT chain_seq, hash FROM audit WHERE tenant_id = ? ORDER BY chain_seq DESC LIMIT 1",
                          tenant_id);
  if (!head) return std::unexpected(std::move(head.error()));
  auto row = head->step();
  if (!row) return std::unexpected(std::move(row.error()));
  ChainRecord chain;
  chain.tenant_id = std::string(tenant_id);
  chain.chain_seq = 1;
  Sha256 prev = kAuditGenesis;
  if (*row) {
    chain.chain_seq = head->integer(0) + 1;
    // Rows written before schema version 2 carry no hash. Appends go on (refusing them would stop
    // every action of the tenant); the chain then starts over from the genesis value here, and
    // verifiers report those old rows as audit.chain.hash_missing.
    if (auto stored = head->fixed_blob<32>(1)) prev = *stored;
  }
  chain.time_ms = ctx.now.time_since_epoch().count();
  chain.actor = std::string(actor);
  chain.action = event.action;
  chain.object = event.object;
  chain.details = std::move(*details);
  chain.request_id = ctx.request_id;
  chain.client_address = ctx.client_address;
  const Sha256 hash = audit_chain_hash(prev, chain);
  const AuditDerived derived = audit_derived(event.object, event.details);

  auto insert = conn.select(
      "INSERT INTO audit (tenant_id, chain_seq, time, actor, action, object, details, request_id, client_address, "
      "prev_hash, hash, host, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      tenant_id, chain.chain_seq, ctx.now, actor, event.action, event.object, chain.details, ctx.request_id,
      ctx.client_address, prev, hash, derived.host, derived.verdict);
  if (!insert) return std::unexpected(std::move(insert.error()));
  auto inserted = insert->step();
  if (!inserted) return std::unexpected(std::move(inserted.error()));
  if (!*inserted) return fail(StoreErrorCode::internal, "audit insert returned no id");
  const int64_t id = insert->integer(0);
  if (auto done = insert->run(); !done) return std::unexpected(std::move(done.error()));
  for (const auto& reason : derived.reasons) {
    auto r = conn.execute("INSERT INTO audit_reasons (tenant_id, reason, audit_id) VALUES (?, ?, ?)", tenant_id,
                          reason, id);
    if (!r) return std::unexpected(std::move(r.error()));
  }
  return AuditRecord{id,          chain.chain_seq, ctx.now,        std::string(actor),     event.action,
                     event.object, event.details,  ctx.request_id, ctx.client_address,    std::move(chain.details),
                     prev,         hash};
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
  // Only the filters present appear in the statement, and only the one most likely to be
  // selective may use its index (host, reason, object, time window, action, verdict): the
  // others are written with a unary + that keeps SQLite from choosing their index. So the query
  // walks one index newest first and stops after `limit` rows, whatever the data. Parameters keep
  // fixed numbers (unused ones are bound but not referenced); ?10, the limit, is always referenced.
  std::string sql = fmt::format("SELECT {} FROM ", kRecordColumns);
  std::string order = "a.id";
  bool driven = false;
  auto column = [&](std::string_view name) {
    if (driven) return fmt::format("+a.{}", name);
    driven = true;
    return fmt::format("a.{}", name);
  };
  if (query.reason && !query.host) {
    // Driven by the reason index (tenant, reason, audit_id): CROSS JOIN keeps that loop outermost.
    sql += "audit_reasons r CROSS JOIN audit a ON a.id = r.audit_id WHERE r.tenant_id = ?1 AND r.reason = ?7 ";
    order = "r.audit_id";
    driven = true;
  } else {
    sql += "audit a WHERE 1 ";
  }
  sql += "AND a.tenant_id = ?1 ";
  if (query.host) sql += fmt::format("AND {} = ?5 ", column("host"));
  if (query.reason && query.host) {
    sql += "AND EXISTS (SELECT 1 FROM audit_reasons r WHERE r.tenant_id = ?1 AND r.reason = ?7 AND r.audit_id = a.id) ";
  }
  if (query.object) sql += fmt::format("AND {} = ?4 ", column("object"));
  // A window [since, until) walks the time index and sorts what it finds (a window is narrow
  // compared with an action or verdict shared by most records); since alone is written after
  // them and walks the newest records first, stopping after `limit`.
  if (query.until) {
    const std::string time = column("time");
    if (query.since) sql += fmt::format("AND {} >= ?8 ", time);
    sql += fmt::format("AND {} < ?9 ", time);
  }
  if (query.action) sql += fmt::format("AND {} = ?3 ", column("action"));
  if (query.verdict) sql += fmt::format("AND {} = ?6 ", column("verdict"));
  if (query.since && !query.until) sql += "AND +a.time >= ?8 ";
  if (query.before_id) sql += fmt::format("AND {} < ?2 ", order);
  sql += fmt::format("ORDER BY {} DESC LIMIT ?10", order);
  return readers_->with([&](Connection& c) -> Result<std::vector<AuditRecord>> {
    auto q = c.select(sql, scope.tenant_id(), query.before_id, query.action, query.object, query.host, query.verdict,
                      query.reason, query.since, query.until, limit);
    if (!q) return std::unexpected(std::move(q.error()));
    return read_records(*q);
  });
}

Result<std::vector<AuditRecord>> SqliteStore::export_audit(const TenantScope& scope, int64_t after_seq,
                                                           std::optional<Timestamp> since, int64_t limit) {
  return readers_->with(
      [&](Connection& c) { return export_chain(c, scope.tenant_id(), after_seq, since, limit); });
}

Result<std::vector<AuditRecord>> SqliteStore::export_system_audit(int64_t after_seq, int64_t limit) {
  return readers_->with([&](Connection& c) { return export_chain(c, kSystemChain, after_seq, std::nullopt, limit); });
}

Result<std::vector<AuditCheckpoint>> SqliteStore::list_audit_checkpoints(const TenantScope& scope, int64_t limit) {
  return readers_->with([&](Connection& c) -> Result<std::vector<AuditCheckpoint>> {
    auto q = c.select("SELECT size, head, time, jws FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size DESC "
                      "LIMIT ?",
                      scope.tenant_id(), std::clamp<int64_t>(limit, 1, 1000));
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<AuditCheckpoint> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      auto head = q->fixed_blob<32>(1);
      if (!head) return fail(StoreErrorCode::internal, "stored checkpoint head is not 32 bytes");
      out.push_back(AuditCheckpoint{q->integer(0), *head, q->time(2), q->text(3)});
    }
    return out;
  });
}

Result<std::vector<AuditHead>> SqliteStore::audit_heads() {
  return readers_->with([&](Connection& c) -> Result<std::vector<AuditHead>> {
    // One indexed probe per chain rather than a GROUP BY over the whole table.
    auto chains = c.select("SELECT '' UNION ALL SELECT id FROM tenants");
    if (!chains) return std::unexpected(std::move(chains.error()));
    std::vector<std::string> ids;
    for (;;) {
      auto row = chains->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      ids.push_back(chains->text(0));
    }
    std::vector<AuditHead> out;
    for (const auto& id : ids) {
      auto head = c.select("SELECT chain_seq, hash FROM audit WHERE tenant_id = ? ORDER BY chain_seq DESC LIMIT 1", id);
      if (!head) return std::unexpected(std::move(head.error()));
      auto row = head->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) continue;
      AuditHead h;
      h.tenant_id = id;
      h.size = head->integer(0);
      if (auto hash = head->fixed_blob<32>(1)) h.head = *hash;
      auto cp = c.select("SELECT size, time FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size DESC LIMIT 1", id);
      if (!cp) return std::unexpected(std::move(cp.error()));
      auto cp_row = cp->step();
      if (!cp_row) return std::unexpected(std::move(cp_row.error()));
      if (*cp_row) {
        h.checkpoint_size = cp->integer(0);
        h.checkpoint_time = cp->time(1);
      }
      out.push_back(std::move(h));
    }
    return out;
  });
}

Result<void> SqliteStore::add_audit_checkpoint(std::string_view tenant_id, const AuditCheckpoint& checkpoint) {
  return writer_->run([&](Connection& c) -> Result<void> {
    auto q = c.select("SELECT hash FROM audit WHERE tenant_id = ? AND chain_seq = ?", tenant_id, checkpoint.size);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row || q->fixed_blob<32>(0) != std::optional<Sha256>(checkpoint.head)) {
      return fail(StoreErrorCode::invalid_argument, "the checkpoint does not match the chain");
    }
    auto inserted = c.execute("INSERT INTO audit_checkpoints (tenant_id, size, head, time, jws) VALUES (?, ?, ?, ?, ?)",
                              tenant_id, checkpoint.size, checkpoint.head, checkpoint.time, checkpoint.jws);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    return {};
  });
}

}  // namespace attestd::store::sqlite
