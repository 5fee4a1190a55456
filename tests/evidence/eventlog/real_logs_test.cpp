// Every event log in ../shared/testdata/index/eventlogs.json (and the vmboot boots) against what the
// index and MANIFEST say: parses or is rejected for the stated reason, event count, banks, format,
// event types, special events, decodability, digest bindings, and replay against every reference
// PCR file.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_data.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "test_support.h"

namespace attestd::evidence::eventlog {
namespace {

using testing::load_reference_pcrs;
using testing::read_file;
using testing::shared_testdata;

nlohmann::json index_entries() {
  std::ifstream in(shared_testdata() / "index/eventlogs.json");
  return nlohmann::json::parse(in);
}

// The reason each log the index marks as unparseable must be rejected with. The index's
// parse_error texts come from another parser; these are our ids.
const std::map<std::string, std::string_view>& expected_rejections() {
  static const std::map<std::string, std::string_view> m = {
      // "bogus\ninvalid event log file here": read as a TCG_PCR_EVENT its EventSize is 0x7265680a.
      {"keylime/test/data/create-mb-policy/binary_bios_measurements-bogus", kParseEventTooLarge},
      {"keylime/test/data/create-mb-policy/binary_bios_measurements-empty", kParseEmpty},
      // EventSize 37 but vendorInfoSize 4 needs 41 bytes.
      {"tpm2-tools/test/integration/fixtures/specid-vendordata.bin", kParseSpecIdInvalid},
  };
  return m;
}

// Reference files the index lists that hold no PCR values (MANIFEST: "TRUNCATED: tpm2_eventlog
// stopped before the end, no pcrs: section").
bool reference_without_pcrs(const std::string& path) {
  return path == "python3-uefi-eventlog/testing/good_logs/ideapad/parsed-tpm2-tools-5.5/1stcut/ideapad1.yml";
}

// "path (computed by tpm2_eventlog)" -> path
std::string strip_note(const std::string& ref) { return ref.substr(0, ref.find(" (")); }

std::string hex_type(uint32_t t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", t);
  return buf;
}

TEST(RealLogs, IndexListsEveryKindOfLog) {
  const auto entries = index_entries();
  EXPECT_EQ(entries.size(), 48u);
  size_t rejected = 0;
  for (const auto& e : entries) if (!e.at("parses").get<bool>()) ++rejected;
  EXPECT_EQ(rejected, expected_rejections().size());
}

TEST(RealLogs, EachParsesOrIsRejectedAsTheIndexStates) {
  for (const auto& e : index_entries()) {
    const auto path = e.at("path").get<std::string>();
    SCOPED_TRACE(path);
    const auto bytes = read_file(shared_testdata() / path);
    const auto log = parse_event_log(bytes);
    if (!e.at("parses").get<bool>()) {
      ASSERT_FALSE(log.has_value()) << "parsed a log the index says must be rejected";
      ASSERT_TRUE(expected_rejections().contains(path)) << "no expected reason for " << path;
      EXPECT_EQ(log.error().id, expected_rejections().at(path)) << log.error().message;
      EXPECT_FALSE(log.error().message.empty());
      continue;
    }
    ASSERT_TRUE(log.has_value()) << log.error().id << ": " << log.error().message;
    EXPECT_EQ(log->events.size(), e.at("events").get<size_t>());
    std::vector<std::string> banks;
    for (HashAlg b : log->banks) banks.emplace_back(hash_alg_name(b));
    EXPECT_EQ(banks, e.at("banks").get<std::vector<std::string>>());
    const auto format = e.at("format").get<std::string>();
    EXPECT_EQ(log->format, format == "crypto-agile" ? LogFormat::crypto_agile : LogFormat::sha1_legacy);
    EXPECT_EQ(log->spec_id.has_value(), log->format == LogFormat::crypto_agile);

    std::set<std::string> types;
    for (const Event& ev : log->events) types.insert(hex_type(ev.type));
    const auto listed = e.at("event_types").get<std::vector<std::string>>();
    EXPECT_EQ(types, std::set<std::string>(listed.begin(), listed.end()));

    // Event indices and offsets are positions in the file.
    for (size_t i = 0; i < log->events.size(); ++i) {
      EXPECT_EQ(log->events[i].index, i);
      if (i > 0) {
        EXPECT_GT(log->events[i].offset, log->events[i - 1].offset);
      }
    }
  }
}

TEST(RealLogs, EveryEventOfEveryLogDecodesAndSpecialEventsMatchTheIndex) {
  for (const auto& e : index_entries()) {
    const auto path = e.at("path").get<std::string>();
    if (!e.at("parses").get<bool>()) continue;
    SCOPED_TRACE(path);
    const auto bytes = read_file(shared_testdata() / path);
    const auto log = parse_event_log(bytes);
    ASSERT_TRUE(log.has_value());
    bool locality = false, hcrtm = false, sp800 = false;
    for (const Event& ev : log->events) {
      const auto data = decode_event_data(ev);
      if (!data) {
        ADD_FAILURE() << data.error().message;
        continue;
      }
      if (const auto* na = std::get_if<NoAction>(&*data)) {
        locality |= na->kind == NoAction::Kind::startup_locality;
        sp800 |= na->kind == NoAction::Kind::sp800_155;
      }
      hcrtm |= ev.type == EV_EFI_HCRTM_EVENT;
    }
    EXPECT_EQ(locality, e.at("has_startup_locality").get<bool>());
    EXPECT_EQ(hcrtm, e.at("has_hcrtm_event").get<bool>());
    EXPECT_EQ(sp800, e.at("has_sp800_155").get<bool>());
  }
}

TEST(RealLogs, DigestsBindTheirDataInEveryLogExceptArchLinuxEvent24) {
  // MANIFEST: tpm2-tools event-arch-linux.bin "event 24 digest does not match its payload"; no
  // other real log has a bound event whose digest is wrong.
  size_t bound = 0;
  for (const auto& e : index_entries()) {
    const auto path = e.at("path").get<std::string>();
    if (!e.at("parses").get<bool>()) continue;
    SCOPED_TRACE(path);
    const auto bytes = read_file(shared_testdata() / path);
    const auto log = parse_event_log(bytes);
    ASSERT_TRUE(log.has_value());
    const auto errors = check_event_digests(*log);
    if (path == "tpm2-tools/test/integration/fixtures/event-arch-linux.bin") {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].id, kDigestMismatch);
      EXPECT_TRUE(errors[0].message.starts_with("event 24 (")) << errors[0].message;
      EXPECT_FALSE(check_event_digest(log->events[24]).bound);
    } else {
      for (const auto& err : errors) ADD_FAILURE() << err.message;
    }
    for (const Event& ev : log->events) {
      if (check_event_digest(ev).bound) ++bound;
    }
  }
  // Falsifiability: most events of these logs are of bound types.
  EXPECT_GT(bound, 1500u);
}

void expect_replay_matches(const EventLog& log, const PcrValues& reference, const std::string& what) {
  SCOPED_TRACE(what);
  const Replay replay = replay_pcrs(log);
  EXPECT_TRUE(replay.reasons.empty());
  const ReplayComparison cmp = compare_replay(replay, reference);
  for (const auto& m : cmp.mismatches) ADD_FAILURE() << m.id << ": " << m.message;
  size_t expected = 0;
  for (const auto& [alg, bank] : reference) {
    for (const auto& [index, value] : bank) {
      if (replay.touched.test(index)) ++expected;
    }
  }
  size_t verified = 0;
  for (const auto& [alg, pcrs] : cmp.verified) verified += pcrs.size();
  EXPECT_EQ(verified, expected);
  EXPECT_GT(verified, 0u) << "the reference covers no PCR the log touches";
}

TEST(RealLogs, ReplayEqualsEveryReferencePcrFile) {
  size_t files = 0;
  for (const auto& e : index_entries()) {
    const auto path = e.at("path").get<std::string>();
    if (!e.at("parses").get<bool>()) continue;
    if (path == "go-attestation/attest/testdata/ebs_event_missing_eventlog") continue;  // own test below
    const auto bytes = read_file(shared_testdata() / path);
    const auto log = parse_event_log(bytes);
    ASSERT_TRUE(log.has_value()) << path;
    for (const auto& ref : e.at("reference_pcr_files")) {
      const auto ref_path = strip_note(ref.get<std::string>());
      if (reference_without_pcrs(ref_path)) {
        EXPECT_TRUE(load_reference_pcrs(shared_testdata() / ref_path).empty());
        continue;
      }
      expect_replay_matches(*log, load_reference_pcrs(shared_testdata() / ref_path), path + " vs " + ref_path);
      ++files;
    }
  }
  // 42 references in the index, less ebs (own test) and ideapad1.yml (no PCRs).
  EXPECT_EQ(files, 40u);
}

// tpm2-tools' event-uefiaction.bin lists sha1, sha256, sha384 and sha512 in its Spec ID event but
// its one event carries sha1 and sha256 digests only (against PFP 1.04 §9.1). It parses; the two
// banks it can replay match tpm2_eventlog, and a quote on the other two finds them missing.
TEST(RealLogs, BanksWithoutDigestsInSomeEventAreNotReplayedAndFailClosed) {
  for (const char* file : {"event-uefiaction.bin", "event-uefivar.bin"}) {
    SCOPED_TRACE(file);
    const auto bytes = read_file(shared_testdata() / "tpm2-tools/test/integration/fixtures" / file);
    const auto log = parse_event_log(bytes);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    const Replay replay = replay_pcrs(*log);
    EXPECT_EQ(replay.incomplete_banks, (std::vector<HashAlg>{HashAlg::sha384, HashAlg::sha512}));
    EXPECT_TRUE(replay.pcrs.contains(HashAlg::sha256));
    EXPECT_FALSE(replay.pcrs.contains(HashAlg::sha384));
    const uint32_t pcr = replay.touched.test(4) ? 4 : 7;
    const PcrValues quoted = {{HashAlg::sha384, {{pcr, Digest::zeros(48)}}}};
    const auto cmp = compare_replay(replay, quoted);
    ASSERT_EQ(cmp.mismatches.size(), 1u);
    EXPECT_EQ(cmp.mismatches[0].id, kReplayBankMissing);
  }
}

TEST(RealLogs, EventWithMoreDigestsThanBanksIsRejected) {
  // Spec ID event: sha256 only. The event then claims two digests.
  std::vector<uint8_t> log = read_file(shared_testdata() / "tpm2-tools/test/integration/fixtures/event-uefiaction.bin");
  const auto parsed = parse_event_log(log);
  ASSERT_TRUE(parsed.has_value());
  const size_t count_offset = parsed->events[1].offset + 8;
  log[count_offset] = 5;  // DigestCount 5 > 4 algorithms
  const auto rejected = parse_event_log(log);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().id, kParseDigestCountMismatch);
  log[count_offset] = 0;  // no digest at all
  const auto empty = parse_event_log(log);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().id, kParseDigestCountMismatch);
}

TEST(RealLogs, VmbootLogsReplayToTheTpmInAllFourBanks) {
  for (const auto& [boot, events] : std::vector<std::pair<std::string, size_t>>{
           {"nosb-direct", 25}, {"nosb-direct-cmdline2", 25}, {"sb-shim-grub", 49}}) {
    const auto dir = shared_testdata() / "vmboot" / boot;
    const auto bytes = read_file(dir / "eventlog.bin");
    const auto log = parse_event_log(bytes);
    ASSERT_TRUE(log.has_value()) << boot;
    EXPECT_EQ(log->events.size(), events);
    EXPECT_EQ(log->banks, (std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}));
    EXPECT_TRUE(check_event_digests(*log).empty()) << boot;
    const auto reference = load_reference_pcrs(dir / "pcrs.json");
    ASSERT_EQ(reference.size(), 4u);
    expect_replay_matches(*log, reference, boot);
    // The tpm2_eventlog dump beside it agrees as well.
    expect_replay_matches(*log, load_reference_pcrs(dir / "eventlog.tpm2_eventlog.yaml"), boot + " yaml");
    const auto cmp = compare_replay(replay_pcrs(*log), reference);
    // PCR 10 (IMA) is in the reference but not in the log: neither verified nor a failure.
    for (const auto& [alg, pcrs] : cmp.verified) {
      EXPECT_EQ(std::count(pcrs.begin(), pcrs.end(), 10u), 0);
    }
  }
}

TEST(RealLogs, EbsEventMissingLogIsFlaggedOnPcr5WithTheReason) {
  const auto base = shared_testdata() / "go-attestation/attest/testdata";
  const auto bytes = read_file(base / "ebs_event_missing_eventlog");
  const auto log = parse_event_log(bytes);
  ASSERT_TRUE(log.has_value());
  const auto reference = load_reference_pcrs(base / "ebs_event_missing_eventlog.expected_pcr5.json");
  PcrValues sha1_only{{HashAlg::sha1, reference.at(HashAlg::sha1)}};
  const Replay replay = replay_pcrs(*log);
  EXPECT_FALSE(replay.exit_boot_services_logged);
  EXPECT_EQ(replay.pcrs.at(HashAlg::sha1).at(5).hex().substr(0, 8), "e5781a2f");
  const auto cmp = compare_replay(replay, sha1_only);
  ASSERT_EQ(cmp.mismatches.size(), 1u);
  EXPECT_EQ(cmp.mismatches[0].id, kReplayPcrMismatch);
  EXPECT_NE(cmp.mismatches[0].message.find("PCR 5 (sha1)"), std::string::npos);
  EXPECT_NE(cmp.mismatches[0].message.find("31245808d6d35849bc394f6343f2b3ff908ed5e3"), std::string::npos);
  EXPECT_NE(cmp.mismatches[0].message.find("Exit Boot Services"), std::string::npos);
  // The reference's sha256 PCR 5 is for a bank this SHA-1 log does not have: fail closed.
  const auto both = compare_replay(replay, reference);
  ASSERT_EQ(both.mismatches.size(), 2u);
  EXPECT_EQ(both.mismatches[1].id, kReplayBankMissing);
}

}  // namespace
}  // namespace attestd::evidence::eventlog
