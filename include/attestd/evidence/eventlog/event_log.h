// TCG PC Client PFP measured-boot event logs (binary_bios_measurements): structure only.
//
// parse_event_log() reads a whole log, crypto-agile (Spec ID "Spec ID Event03" header followed by
// TCG_PCR_EVENT2 events, PFP 1.04 §9.1-9.2 and §9.4.5.1) or legacy SHA-1 (TCG_PCR_EVENT only), and
// returns its events without interpreting their data. Meaning lives elsewhere: event_data.h
// decodes data, digest_check.h binds data to digests, replay.h computes PCRs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::eventlog {

// Limits that keep a hostile log from costing unbounded memory or time.
inline constexpr size_t kMaxLogSize = 64u * 1024u * 1024u;  // kParseLogTooLarge
inline constexpr size_t kMaxEvents = 100000;                // kParseTooManyEvents
inline constexpr size_t kMaxEventDataSize = 16u * 1024u * 1024u;  // kParseEventTooLarge
// numberOfAlgorithms of a Spec ID event: TPM 2.0 Part 2 defines fewer hash algorithms than this.
inline constexpr size_t kMaxSpecIdAlgorithms = 16;

enum class LogFormat { crypto_agile, sha1_legacy };

// TCG_EfiSpecIDEvent (PFP 1.04 §9.4.5.1, "Spec ID Event03"), or for a legacy log whose first
// event is a TPM 1.2 TCG_PCClientSpecIDEventStruct ("Spec ID Event00"/"Spec ID Event02") the same
// fields with algorithms = {sha1, 20}.
struct SpecIdEvent {
  uint32_t platform_class = 0;
  uint8_t spec_version_minor = 0;
  uint8_t spec_version_major = 0;
  uint8_t spec_errata = 0;
  uint8_t uintn_size = 0;
  // In log order. An id hash_alg_from_tpm_id() does not know is kept as its raw value (its digests
  // are kept but never replayed: see EventLog::banks).
  std::vector<std::pair<HashAlg, uint16_t>> algorithms;
  // Borrowed from the bytes given to parse_event_log().
  std::span<const uint8_t> vendor_info;
};

struct EventDigest {
  HashAlg alg{};
  Digest digest;
};

// The digests of one event: a small vector that holds up to four (sha1, sha256, sha384, sha512:
// the banks real TPMs have) inline, so that parsing a log allocates once per log, not per event.
class EventDigests {
 public:
  static constexpr size_t kInline = 4;

  void push_back(const EventDigest& d);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] const EventDigest* begin() const { return heap_.empty() ? inline_.data() : heap_.data(); }
  [[nodiscard]] const EventDigest* end() const { return begin() + size_; }
  [[nodiscard]] const EventDigest& operator[](size_t i) const { return begin()[i]; }
  // The digest for alg, or nullptr when the event has none.
  [[nodiscard]] const EventDigest* find(HashAlg alg) const;

 private:
  std::array<EventDigest, kInline> inline_{};
  std::vector<EventDigest> heap_;  // all digests once there are more than kInline
  size_t size_ = 0;
};

struct Event {
  // Position in the log, counting the Spec ID header event as 0 (the numbering of tpm2_eventlog
  // and of testdata's eventlogs.json).
  size_t index = 0;
  // Byte offset of the event's first byte (its PCRIndex) in the log.
  size_t offset = 0;
  uint32_t pcr = 0;
  uint32_t type = 0;
  // Crypto-agile: one digest per Spec ID algorithm, in the event's order. Legacy, and the Spec ID
  // header event itself: one sha1 digest.
  EventDigests digests;
  // Borrowed from the bytes given to parse_event_log().
  std::span<const uint8_t> data;
};

struct EventLog {
  LogFormat format = LogFormat::sha1_legacy;
  // Present for every crypto-agile log, and for a legacy log that starts with a TPM 1.2 Spec ID.
  std::optional<SpecIdEvent> spec_id;
  // The banks that can be replayed: the Spec ID algorithms that hash_alg_from_tpm_id() knows, in
  // Spec ID order ({sha1} for a legacy log).
  std::vector<HashAlg> banks;
  // Every event in log order, the Spec ID header event included as events[0] of a crypto-agile
  // log, so events.size() is the count tpm2_eventlog and testdata/index/eventlogs.json give.
  std::vector<Event> events;
};

// Parses a whole event log. Fails with the first structural problem, as an Error with an id from
// reasons.h (kParseEmpty, kParseLogTooLarge, kParseTruncated, kParseSpecIdInvalid,
// kParseUnknownAlgorithm, kParseDigestCountMismatch, kParseEventTooLarge, kParseTrailingBytes,
// kParseTooManyEvents) and a message naming the offset and event index.
//
// The log must end exactly after its last event. Bytes after it are an error, padding included:
// fewer bytes than an event header are kParseTrailingBytes, more are read as an event and fail on
// the first wrong field (zeros: DigestCount 0). No log in testdata is padded, and Linux's
// binary_bios_measurements never is (the kernel stops at the last valid event), so accepting a
// zero or 0xFF tail would only hide corruption.
//
// The result borrows from `bytes` (Event::data, SpecIdEvent::vendor_info): keep `bytes` alive and
// unchanged for as long as the EventLog is used.
std::expected<EventLog, Error> parse_event_log(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::eventlog
