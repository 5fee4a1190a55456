// Policy appraisal (issue 10 "policy appraisal"): the claims of one attestation of the load
// generator's hosts (the vmboot sb-shim-grub log, replayed; sha256 PCRs 0-9 quoted, the log
// verified) against the loadgen's policy and reference set, through appraise_by_reference as
// verifier/service/attestations_api.cpp calls it. range(0) random alternatives are added to the
// reference set's PCRs (never matching), as `attestd_loadgen --extra-reference-values` does: a
// fleet's golden set of many firmware and kernel versions. There is no cryptographic floor: the
// appraisal compares values it is given.
#include <openssl/rand.h>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/boot_events.h"

namespace {

using namespace attestd;
using evidence::HashAlg;

constexpr uint32_t kQuotedPcrs = 10;  // the loadgen quotes sha256 PCRs 0-9

struct Fixture {
  std::optional<policy::Policy> policy;
  std::optional<policy::ReferenceSet> set;
  policy::Claims claims;
};

std::string hex(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

// Nullopt when the log or a document does not parse (the benchmark then reports an error).
std::optional<Fixture> make_fixture(size_t extra_values) {
  std::ifstream in(ATTESTD_BENCH_EVENTLOG, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto log = evidence::eventlog::parse_event_log(bytes);
  if (!log) return std::nullopt;
  const auto replay = evidence::eventlog::replay_pcrs(*log);
  const auto bank = replay.pcrs.find(HashAlg::sha256);
  if (bank == replay.pcrs.end()) return std::nullopt;

  Fixture f;
  policy::TpmClaims tpm;
  tpm.quote_verified = true;
  tpm.event_log_present = true;
  tpm.event_log_verified = true;
  nlohmann::json golden = nlohmann::json::object();
  std::vector<uint32_t> indices;
  for (uint32_t i = 0; i < kQuotedPcrs; ++i) {
    const auto v = bank->second.find(i);
    if (v == bank->second.end()) return std::nullopt;
    tpm.pcrs[HashAlg::sha256][i] = v->second;
    golden[std::to_string(i)] = nlohmann::json::array({hex(v->second.bytes())});
    indices.push_back(i);
  }
  for (size_t i = 0; i < extra_values; ++i) {
    std::array<uint8_t, 32> random{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    golden[std::to_string(i % kQuotedPcrs)].push_back(hex(random));
  }
  tpm.event_log_verified_pcrs[HashAlg::sha256] = indices;
  tpm.boot_events = std::make_shared<const std::vector<policy::BootEvent>>(policy::boot_events(*log));
  f.claims.tpm = std::move(tpm);
  const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'750'000'000));
  f.claims.evidence_time = now - std::chrono::seconds(1);
  f.claims.tee_key_bound = true;

  // The documents bench/loadgen/loadgen_main.cpp puts.
  auto set = policy::parse_reference_set(
      nlohmann::json{{"version", 1}, {"name", "loadgen"}, {"pcrs", {{"sha256", golden}}}}.dump());
  auto pol = policy::parse_policy(nlohmann::json{{"version", 1},
                                                 {"name", "loadgen"},
                                                 {"require", {{"tpm", true}, {"event_log", true}, {"gpus", 0}}},
                                                 {"reference_sets", {"loadgen"}},
                                                 {"pcrs", {{"sha256", indices}}},
                                                 {"max_age_seconds", 300}}
                                      .dump());
  if (!set || !pol) return std::nullopt;
  f.set = std::move(*set);
  f.policy = std::move(*pol);
  return f;
}

void BM_AppraiseLoadgenPolicy(benchmark::State& state) {
  const auto f = make_fixture(static_cast<size_t>(state.range(0)));
  if (!f) {
    state.SkipWithError("cannot build the claims or documents from " ATTESTD_BENCH_EVENTLOG);
    return;
  }
  const std::vector<const policy::ReferenceSet*> sets = {&*f->set};
  const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'750'000'000));
  if (policy::appraise_by_reference(*f->policy, sets, f->claims, now).verdict != policy::Verdict::affirming) {
    state.SkipWithError("the loadgen claims do not appraise affirming");
    return;
  }
  for (auto _ : state) {
    auto a = policy::appraise_by_reference(*f->policy, sets, f->claims, now);
    benchmark::DoNotOptimize(a);
  }
  state.SetLabel(fmt::format("{} extra reference values", state.range(0)));
}
BENCHMARK(BM_AppraiseLoadgenPolicy)->Arg(0)->Arg(10'000);

}  // namespace
