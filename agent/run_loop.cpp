// `attest-agent run`: one attestation per interval, forever. Failures (attestd restarting, the
// network, a TPM error) are logged and retried with exponential backoff and full jitter, so a
// fleet that lost its verifier does not come back in lock-step. Only configuration errors end it.
//
// The attestations run in a worker process that keeps the TPM open between them. A TPM or a server
// that stops answering ends the worker through its deadline (deadline.h: a blocked TCTI read
// cannot be interrupted any other way); this process, which never talks to the TPM or attestd
// itself, logs the timeout, backs off and starts a new worker. The ephemeral keys live and die in
// the worker, as they do in `attest`.
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <nlohmann/json.hpp>
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

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One attempt's result as the worker reports it: a JSON line.
std::string encode(const std::expected<AttestOutcome, Error>& outcome) {
  const nlohmann::json j = outcome ? nlohmann::json{{"ok", true}, {"line", describe(*outcome)}}
                                   : nlohmann::json{{"ok", false},
                                                    {"id", outcome.error().id},
                                                    {"message", outcome.error().message},
                                                    {"retryable", outcome.error().retryable}};
  return j.dump() + "\n";
}

// The worker: attests once per byte read from `commands` and answers on `results`, keeping the
// TPM (EK and AK loaded) and the HTTPS connection between attempts. Never returns.
[[noreturn]] void worker_main(const Config& config, const AttestOptions& options, int commands, int results) {
  // The parent decides when the worker ends (it closes `commands`), so that an attempt under way
  // finishes and the EK and AK are flushed: without a resource manager (the swtpm and mssim
  // TCTIs) a killed worker would leave them loaded, and a few such leaks fill the TPM's object
  // slots. A signal to the whole group (systemd stopping the unit, ^C) reaches the parent.
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  auto api = ServerApi::connect(config);
  std::optional<AgentTpm> tpm;
  char go = 0;
  while (::read(commands, &go, 1) == 1) {
    std::expected<AttestOutcome, Error> outcome = std::unexpected(Error{});
    if (!api) {
      outcome = std::unexpected(api.error());
    } else {
      if (!tpm) {
        auto t = open_agent_tpm(config);
        if (t)
          tpm = std::move(*t);
        else
          outcome = std::unexpected(t.error());
      }
      if (tpm) outcome = attest_once(config, options, *tpm, **api);
    }
    // A TPM error may have left the connection or the loaded AK unusable: start over next time.
    if (!outcome && (outcome.error().id.starts_with("agent.tpm.") || outcome.error().id.starts_with("agent.ak."))) {
      tpm.reset();
    }
    if (!write_all(results, encode(outcome))) break;
  }
  tpm.reset();  // flushes the EK and AK
  std::fflush(stdout);
  ::_exit(0);
}

struct Worker {
  pid_t pid = -1;
  int commands = -1;  // parent → worker
  int results = -1;   // worker → parent
  std::string pending;
};

std::expected<Worker, Error> start_worker(const Config& config, const AttestOptions& options) {
  int to_worker[2], from_worker[2];
  if (::pipe2(to_worker, O_CLOEXEC) != 0) return std::unexpected(Error{"agent.worker.start_failed", "pipe", true});
  if (::pipe2(from_worker, O_CLOEXEC) != 0) {
    ::close(to_worker[0]);
    ::close(to_worker[1]);
    return std::unexpected(Error{"agent.worker.start_failed", "pipe", true});
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {to_worker[0], to_worker[1], from_worker[0], from_worker[1]}) ::close(fd);
    return std::unexpected(Error{"agent.worker.start_failed", "fork", true});
  }
  if (pid == 0) {
    ::close(to_worker[1]);
    ::close(from_worker[0]);
    worker_main(config, options, to_worker[0], from_worker[1]);
  }
  ::close(to_worker[0]);
  ::close(from_worker[1]);
  return Worker{pid, to_worker[1], from_worker[0], {}};
}

// Ends the worker and reaps it: SIGKILL when `kill`, else it is asked to end (its command pipe
// closed) and given `grace` to finish an attempt under way before it is killed. Returns its wait
// status.
constexpr std::chrono::seconds kExitGrace{5};  // a worker whose pipe closed is exiting already
int stop_worker(Worker& w, bool kill, std::chrono::milliseconds grace) {
  if (w.pid < 0) return 0;
  if (kill) ::kill(w.pid, SIGKILL);
  ::close(w.commands);
  int status = 0;
  const auto until = std::chrono::steady_clock::now() + grace;
  for (;;) {
    const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
    if (r == w.pid || (r < 0 && errno != EINTR)) break;
    if (r == 0 && std::chrono::steady_clock::now() >= until) {
      ::kill(w.pid, SIGKILL);
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::close(w.results);
  w = Worker{};
  return status;
}

// What a worker that ended without answering tells by its exit status.
Error worker_died(int status, const Config& config) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitTpmTimeout) {
    return {"agent.tpm.timeout",
            fmt::format("the TPM did not answer within {} s (unreachable, hung or in failure mode)",
                        config.tpm_timeout_s),
            true};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitServerTimeout) {
    return {"agent.server.timeout", "attestd did not answer in time", true};
  }
  return {"agent.worker.died",
          WIFSIGNALED(status) ? fmt::format("the attestation process was killed by signal {}", WTERMSIG(status))
                              : fmt::format("the attestation process ended with status {}", WEXITSTATUS(status)),
          true};
}

// The longest an attempt can take when every deadline of the worker holds (open + quote on the
// TPM, two requests of four steps each to attestd), with a margin: past it the worker is killed.
std::chrono::milliseconds attempt_limit(const Config& config) {
  return std::chrono::seconds(3 * config.tpm_timeout_s + 2 * (4 * config.server_timeout_s + 5) + 30);
}

// What one attempt gives: the log line of an attestation, or why there is none.
using Attempt = std::expected<std::string, Error>;

Attempt decode(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected(Error{"agent.worker.died", "the attestation process answered garbage", true});
  }
  if (j.value("ok", false)) return j.value("line", std::string());
  return std::unexpected(Error{j.value("id", std::string("agent.worker.died")), j.value("message", std::string()),
                               j.value("retryable", false)});
}

// Asks the worker for one attestation and waits for its answer, the worker's end, the attempt
// limit or a stop signal (nullopt).
std::optional<Attempt> attempt(Worker& w, const Config& config) {
  if (!write_all(w.commands, "a")) return std::unexpected(worker_died(stop_worker(w, false, kExitGrace), config));
  const auto until = std::chrono::steady_clock::now() + attempt_limit(config);
  for (;;) {
    if (const auto nl = w.pending.find('\n'); nl != std::string::npos) {
      const std::string line = w.pending.substr(0, nl);
      w.pending.erase(0, nl + 1);
      return decode(line);
    }
    if (g_stop.load()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= until) {
      stop_worker(w, true, kExitGrace);
      return std::unexpected(Error{"agent.worker.timeout", "the attestation did not finish in time", true});
    }
    pollfd p{w.results, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;  // nothing yet, or EINTR from a signal: look at g_stop again
    char buf[4096];
    const ssize_t n = ::read(w.results, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(worker_died(stop_worker(w, false, kExitGrace), config));
    w.pending.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

int exit_status(const Error& e) {
  if (is_config_error(e)) return kExitConfig;
  if (e.id == "agent.tpm.timeout") return kExitTpmTimeout;
  if (e.id == "agent.server.timeout") return kExitServerTimeout;
  return 1;
}

bool is_config_error(const Error& e) {
  return e.id.starts_with("agent.config.");
}

int run_loop(const Config& config, const AttestOptions& options, const RunOptions& run) {
  const auto config_error = [](const Error& e) {
    fmt::print(stderr, "attest-agent: {}: {}\n", e.id, e.message);
    return kExitConfig;
  };
  if (auto v = validate_config(config); !v) return config_error(v.error());
  // The credential, the CA and the URL are checked here, before any worker: a file that cannot
  // be read is a configuration error, not something to retry.
  if (auto api = ServerApi::connect(config); !api) return config_error(api.error());
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGPIPE, SIG_IGN);

  Worker worker;
  uint64_t done = 0;
  unsigned failures = 0;
  int rc = 0;
  while (!g_stop.load()) {
    Attempt outcome = std::unexpected(Error{});
    if (worker.pid < 0) {
      if (auto w = start_worker(config, options))
        worker = std::move(*w);
      else
        outcome = std::unexpected(w.error());
    }
    if (worker.pid >= 0) {
      auto answer = attempt(worker, config);
      if (!answer) break;  // stopped by a signal
      outcome = std::move(*answer);
    }
    ++done;
    std::chrono::milliseconds wait = run.interval;
    if (outcome) {
      failures = 0;
      log_line(config, *outcome);
      wait = jitter(run.interval * 9 / 10, run.interval);
    } else {
      const Error& e = outcome.error();
      if (is_config_error(e)) {
        rc = config_error(e);
        break;
      }
      const bool tpm_side = e.id.starts_with("agent.tpm.") || e.id.starts_with("agent.ak.");
      if (!tpm_side && !e.retryable) {
        // attestd refused what we sent (4xx): asking again at once would be refused again.
        wait = jitter(run.interval * 9 / 10, run.interval);
      } else {
        failures = std::min(failures + 1, 20u);
        const auto ceiling =
            std::min(run.max_backoff, std::chrono::milliseconds(500) * (1u << std::min(failures, 16u)));
        wait = jitter(ceiling / 2, ceiling);
      }
      log_line(config, fmt::format("error={} retry_in={}ms message=\"{}\"", e.id, wait.count(), e.message));
    }
    if (run.count && done >= *run.count) break;
    sleep_for(wait);
  }
  // A stop signal may arrive mid-attempt: the worker finishes it (every step is under a deadline)
  // and flushes its keys, or is killed when it overruns.
  stop_worker(worker, false, attempt_limit(config));
  return rc;
}

}  // namespace attestd::agent
