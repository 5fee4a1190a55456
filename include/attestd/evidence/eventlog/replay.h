// PCR replay of an event log: what the TPM's PCRs must hold if the log is complete and true.
#pragma once

#include <bitset>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::evidence::eventlog {

struct Replay {
  // For every bank in EventLog::banks that OpenSSL can compute, the value of every touched PCR.
  PcrValues pcrs;
  // The PCRs that at least one extending event names (the same in every bank).
  std::bitset<kPcrCount> touched;
  // Problems found while replaying (kPcrOutOfRange), one per event, in log order.
  std::vector<Error> reasons;
  // Whether the log holds the EV_EFI_ACTION "Exit Boot Services Invocation" that PFP firmware
  // logs in PCR 5; compare_replay names its absence when PCR 5 does not match.
  bool exit_boot_services_logged = false;
  // Banks of the Spec ID event that some extending event has no digest for: the log cannot
  // reproduce them, so they are absent from `pcrs` and a quote on them finds the bank missing.
  std::vector<HashAlg> incomplete_banks;
};

// Replays every bank in log order: PCR_new = H(PCR_old || digest) (TPM 2.0 Part 1 §17.2).
// EV_NO_ACTION events are never extended (PFP 1.04 §9.4.5). Initial values: PCR 17-22 are ff…ff,
// the others zeros, except PCR 0, which starts at 00…04 when the log holds an EV_EFI_HCRTM_EVENT
// (H-CRTM: TPM 2.0 Part 1 §34.3 resets PCR 0 to 4), else at 00…0L when the first StartupLocality
// EV_NO_ACTION event on PCR 0 gives locality L (PFP 1.04 §9.4.5.3). An event naming a PCR >= 24 is
// not extended and adds kPcrOutOfRange to `reasons`.
Replay replay_pcrs(const EventLog& log);

}  // namespace attestd::evidence::eventlog
