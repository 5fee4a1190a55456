// Compares a replayed log with the PCR values a (verified) quote reports.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::evidence::eventlog {

struct ReplayComparison {
  // Failures: kReplayPcrMismatch (index, bank, the quoted value and the replayed one) and
  // kReplayBankMissing. Empty means every quoted PCR the log touches is explained by the log.
  std::vector<Error> mismatches;
  // Quoted PCRs the log touches and explains, per bank, ascending.
  std::map<HashAlg, std::vector<uint32_t>> verified;
  // PCRs the log touches that the quote does not cover, per replayed bank, ascending: reported,
  // not a failure (nothing vouches for them).
  std::map<HashAlg, std::vector<uint32_t>> unverified;

  [[nodiscard]] bool ok() const { return mismatches.empty(); }
};

// Every quoted PCR that the log touches must equal its replayed value (quoted PCRs the log does not
// touch, such as PCR 10 under IMA, are left to policy). A quoted bank the replay lacks while the log
// touches that PCR fails closed with kReplayBankMissing. When PCR 5 does not match and the log has
// no "Exit Boot Services Invocation" event, the message says so (firmware that skips the Exit Boot
// Services events: go-attestation's ebs_event_missing_eventlog); no workaround is applied.
ReplayComparison compare_replay(const Replay& replay, const PcrValues& quoted);

}  // namespace attestd::evidence::eventlog
