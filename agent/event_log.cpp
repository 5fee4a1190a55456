#include "event_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attestd::agent {

namespace {

Error eventlog_error(const char* id, const std::string& path, int err) {
  return {id, fmt::format("event log {}: {}", path, std::strerror(err))};
}

}  // namespace

std::expected<std::optional<Bytes>, Error> read_event_log(const std::string& path) {
  if (path == kNoEventLog) return std::optional<Bytes>{};
  // read(2) in a loop rather than a stream: securityfs files report size 0 and streams hide
  // the errno that tells a missing log from an unreadable one.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return std::unexpected(
        eventlog_error(err == ENOENT ? "agent.eventlog.missing" : "agent.eventlog.unreadable", path, err));
  }
  Bytes log;
  uint8_t chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return std::unexpected(eventlog_error("agent.eventlog.unreadable", path, err));
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > kMaxEventLogSize - log.size()) {
      ::close(fd);
      return std::unexpected(Error{"agent.eventlog.too_large",
                                   fmt::format("event log {} is larger than {} bytes", path, kMaxEventLogSize)});
    }
    log.insert(log.end(), chunk, chunk + n);
  }
  ::close(fd);
  if (log.empty()) {
    return std::unexpected(Error{"agent.eventlog.empty",
                                 fmt::format("event log {} is empty (set \"event_log\": \"{}\" to attest without one)",
                                             path, kNoEventLog)});
  }
  return std::optional<Bytes>(std::move(log));
}

}  // namespace attestd::agent
