// Claims from real measured-boot logs, built the way the service builds them
// (verifier/service/attestations_api.cpp verify_tpm): parse, replay, bind data to digests, compare
// with the quoted PCR values, then boot_events(). The quote itself is verified elsewhere
// (tests/evidence/tpm); here the quoted values are the TPM-reported ones the test data gives.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/claims.h"
#include "attestd/policy/pcr_json.h"
#include "test_util.h"

namespace attestd::policy::test {

inline const std::string kShared = ATTESTD_SHARED_TESTDATA;
inline const std::string kVmboot = kShared + "/vmboot/";
inline const std::string kGoEventlog = kShared + "/go-eventlog/testdata/eventlogs/tpm/";

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  const std::string text = read_text(path);
  return {text.begin(), text.end()};
}

// The PCR values of a pcrs.json ({"sha256": {"0": hex}}) or of the "pcrs" member of a go-eventlog
// *.expected.json, keeping only `indices` of `banks` (what a quote would select); empty keeps all.
inline evidence::PcrValues quoted_pcrs(const std::string& path, std::vector<std::string> banks = {},
                                       std::vector<uint32_t> indices = {}) {
  auto doc = nlohmann::json::parse(read_text(path));
  if (doc.contains("pcrs")) doc = doc["pcrs"];
  nlohmann::json selected = nlohmann::json::object();
  for (const auto& [bank, values] : doc.items()) {
    if (!banks.empty() && std::find(banks.begin(), banks.end(), bank) == banks.end()) continue;
    for (const auto& [index, hex] : values.items()) {
      const auto i = static_cast<uint32_t>(std::stoul(index));
      if (indices.empty() || std::find(indices.begin(), indices.end(), i) != indices.end()) selected[bank][index] = hex;
    }
  }
  auto pcrs = pcr_values_from_json(selected);
  EXPECT_TRUE(pcrs.has_value()) << path << ": " << (pcrs ? std::string() : pcrs.error());
  return pcrs ? *pcrs : evidence::PcrValues{};
}

// TPM claims of a verified quote over `quoted` with the log at `log_path`.
inline TpmClaims tpm_claims(const std::string& log_path, const evidence::PcrValues& quoted) {
  namespace el = evidence::eventlog;
  TpmClaims claims;
  claims.quote_verified = true;
  claims.pcrs = quoted;
  claims.event_log_present = true;
  const auto bytes = read_bytes(log_path);
  auto log = el::parse_event_log(bytes);
  EXPECT_TRUE(log.has_value()) << log_path;
  if (!log) {
    claims.event_log_reasons.push_back(log.error());
    return claims;
  }
  const auto replayed = el::replay_pcrs(*log);
  claims.event_log_reasons = replayed.reasons;
  for (auto& r : el::check_event_digests(*log)) claims.event_log_reasons.push_back(std::move(r));
  const auto cmp = el::compare_replay(replayed, quoted);
  claims.event_log_reasons.insert(claims.event_log_reasons.end(), cmp.mismatches.begin(), cmp.mismatches.end());
  claims.event_log_verified_pcrs = cmp.verified;
  claims.event_log_verified = claims.event_log_reasons.empty();
  claims.boot_events = std::make_shared<const std::vector<BootEvent>>(boot_events(*log));
  return claims;
}

// One vmboot boot as a quote over sha256:0-9 (the quote.* files of each folder) would present it.
inline TpmClaims vmboot_claims(const std::string& boot) {
  return tpm_claims(kVmboot + boot + "/eventlog.bin",
                    quoted_pcrs(kVmboot + boot + "/pcrs.json", {"sha256"}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

}  // namespace attestd::policy::test
