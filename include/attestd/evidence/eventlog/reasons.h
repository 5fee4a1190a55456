// Stable reason ids of the measured-boot event-log part of the evidence layer.
//
// Ids never change once shipped; the message that travels with each (attestd::evidence::Error)
// is built at the failure site and names the offset, event index, PCR, bank or value involved.
#pragma once

#include <string_view>

namespace attestd::evidence::eventlog {

// --- parse_event_log: structure (TCG PC Client PFP 1.04 §9) ---
// The log has no bytes at all.
inline constexpr std::string_view kParseEmpty = "eventlog.parse.empty";
// A field (header, digest or event data) runs past the end of the log.
inline constexpr std::string_view kParseTruncated = "eventlog.parse.truncated";
// The Spec ID header event (PFP §9.4.5.1) is malformed or lies about its size.
inline constexpr std::string_view kParseSpecIdInvalid = "eventlog.parse.spec_id_invalid";
// A TCG_PCR_EVENT2 digest names an algorithm the Spec ID event does not list: its size is unknown.
inline constexpr std::string_view kParseUnknownAlgorithm = "eventlog.parse.unknown_algorithm";
// A TCG_PCR_EVENT2 does not carry exactly one digest per Spec ID algorithm (PFP §9.1).
inline constexpr std::string_view kParseDigestCountMismatch = "eventlog.parse.digest_count_mismatch";
// An EventSize is above kMaxEventDataSize.
inline constexpr std::string_view kParseEventTooLarge = "eventlog.parse.event_too_large";
// Bytes after the last event that cannot even hold an event header.
inline constexpr std::string_view kParseTrailingBytes = "eventlog.parse.trailing_bytes";
// More than kMaxEvents events.
inline constexpr std::string_view kParseTooManyEvents = "eventlog.parse.too_many_events";
// The log is larger than kMaxLogSize.
inline constexpr std::string_view kParseLogTooLarge = "eventlog.parse.log_too_large";

// --- decode_event_data / decode_signature_lists: meaning of one event's data ---
inline constexpr std::string_view kEventDataInvalid = "eventlog.event.data_invalid";

// --- check_event_digests ---
// A digest that is defined over the event data is not the hash of that data.
inline constexpr std::string_view kDigestMismatch = "eventlog.event.digest_mismatch";

// --- replay_pcrs ---
// An event names a PCR index >= 24; it is not extended.
inline constexpr std::string_view kPcrOutOfRange = "eventlog.event.pcr_out_of_range";

// --- compare_replay ---
// A quoted PCR the log touches replays to another value.
inline constexpr std::string_view kReplayPcrMismatch = "eventlog.replay.pcr_mismatch";
// The quote covers a bank the log does not have (or we cannot hash) for a PCR the log touches.
inline constexpr std::string_view kReplayBankMissing = "eventlog.replay.bank_missing";

}  // namespace attestd::evidence::eventlog
