// `attest-agent run`: one attestation per interval, forever. Failures (attestd restarting, the
// network, a TPM error) are logged and retried with exponential backoff and full jitter, so a
// fleet that lost its verifier does not come back in lock-step. Only configuration errors end it.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "commands.h"

namespace attestd::agent {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

// Uniform in [lo, hi] from the OpenSSL CSPRNG (no seeding to get wrong).
std::chrono::milliseconds jitter(std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
  uint64_t r = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) return hi;
  const auto span = static_cast<uint64_t>((hi - lo).count()) + 1;
  return lo + std::chrono::milliseconds(static_cast<int64_t>(r % span));
}

// Sleeps in short steps so SIGTERM ends the agent promptly.
void sleep_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!g_stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
  }
}

void log_line(const Config& config, const std::string& text) {
  fmt::print("{:%Y-%m-%dT%H:%M:%S}Z host={} {}\n",
             std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), config.host_id, text);
  std::fflush(stdout);
}

}  // namespace

int run_loop(const Config& config, const AttestOptions& options, const RunOptions& run) {
  if (auto v = validate_config(config); !v) {
    fmt::print(stderr, "attest-agent: {}: {}\n", v.error().id, v.error().message);
    return kExitConfig;
  }
  auto api = ServerApi::connect(config);
  if (!api) {
    fmt::print(stderr, "attest-agent: {}: {}\n", api.error().id, api.error().message);
    return kExitConfig;
  }
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);

  std::optional<AgentTpm> tpm;
  uint64_t done = 0;
  unsigned failures = 0;
  while (!g_stop.load()) {
    std::expected<AttestOutcome, Error> outcome = std::unexpected(Error{});
    if (!tpm) {
      auto t = open_agent_tpm(config);
      if (t)
        tpm = std::move(*t);
      else
        outcome = std::unexpected(t.error());
    }
    if (tpm) outcome = attest_once(config, options, *tpm, **api);
    ++done;
    std::chrono::milliseconds wait = run.interval;
    if (outcome) {
      failures = 0;
      log_line(config, describe(*outcome));
      wait = jitter(run.interval * 9 / 10, run.interval);
    } else {
      if (outcome.error().id.starts_with("agent.config.")) {
        fmt::print(stderr, "attest-agent: {}: {}\n", outcome.error().id, outcome.error().message);
        return kExitConfig;
      }
      const bool tpm_side = outcome.error().id.starts_with("agent.tpm.") || outcome.error().id.starts_with("agent.ak.");
      // A TPM error may have left the connection or the loaded AK unusable: start over.
      if (tpm_side) tpm.reset();
      if (!tpm_side && !outcome.error().retryable) {
        // attestd refused what we sent (4xx): asking again at once would be refused again.
        wait = jitter(run.interval * 9 / 10, run.interval);
      } else {
        failures = std::min(failures + 1, 20u);
        const auto ceiling =
            std::min(run.max_backoff, std::chrono::milliseconds(500) * (1u << std::min(failures, 16u)));
        wait = jitter(ceiling / 2, ceiling);
      }
      log_line(config, fmt::format("error={} retry_in={}ms message=\"{}\"", outcome.error().id, wait.count(),
                                   outcome.error().message));
    }
    if (run.count && done >= *run.count) break;
    sleep_for(wait);
  }
  return 0;
}

}  // namespace attestd::agent
