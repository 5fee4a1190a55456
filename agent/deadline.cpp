#include "deadline.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>

namespace attestd::agent {

namespace {

std::atomic<const char*> g_message{nullptr};
std::atomic<int> g_status{1};

extern "C" void deadline_expired(int) {
  const char* m = g_message.load();
  if (m != nullptr) {
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, m, std::strlen(m));
  }
  ::_exit(g_status.load());
}

}  // namespace

Deadline::Deadline(std::chrono::seconds limit, const char* message, int status) {
  g_message.store(message);
  g_status.store(status);
  struct sigaction sa {};
  sa.sa_handler = deadline_expired;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGALRM, &sa, nullptr);
  ::alarm(static_cast<unsigned>(std::max<int64_t>(1, limit.count())));
}

Deadline::~Deadline() {
  ::alarm(0);
}

TpmDeadline::TpmDeadline(std::chrono::seconds limit)
    : Deadline(
          limit,
          "attest-agent: agent.tpm.timeout: the TPM did not answer in time (unreachable, hung or in failure mode)\n",
          kExitTpmTimeout) {}

ServerDeadline::ServerDeadline(std::chrono::seconds limit)
    : Deadline(limit, "attest-agent: agent.server.timeout: attestd accepted the request but did not answer in time\n",
               kExitServerTimeout) {}

}  // namespace attestd::agent
