// The agent's commands; main.cpp only parses flags and maps results to exit codes.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "error.h"
#include "server_api.h"
#include "tpm.h"

namespace attestd::agent {

// Exit codes of init/enroll/attest: 0 affirming or warning, 2 contraindicated or none, 1 a failed
// step, 3 the TPM and 4 attestd did not answer in time (deadline.h), 78 (EX_CONFIG) configuration
// errors. `run` ends non-zero on configuration errors only.
inline constexpr int kExitNotAffirming = 2;
inline constexpr int kExitConfig = 78;

// The exit status for a failed step: kExitConfig for agent.config.*, kExitTpmTimeout for
// agent.tpm.timeout, kExitServerTimeout for agent.server.timeout, else 1.
int exit_status(const Error& e);
// True for the errors only a change of configuration can cure (agent.config.*): `run` stops on them.
bool is_config_error(const Error& e);

// The TPM with the EK and the agent's AK loaded, kept across attestations by `run`.
struct AgentTpm {
  std::unique_ptr<Tpm> tpm;
  Bytes ek_public;
  AkInfo ak;
};
std::expected<AgentTpm, Error> open_agent_tpm(const Config& config);

// `init`: creates (or loads) the AK and prints its Name; ak.pub in the state directory is the
// TPM2B_PUBLIC the administrator registers the host with.
std::expected<AkInfo, Error> init_ak(const Config& config);

// `enroll`: credential activation with attestd (POST .../enrollment, TPM2_ActivateCredential,
// POST .../activate). Returns the AK Name the service now trusts.
std::expected<std::string, Error> enroll(const Config& config);

struct GpuFiles {
  std::filesystem::path report;
  std::filesystem::path chain;
};

struct AttestOptions {
  std::vector<std::string> release;  // key names; non-empty → an ephemeral key is bound
  bool bind_key = false;             // bind an ephemeral key even without --release
  std::vector<GpuFiles> gpus;
  std::optional<std::filesystem::path> out_dir;
  bool to_stdout = false;
};

struct AttestOutcome {
  std::string attestation_id;
  std::string verdict;
  std::vector<std::string> reason_ids;
  std::vector<std::string> released;  // names of keys unwrapped and written
  std::vector<std::string> refused;   // "name:reason"
};

// One attestation: challenge, quote bound to the nonce (and the ephemeral key), evidence, verdict,
// released keys unwrapped and written. `tpm` is reused when given.
std::expected<AttestOutcome, Error> attest_once(const Config& config, const AttestOptions& options, AgentTpm& tpm,
                                                ServerApi& api);

// One log line for an attestation.
std::string describe(const AttestOutcome& outcome);

struct RunOptions {
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds max_backoff{300'000};
  std::optional<uint64_t> count;  // stop after this many attestations (tests)
};
// `run`: attests every interval until SIGTERM/SIGINT; failures (attestd down or slow, 5xx, network,
// TPM errors, a TPM that stops answering, an unreadable event log) are logged one line each and
// retried with jittered exponential backoff. The TPM and attestd are used by a worker process
// that the loop replaces when a deadline ends it (deadline.h), so a hung TPM costs one attempt,
// not the agent. Returns 0 on a signal or after `count` attempts, kExitConfig on a configuration
// error.
int run_loop(const Config& config, const AttestOptions& options, const RunOptions& run);

}  // namespace attestd::agent
