// Writes many audit records in one transaction straight into the SQLite file, with the same
// columns, hashes and reason rows append_audit_row writes; for the million-record test and the
// benchmark. Record i (0-based) is a deterministic function of i so that tests can compute the
// expected answer of a query without reading the database.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/store/audit_chain.h"

namespace attestd::store::testing {

inline constexpr int64_t kBulkHosts = 1000;

inline int64_t bulk_host_index(int64_t i) { return (i * 7919) % kBulkHosts; }
inline std::string bulk_host(int64_t h) { return fmt::format("host-{:04}", h); }
inline std::string bulk_verdict(int64_t i) { return i % 10 == 3 ? "contraindicated" : "affirming"; }
inline std::vector<std::string> bulk_reasons(int64_t i) {
  if (bulk_verdict(i) != "contraindicated") return {};
  if (i % 20 == 3) return {"eventlog.replay.pcr_mismatch", "tpm.quote.pcr_digest_mismatch"};
  return {"tpm.quote.pcr_digest_mismatch"};
}
inline Timestamp bulk_time(int64_t i) {
  return Timestamp(std::chrono::milliseconds(1'735'689'600'000LL + i * 1000));  // 2025-01-01, one a second
}

// Appends `count` attestation records to the chain of `tenant_id`, which has `existing` records.
inline std::expected<void, std::string> bulk_append(const std::filesystem::path& db_path, const std::string& tenant_id,
                                                    int64_t existing, int64_t count) {
  sqlite3* db = nullptr;
  auto fail = [&](std::string_view what) {
    std::string m = fmt::format("{}: {}", what, sqlite3_errmsg(db));
    sqlite3_close(db);
    return std::unexpected(m);
  };
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return fail("open");
  }
  // Throwaway test data: no fsync, and a page cache large enough to hold the index pages the
  // inserts touch (the host index is written at a thousand places at once).
  sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144", nullptr, nullptr, nullptr);
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  // The secondary indexes are dropped and rebuilt afterwards, inside the transaction: one sort per
  // index is far cheaper than a million scattered index inserts. Their SQL comes from the schema
  // itself, so they are rebuilt exactly as the migrations made them.
  std::vector<std::pair<std::string, std::string>> indexes;
  {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit' "
                       "AND sql IS NOT NULL", -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) {
      indexes.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                           reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
    }
    sqlite3_finalize(q);
  }
  for (const auto& [name, sql] : indexes) {
    if (sqlite3_exec(db, fmt::format("DROP INDEX {}", name).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail("drop index");
    }
  }
  Sha256 prev = kAuditGenesis;
  {
    sqlite3_stmt* head = nullptr;
    sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE tenant_id = ? AND chain_seq = ?", -1, &head, nullptr);
    sqlite3_bind_text(head, 1, tenant_id.data(), static_cast<int>(tenant_id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(head, 2, existing);
    if (existing > 0) {
      if (sqlite3_step(head) != SQLITE_ROW || sqlite3_column_bytes(head, 0) != 32) {
        sqlite3_finalize(head);
        return fail("chain head");
      }
      std::memcpy(prev.data(), sqlite3_column_blob(head, 0), 32);
    }
    sqlite3_finalize(head);
  }
  sqlite3_stmt* ins = nullptr;
  sqlite3_stmt* reason = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO audit (tenant_id, chain_seq, time, actor, action, object, details, request_id, "
                         "client_address, prev_hash, hash, host, verdict) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &ins, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO audit_reasons (tenant_id, reason, audit_id) VALUES (?,?,?)", -1, &reason,
                         nullptr) != SQLITE_OK) {
    return fail("prepare");
  }
  auto text = [](sqlite3_stmt* s, int col, const std::string& v) {
    sqlite3_bind_text(s, col, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  for (int64_t i = 0; i < count; ++i) {
    ChainRecord r;
    r.tenant_id = tenant_id;
    r.chain_seq = existing + i + 1;
    r.time_ms = bulk_time(i).time_since_epoch().count();
    r.actor = "bulk-token";
    r.action = "attestation.record";
    r.object = "host:" + bulk_host(bulk_host_index(i));
    // The text nlohmann::json::dump() gives for these details (keys sorted, compact), built
    // directly because a million JSON trees would dominate the test's time.
    const auto reasons = bulk_reasons(i);
    std::string reason_list;
    for (const auto& id : reasons) reason_list += fmt::format("{}\"{}\"", reason_list.empty() ? "" : ",", id);
    r.details = fmt::format(
        "{{\"evidence_digests\":{{\"tpm.quote\":\"{:064x}\"}},\"policy\":\"default\",\"policy_version\":3,"
        "\"reasons\":[{}],\"verdict\":\"{}\"}}",
        i, reason_list, bulk_verdict(i));
    r.request_id = fmt::format("req-{}", i);
    r.client_address = "10.0.0.1";
    const Sha256 hash = audit_chain_hash(prev, r);
    AuditDerived d{bulk_host(bulk_host_index(i)), bulk_verdict(i), reasons};
    std::sort(d.reasons.begin(), d.reasons.end());
    sqlite3_reset(ins);
    text(ins, 1, r.tenant_id);
    sqlite3_bind_int64(ins, 2, r.chain_seq);
    sqlite3_bind_int64(ins, 3, r.time_ms);
    text(ins, 4, r.actor);
    text(ins, 5, r.action);
    text(ins, 6, r.object);
    text(ins, 7, r.details);
    text(ins, 8, r.request_id);
    text(ins, 9, r.client_address);
    sqlite3_bind_blob(ins, 10, prev.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 11, hash.data(), 32, SQLITE_TRANSIENT);
    text(ins, 12, *d.host);
    text(ins, 13, *d.verdict);
    if (sqlite3_step(ins) != SQLITE_DONE) return fail("insert");
    const int64_t id = sqlite3_last_insert_rowid(db);
    for (const auto& reason_id : d.reasons) {
      sqlite3_reset(reason);
      text(reason, 1, tenant_id);
      text(reason, 2, reason_id);
      sqlite3_bind_int64(reason, 3, id);
      if (sqlite3_step(reason) != SQLITE_DONE) return fail("insert reason");
    }
    prev = hash;
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(reason);
  for (const auto& [name, sql] : indexes) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return fail("create index");
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  sqlite3_close(db);
  return {};
}

}  // namespace attestd::store::testing
