// Parse + replay of a real 4-bank log (vmboot sb-shim-grub: OVMF, shim, grub, 49 events).
// Target: under 100 µs on one core.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"

namespace {

using namespace attestd::evidence::eventlog;

const std::vector<uint8_t>& log_bytes() {
  static const std::vector<uint8_t> bytes = [] {
    std::ifstream in(ATTESTD_BENCH_EVENTLOG, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  return bytes;
}

void BM_ParseAndReplay(benchmark::State& state) {
  const auto& bytes = log_bytes();
  if (!parse_event_log(bytes)) {
    state.SkipWithError("cannot parse " ATTESTD_BENCH_EVENTLOG);
    return;
  }
  for (auto _ : state) {
    auto log = parse_event_log(bytes);
    auto replay = replay_pcrs(*log);
    benchmark::DoNotOptimize(replay);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_ParseAndReplay);

void BM_Parse(benchmark::State& state) {
  const auto& bytes = log_bytes();
  for (auto _ : state) {
    auto log = parse_event_log(bytes);
    benchmark::DoNotOptimize(log);
  }
}
BENCHMARK(BM_Parse);

void BM_CheckDigests(benchmark::State& state) {
  const auto& bytes = log_bytes();
  const auto log = parse_event_log(bytes);
  if (!log) {
    state.SkipWithError("cannot parse");
    return;
  }
  for (auto _ : state) {
    auto errors = check_event_digests(*log);
    benchmark::DoNotOptimize(errors);
  }
}
BENCHMARK(BM_CheckDigests);

}  // namespace
