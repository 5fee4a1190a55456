// Cost of authenticating one request through TokenAuthenticator: SHA-256 of the bearer token, the
// rate-limit check, and one indexed SELECT on a leased reader connection, against a database of
// 10,000 tokens (WAL, as the service runs it). BM_StoreAuthenticate is the store call alone,
// BM_PointQueryFloor the cheapest possible store read.
// Run: build/bench/auth/auth_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attestd/server/request.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"
#include "token_auth.h"

namespace attestd::service {
namespace {

constexpr int kTokens = 10'000;

struct Fixture {
  std::filesystem::path dir;
  std::shared_ptr<store::Store> store;
  std::vector<NewBearerToken> tokens;
  std::shared_ptr<TokenAuthenticator> auth;
};

Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    std::string tmpl = (std::filesystem::temp_directory_path() / "attestd-auth-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    fx->dir = tmpl;
    store::StoreOptions o;
    o.durability = store::Durability::normal;
    auto s = store::Store::open(fx->dir / "attestd.db", o);
    if (!s) std::abort();
    fx->store = std::move(*s);
    const store::RequestContext rc{
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()), "", ""};
    if (!fx->store->create_tenant("bench", "bench", rc)) std::abort();
    for (int i = 0; i < kTokens; ++i) {
      fx->tokens.push_back(generate_bearer_token());
      store::NewToken nt;
      nt.role = store::Role::attester;
      nt.token_sha256 = fx->tokens.back().sha256;
      if (!fx->store->create_token("bench", nt, "bench", rc)) std::abort();
    }
    fx->auth = std::make_shared<TokenAuthenticator>(
        fx->store, [] { return std::chrono::system_clock::now(); }, std::make_shared<AuthRateLimit>(AuthLimits{}));
    return fx;
  }();
  return *f;
}

void BM_Authenticate(benchmark::State& state) {
  auto& f = fixture();
  server::Request r;
  r.client_address = "192.0.2.1";
  r.request_id = "bench";
  size_t i = static_cast<size_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    r.headers = {{"authorization", "Bearer " + f.tokens[i++ % f.tokens.size()].token}};
    auto p = f.auth->authenticate(r);
    if (!p) state.SkipWithError("refused");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Authenticate)->Threads(1)->Threads(4)->UseRealTime();

void BM_StoreAuthenticate(benchmark::State& state) {
  auto& f = fixture();
  size_t i = 0;
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (auto _ : state) {
    auto c = f.store->authenticate(f.tokens[i++ % f.tokens.size()].sha256, now);
    if (!c) state.SkipWithError("refused");
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_StoreAuthenticate);

// The floor of any per-request database check: one point query by a unique key on a leased reader
// (find_tenant). A cache validated against a revocation counter would still pay this on every
// request, so it could save at most the difference to BM_StoreAuthenticate.
void BM_PointQueryFloor(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto t = f.store->find_tenant("bench");
    if (!t) state.SkipWithError("missing");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_PointQueryFloor);

}  // namespace
}  // namespace attestd::service
