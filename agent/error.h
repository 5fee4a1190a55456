// What every agent step returns on failure: a stable reason id and a human message, like the
// service's reasons, so that logs and tests can match on the id.
#pragma once

#include <string>

namespace attestd::agent {

struct Error {
  std::string id;          // "agent.tpm.unreachable", "jwe.tag_mismatch", ...
  std::string message;     // for people
  bool retryable = false;  // transport failures, 5xx and 429: the run loop tries again
};

}  // namespace attestd::agent
