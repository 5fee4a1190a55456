// Throughput of consume_challenge_and_record under the group-commit writer: N threads each
// consume pre-issued challenges (one transaction per batch: conditional UPDATE, INSERT of the
// attestation, audit append). Items/s is attestations stored per second, durably under
// Durability::full. Challenges are issued outside the timed region.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attestd/store/store.h"

namespace attestd::store {
namespace {

Timestamp at(int64_t ms) { return Timestamp(std::chrono::milliseconds(1'704'067'200'000LL + ms)); }

struct Shared {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::optional<TenantScope> scope;
  WriteStats before;
};

Shared* g_shared = nullptr;
// Thread 0 opens the store; the others wait for it before issuing their own challenges.
std::mutex g_mutex;
std::condition_variable g_ready_cv;
bool g_ready = false;
constexpr size_t kIterations = 1000;

void setup(Durability durability) {
  g_shared = new Shared;
  std::string tmpl = (std::filesystem::temp_directory_path() / "attestd-store-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  g_shared->dir = tmpl;
  StoreOptions options;
  options.durability = durability;
  auto store = Store::open(g_shared->dir / "bench.db", options);
  if (!store) std::abort();
  g_shared->store = std::move(*store);
  Store& s = *g_shared->store;
  const RequestContext ctx{at(0), "", ""};
  if (!s.create_tenant("bench", "bench", ctx)) std::abort();
  NewToken token;
  token.role = Role::attester;
  RAND_bytes(token.token_sha256.data(), 32);
  if (!s.create_token("bench", token, "bench", ctx)) std::abort();
  g_shared->scope = s.authenticate(token.token_sha256, at(0))->scope;
  NewHost host;
  host.host_id = "host";
  host.ak_public = {1};
  if (!s.create_host(*g_shared->scope, host, ctx)) std::abort();
  g_shared->before = s.write_stats();
  {
    std::lock_guard lock(g_mutex);
    g_ready = true;
  }
  g_ready_cv.notify_all();
}

// Challenges for this thread's iterations, issued before the timed loop.
std::vector<std::string> issue_challenges() {
  {
    std::unique_lock lock(g_mutex);
    g_ready_cv.wait(lock, [] { return g_ready; });
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < kIterations; ++i) {
    Nonce nonce{};
    RAND_bytes(nonce.data(), 32);
    auto ch = g_shared->store->create_challenge(*g_shared->scope, "host", nonce, at(3'600'000),
                                                RequestContext{at(0), "", ""});
    if (!ch) std::abort();
    ids.push_back(ch->id);
  }
  return ids;
}

void teardown(benchmark::State& state) {
  const WriteStats after = g_shared->store->write_stats();
  const double batches = static_cast<double>(after.batches - g_shared->before.batches);
  state.counters["mean_batch"] =
      batches == 0 ? 0.0 : static_cast<double>(after.jobs - g_shared->before.jobs) / batches;
  {
    std::lock_guard lock(g_mutex);
    g_ready = false;
  }
  g_shared->store.reset();
  std::error_code ec;
  std::filesystem::remove_all(g_shared->dir, ec);
  delete g_shared;
  g_shared = nullptr;
}

void consume(benchmark::State& state, Durability durability) {
  if (state.thread_index() == 0) setup(durability);
  const std::vector<std::string> challenges = issue_challenges();
  // Google Benchmark starts every thread's timed loop together and joins them at its end, so
  // the before/after write stats in set-up and tear-down bracket exactly the timed work.
  size_t i = 0;
  NewAttestation attestation;
  attestation.verdict = Verdict::affirming;
  attestation.token = std::string(600, 'e');  // an EAR is a few hundred bytes
  attestation.policy_name = "default";
  attestation.policy_version = 1;
  attestation.evidence_digests = {{"tpm.quote", std::string(64, 'a')}, {"eventlog", std::string(64, 'b')}};
  for (auto _ : state) {
    if (i == challenges.size()) {
      state.SkipWithError("ran out of challenges");
      break;
    }
    auto r = g_shared->store->consume_challenge_and_record(*g_shared->scope, challenges[i], "host",
                                                           attestation, RequestContext{at(1000), "", ""});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  if (state.thread_index() == 0) teardown(state);
}

void BM_ConsumeFull(benchmark::State& state) { consume(state, Durability::full); }
void BM_ConsumeNormal(benchmark::State& state) { consume(state, Durability::normal); }

BENCHMARK(BM_ConsumeFull)->Threads(1)->Threads(8)->Threads(32)->Iterations(kIterations)->UseRealTime();
BENCHMARK(BM_ConsumeNormal)->Threads(1)->Threads(8)->Threads(32)->Iterations(kIterations)->UseRealTime();

}  // namespace
}  // namespace attestd::store
