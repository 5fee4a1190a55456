// The audit log's figures (issue 7):
//  - BM_AuditAppendDurable: appends per second through the group-commit writer with
//    Durability::full (fsync per batch), N threads appending at once; items/s is the figure. Each
//    thread waits for its commit, so the rate is threads / commit latency until batches fill
//    (target >= 20,000/s on the 2-core machine).
//  - BM_AuditVerifyMillion: a full walk of a 1,000,000-record chain as `attestctl audit verify`
//    does it (read every row, recompute every hash); the time is per million (target < 3 s).
//  - BM_AuditQuery*: filtered GET /v1/audit queries over those million records (target < 50 ms).
// The million records are written once, in bulk, before the timed runs.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "attestd/store/audit_chain.h"
#include "attestd/store/store.h"
#include "audit_bulk.h"

namespace attestd::store::testing {
namespace {

constexpr int64_t kMillion = 1'000'000;

struct Db {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::optional<TenantScope> scope;
};

std::unique_ptr<Db> open_db(Durability durability) {
  auto db = std::make_unique<Db>();
  std::string tmpl = (std::filesystem::temp_directory_path() / "attestd-audit-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  db->dir = tmpl;
  auto store = Store::open(db->dir / "attestd.db", {.durability = durability});
  if (!store) std::abort();
  db->store = std::move(*store);
  const RequestContext ctx{bulk_time(0), "", ""};
  if (!db->store->create_tenant("bench", "bench", ctx)) std::abort();
  NewToken token;
  token.role = Role::admin;
  RAND_bytes(token.token_sha256.data(), 32);
  if (!db->store->create_token("bench", token, "bench", ctx)) std::abort();
  db->scope = db->store->authenticate(token.token_sha256, bulk_time(0))->scope;
  return db;
}

Db* g_append = nullptr;
Db* g_million = nullptr;

void BM_AuditAppendDurable(benchmark::State& state) {
  const AuditEvent event{"attestation.record", "host:web-1",
                         {{"verdict", "affirming"},
                          {"reasons", nlohmann::json::array()},
                          {"policy", "default"},
                          {"policy_version", 3},
                          {"evidence_digests", {{"tpm.quote", std::string(64, 'a')}}}}};
  const RequestContext ctx{bulk_time(0), "req-bench", "10.0.0.1"};
  int64_t n = 0;
  for (auto _ : state) {
    auto r = g_append->store->append_audit(*g_append->scope, event, ctx);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    ++n;
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AuditAppendDurable)->Threads(1)->Threads(32)->Threads(128)->Threads(256)->Iterations(500)->UseRealTime();

void BM_AuditVerifyMillion(benchmark::State& state) {
  for (auto _ : state) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((g_million->dir / "attestd.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT id, chain_seq, time, actor, action, object, details, request_id, client_address, "
                       "prev_hash, hash FROM audit WHERE tenant_id = ? ORDER BY chain_seq",
                       -1, &q, nullptr);
    const std::string tenant = g_million->scope->tenant_id();
    sqlite3_bind_text(q, 1, tenant.data(), static_cast<int>(tenant.size()), SQLITE_STATIC);
    ChainVerifier v(tenant);
    auto text = [&](int col) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, col)),
                         static_cast<size_t>(sqlite3_column_bytes(q, col)));
    };
    ChainRecord r;
    r.tenant_id = tenant;
    while (sqlite3_step(q) == SQLITE_ROW) {
      r.id = sqlite3_column_int64(q, 0);
      r.chain_seq = sqlite3_column_int64(q, 1);
      r.time_ms = sqlite3_column_int64(q, 2);
      r.actor = text(3);
      r.action = text(4);
      r.object = text(5);
      r.details = text(6);
      r.request_id = text(7);
      r.client_address = text(8);
      Sha256 prev{}, hash{};
      std::memcpy(prev.data(), sqlite3_column_blob(q, 9), 32);
      std::memcpy(hash.data(), sqlite3_column_blob(q, 10), 32);
      r.prev_hash = prev;
      r.hash = hash;
      v.add(r);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (v.fault() || v.size() < kMillion) state.SkipWithError("the chain did not verify");
    state.counters["records"] = static_cast<double>(v.size());
  }
}
BENCHMARK(BM_AuditVerifyMillion)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void query(benchmark::State& state, const AuditQuery& q) {
  size_t rows = 0;
  for (auto _ : state) {
    auto r = g_million->store->list_audit(*g_million->scope, q);
    if (!r || r->empty()) {
      state.SkipWithError("query failed or found nothing");
      break;
    }
    rows = r->size();
  }
  state.counters["rows"] = static_cast<double>(rows);
}

void BM_AuditQueryHostVerdict(benchmark::State& state) {
  AuditQuery q;
  q.host = bulk_host(bulk_host_index(999'983));
  q.verdict = "contraindicated";
  q.limit = 100;
  query(state, q);
}
void BM_AuditQueryReason(benchmark::State& state) {
  AuditQuery q;
  q.reason = "eventlog.replay.pcr_mismatch";
  q.limit = 100;
  query(state, q);
}
void BM_AuditQueryReasonHost(benchmark::State& state) {
  AuditQuery q;
  q.reason = "eventlog.replay.pcr_mismatch";
  q.host = bulk_host(bulk_host_index(999'983));
  q.limit = 100;
  query(state, q);
}
void BM_AuditQueryTimeWindow(benchmark::State& state) {
  AuditQuery q;
  q.since = bulk_time(400'000);
  q.until = bulk_time(400'100);
  q.action = "attestation.record";
  q.limit = 100;
  query(state, q);
}
void BM_AuditQueryVerdictOldPage(benchmark::State& state) {
  AuditQuery q;  // deep pagination: a cursor half-way down the log
  q.verdict = "contraindicated";
  q.before_id = 500'000;
  q.limit = 100;
  query(state, q);
}
BENCHMARK(BM_AuditQueryHostVerdict)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditQueryReason)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditQueryReasonHost)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditQueryTimeWindow)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AuditQueryVerdictOldPage)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace attestd::store::testing

int main(int argc, char** argv) {
  using namespace attestd::store::testing;
  benchmark::Initialize(&argc, argv);
  auto append = open_db(attestd::store::Durability::full);
  auto million = open_db(attestd::store::Durability::full);
  million->store.reset();
  const std::string tenant = million->scope->tenant_id();
  // One record (token.create) precedes the bulk in the chain.
  if (auto r = bulk_append(million->dir / "attestd.db", tenant, 1, kMillion); !r) {
    fprintf(stderr, "bulk: %s\n", r.error().c_str());
    return 1;
  }
  auto reopened = attestd::store::Store::open(million->dir / "attestd.db");
  if (!reopened) return 1;
  million->store = std::move(*reopened);
  g_append = append.get();
  g_million = million.get();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  append->store.reset();
  million->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(append->dir, ec);
  std::filesystem::remove_all(million->dir, ec);
  return 0;
}
