// The measured-boot event log the agent sends with its quote. Fail closed: a configured log that
// is missing, unreadable or empty fails the attestation with a reason id instead of being left
// out, because attestd cannot tell "this host has no log" from "the agent lost it" and a host
// should not be able to drop the evidence that would convict it. A host without a log says so in
// its configuration ("event_log": "none").
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "codec.h"
#include "error.h"

namespace attestd::agent {

// The configuration value that sends no event log.
inline constexpr std::string_view kNoEventLog = "none";
// Far above any firmware log (the PC Client PFP logs seen are tens to hundreds of KiB); it bounds
// the agent's memory. attestd's own body limit (limits.max_body_bytes, 1 MiB by default) is
// checked there and answered with http.body.too_large.
inline constexpr size_t kMaxEventLogSize = 8u * 1024 * 1024;

// Reads the log at `path`, or nullopt when `path` is kNoEventLog. Fails with
//   agent.eventlog.missing     the path does not exist
//   agent.eventlog.unreadable  it cannot be opened or read (permissions, a directory, I/O error)
//   agent.eventlog.empty       it holds no bytes (securityfs without a firmware log)
//   agent.eventlog.too_large   it holds more than kMaxEventLogSize bytes
std::expected<std::optional<Bytes>, Error> read_event_log(const std::string& path);

}  // namespace attestd::agent
