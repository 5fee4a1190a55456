#include "attestd/evidence/eventlog/replay_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attestd/evidence/eventlog/reasons.h"

namespace attestd::evidence::eventlog {

namespace {

// PFP 1.04: PCR 5 holds the Exit Boot Services EV_EFI_ACTION events.
constexpr uint32_t kExitBootServicesPcr = 5;

}  // namespace

ReplayComparison compare_replay(const Replay& replay, const PcrValues& quoted) {
  ReplayComparison out;
  for (const auto& [alg, quoted_bank] : quoted) {
    const auto replayed = replay.pcrs.find(alg);
    std::vector<uint32_t> missing;  // touched PCRs this bank's replay cannot vouch for
    for (const auto& [index, value] : quoted_bank) {
      // Only PCRs with events in the log can be checked (others, like IMA's PCR 10, are not ours).
      if (index >= kPcrCount || !replay.touched.test(index)) continue;
      if (replayed == replay.pcrs.end()) {
        missing.push_back(index);
        continue;
      }
      const auto it = replayed->second.find(index);
      if (it == replayed->second.end()) {  // unreachable: every touched PCR is in a replayed bank
        missing.push_back(index);
        continue;
      }
      if (it->second == value) {
        out.verified[alg].push_back(index);
        continue;
      }
      std::string message =
          fmt::format("PCR {} ({}): the quote reports {} but the event log replays to {}", index, hash_alg_name(alg),
                      value.hex(), it->second.hex());
      if (index == kExitBootServicesPcr && !replay.exit_boot_services_logged) {
        message +=
            "; the log has no \"Exit Boot Services Invocation\" EV_EFI_ACTION: the firmware did not log its "
            "Exit Boot Services events, so the log does not explain PCR 5";
      }
      out.mismatches.push_back(Error{kReplayPcrMismatch, std::move(message)});
    }
    if (!missing.empty()) {
      // Fail closed: the quote vouches for these PCRs in a bank the log cannot be replayed in.
      out.mismatches.push_back(Error{
          kReplayBankMissing,
          fmt::format("the quote covers PCR {} in bank {}, which the event log touches but does not record (or "
                      "cannot be replayed) in that bank",
                      fmt::join(missing, ", "), hash_alg_name(alg))});
    }
  }
  for (const auto& [alg, bank] : replay.pcrs) {
    const auto q = quoted.find(alg);
    for (const auto& [index, value] : bank) {
      if (q == quoted.end() || !q->second.contains(index)) out.unverified[alg].push_back(index);
    }
  }
  return out;
}

}  // namespace attestd::evidence::eventlog
