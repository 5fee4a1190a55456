// A process-wide deadline for a blocking step whose library offers no timeout of its own (a TCTI
// read from a TPM that stopped answering, the shared HTTPS client waiting on a server that accepts
// and never answers). When it expires the process prints the reason id and exits with `status`:
// a hung agent is worse than one that ends clearly. `attest` ends with that status; under `run`
// the process that ends is the worker, and the loop logs the timeout and starts another
// (run_loop.cpp). Deadlines use SIGALRM, so they must not nest; the agent's steps run one after
// another on one thread.
#pragma once

#include <chrono>

namespace attestd::agent {

inline constexpr int kExitTpmTimeout = 3;
inline constexpr int kExitServerTimeout = 4;

class Deadline {
 public:
  // `message` must be a string literal (it is written from the signal handler).
  Deadline(std::chrono::seconds limit, const char* message, int status);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
};

// The TPM's deadline: "agent.tpm.timeout", exit status 3.
class TpmDeadline : public Deadline {
 public:
  explicit TpmDeadline(std::chrono::seconds limit);
};

// attestd's backstop deadline for one request, beyond the HTTPS client's own per-step timeout
// (what it cannot bound, such as name resolution): "agent.server.timeout", exit status 4.
class ServerDeadline : public Deadline {
 public:
  explicit ServerDeadline(std::chrono::seconds limit);
};

}  // namespace attestd::agent
