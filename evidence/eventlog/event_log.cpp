// parse_event_log: TCG PC Client PFP 1.04 §9.1-9.2 (TCG_PCR_EVENT, TCG_PCR_EVENT2) and §9.4.5.1
// (the Spec ID header event).
#include "attestd/evidence/eventlog/event_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "spec_id.h"

namespace attestd::evidence::eventlog {

void EventDigests::push_back(const EventDigest& d) {
  if (heap_.empty() && size_ < kInline) {
    inline_[size_++] = d;
    return;
  }
  if (heap_.empty()) heap_.assign(inline_.begin(), inline_.end());
  heap_.push_back(d);
  ++size_;
}

const EventDigest* EventDigests::find(HashAlg alg) const {
  for (const EventDigest& d : *this) {
    if (d.alg == alg) return &d;
  }
  return nullptr;
}

namespace {

// TCG_PCR_EVENT: PCRIndex u32, EventType u32, Digest[20], EventSize u32 (PFP 1.04 §9.2).
constexpr size_t kSha1DigestSize = 20;
constexpr size_t kLegacyHeaderSize = 4 + 4 + kSha1DigestSize + 4;

std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

// Reads EventSize and the event data that follows it, applying the size limit first so that a
// hostile size is named for what it is.
std::expected<std::span<const uint8_t>, Error> read_event_data(ByteReader& r, size_t index, size_t offset) {
  const size_t size_offset = r.position();
  uint32_t size = 0;
  if (!r.read_u32_le(size)) {
    return fail(kParseTruncated, fmt::format("event {} at offset {}: EventSize at offset {} runs past the end of the log",
                                             index, offset, size_offset));
  }
  if (size > kMaxEventDataSize) {
    return fail(kParseEventTooLarge, fmt::format("event {} at offset {}: EventSize {} exceeds the limit of {} bytes",
                                                 index, offset, size, kMaxEventDataSize));
  }
  std::span<const uint8_t> data;
  if (!r.read_bytes(size, data)) {
    return fail(kParseTruncated, fmt::format("event {} at offset {}: EventSize {} exceeds the {} bytes left in the log",
                                             index, offset, size, r.remaining()));
  }
  return data;
}

// One TCG_PCR_EVENT. The caller has checked that a whole header is present.
std::expected<Event, Error> read_legacy_event(ByteReader& r, size_t index) {
  Event ev;
  ev.index = index;
  ev.offset = r.position();
  std::span<const uint8_t> digest;
  if (!r.read_u32_le(ev.pcr) || !r.read_u32_le(ev.type) || !r.read_bytes(kSha1DigestSize, digest)) {
    return fail(kParseTruncated, fmt::format("event {} at offset {}: TCG_PCR_EVENT header runs past the end of the log",
                                             index, ev.offset));
  }
  ev.digests.push_back(EventDigest{HashAlg::sha1, Digest(digest)});
  auto data = read_event_data(r, index, ev.offset);
  if (!data) return std::unexpected(std::move(data.error()));
  ev.data = *data;
  return ev;
}

// One TCG_PCR_EVENT2 (PFP 1.04 §9.2): PCRIndex u32, EventType u32, TPML_DIGEST_VALUES
// {count u32, count x (hashAlg u16, digest[size from the Spec ID event])}, EventSize u32, Event.
std::expected<Event, Error> read_agile_event(ByteReader& r, size_t index, const SpecIdEvent& spec) {
  Event ev;
  ev.index = index;
  ev.offset = r.position();
  uint32_t count = 0;
  if (!r.read_u32_le(ev.pcr) || !r.read_u32_le(ev.type) || !r.read_u32_le(count)) {
    return fail(kParseTruncated, fmt::format("event {} at offset {}: TCG_PCR_EVENT2 header runs past the end of the log",
                                             index, ev.offset));
  }
  // PFP 1.04 §9.1: "For each Hash algorithm enumerated in the TCG_PCClientPCREvent entry, there
  // SHALL be a corresponding digest in all TCG_PCR_EVENT2 structures". tpm2-tools' fixtures carry
  // events with fewer digests than the Spec ID event lists; they parse, and replay_pcrs() drops
  // every bank that some extending event lacks, so no quote on that bank can be explained by the
  // log (fail closed with eventlog.replay.bank_missing). More digests than banks, or none, cannot
  // be a log of these banks at all.
  if (count == 0 || count > spec.algorithms.size()) {
    return fail(kParseDigestCountMismatch,
                fmt::format("event {} at offset {}: DigestCount {} but the Spec ID event lists {} algorithms", index,
                            ev.offset, count, spec.algorithms.size()));
  }
  uint32_t seen = 0;  // bit i: spec.algorithms[i] already has a digest in this event
  for (uint32_t i = 0; i < count; ++i) {
    const size_t alg_offset = r.position();
    uint16_t alg_id = 0;
    if (!r.read_u16_le(alg_id)) {
      return fail(kParseTruncated, fmt::format("event {} at offset {}: digest {} at offset {} runs past the end of the log",
                                               index, ev.offset, i, alg_offset));
    }
    const auto it = std::find_if(spec.algorithms.begin(), spec.algorithms.end(),
                                 [&](const auto& a) { return static_cast<uint16_t>(a.first) == alg_id; });
    // The digest size comes only from the Spec ID event: without it the rest cannot be parsed.
    if (it == spec.algorithms.end()) {
      return fail(kParseUnknownAlgorithm,
                  fmt::format("event {} at offset {}: digest {} at offset {} uses algorithm 0x{:04x}, which the Spec ID "
                              "event does not list",
                              index, ev.offset, i, alg_offset, alg_id));
    }
    const auto slot = static_cast<uint32_t>(it - spec.algorithms.begin());
    if ((seen & (1u << slot)) != 0) {
      return fail(kParseDigestCountMismatch,
                  fmt::format("event {} at offset {}: algorithm 0x{:04x} has two digests, so another bank has none",
                              index, ev.offset, alg_id));
    }
    seen |= 1u << slot;
    std::span<const uint8_t> digest;
    if (!r.read_bytes(it->second, digest)) {
      return fail(kParseTruncated, fmt::format("event {} at offset {}: {}-byte digest at offset {} runs past the end of the log",
                                               index, ev.offset, it->second, r.position()));
    }
    ev.digests.push_back(EventDigest{it->first, Digest(digest)});
  }
  auto data = read_event_data(r, index, ev.offset);
  if (!data) return std::unexpected(std::move(data.error()));
  ev.data = *data;
  return ev;
}

bool starts_with(std::span<const uint8_t> data, std::string_view prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin(),
                                                    [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; });
}

std::expected<void, Error> check_event_count(size_t count, size_t offset) {
  if (count >= kMaxEvents) {
    return fail(kParseTooManyEvents,
                fmt::format("more than {} events (the next starts at offset {})", kMaxEvents, offset));
  }
  return {};
}

Error trailing(size_t remaining, size_t offset, size_t last_index, size_t header_size) {
  return Error{kParseTrailingBytes,
               fmt::format("{} bytes at offset {} after event {} cannot hold an event header ({} bytes)", remaining,
                           offset, last_index, header_size)};
}

}  // namespace

std::expected<EventLog, Error> parse_event_log(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail(kParseEmpty, "the event log is empty");
  if (bytes.size() > kMaxLogSize) {
    return fail(kParseLogTooLarge,
                fmt::format("the event log is {} bytes, above the limit of {}", bytes.size(), kMaxLogSize));
  }
  ByteReader r(bytes);
  // Every log starts with a TCG_PCR_EVENT: the Spec ID header of a crypto-agile log is one too
  // (PFP 1.04 §9.4.5.1), so the first event alone tells the format.
  if (r.remaining() < kLegacyHeaderSize) {
    return fail(kParseTruncated, fmt::format("the event log is {} bytes, shorter than one TCG_PCR_EVENT header ({})",
                                             bytes.size(), kLegacyHeaderSize));
  }
  auto first = read_legacy_event(r, 0);
  if (!first) return std::unexpected(std::move(first.error()));

  EventLog log;
  // Real events are at least ~50 bytes; this avoids regrowing for typical logs.
  log.events.reserve(std::min(bytes.size() / 64 + 1, kMaxEvents));

  if (first->type == EV_NO_ACTION && starts_with(first->data, kSpecIdSignature03)) {
    auto spec = parse_spec_id_event03(*first);
    if (!spec) return std::unexpected(std::move(spec.error()));
    log.format = LogFormat::crypto_agile;
    for (const auto& [alg, size] : spec->algorithms) {
      if (hash_alg_from_tpm_id(static_cast<uint16_t>(alg))) log.banks.push_back(alg);
    }
    log.spec_id = std::move(*spec);
    log.events.push_back(std::move(*first));
    // Below this, bytes cannot even hold PCRIndex, EventType, DigestCount and EventSize; anything
    // longer is read as an event and fails on the field that is wrong.
    constexpr size_t header_size = 4 + 4 + 4 + 4;
    while (!r.empty()) {
      if (r.remaining() < header_size) {
        return std::unexpected(trailing(r.remaining(), r.position(), log.events.back().index, header_size));
      }
      if (auto ok = check_event_count(log.events.size(), r.position()); !ok) return std::unexpected(ok.error());
      auto ev = read_agile_event(r, log.events.size(), *log.spec_id);
      if (!ev) return std::unexpected(std::move(ev.error()));
      log.events.push_back(std::move(*ev));
    }
    return log;
  }

  log.format = LogFormat::sha1_legacy;
  log.banks = {HashAlg::sha1};
  if (first->type == EV_NO_ACTION &&
      (starts_with(first->data, kSpecIdSignature00) || starts_with(first->data, kSpecIdSignature02))) {
    auto spec = parse_spec_id_legacy(*first);
    if (!spec) return std::unexpected(std::move(spec.error()));
    log.spec_id = std::move(*spec);
  }
  log.events.push_back(std::move(*first));
  while (!r.empty()) {
    if (r.remaining() < kLegacyHeaderSize) {
      return std::unexpected(trailing(r.remaining(), r.position(), log.events.back().index, kLegacyHeaderSize));
    }
    if (auto ok = check_event_count(log.events.size(), r.position()); !ok) return std::unexpected(ok.error());
    auto ev = read_legacy_event(r, log.events.size());
    if (!ev) return std::unexpected(std::move(ev.error()));
    log.events.push_back(std::move(*ev));
  }
  return log;
}

}  // namespace attestd::evidence::eventlog
