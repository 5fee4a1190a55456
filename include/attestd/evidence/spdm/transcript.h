// Measurement transcripts (L1/L2, DSP0274 1.3 clause 10.11.1 and clause 15; FORMATS-SPDM.md
// section 5.1): the GET_MEASUREMENTS / MEASUREMENTS pairs since the last reset, with the VCA in
// front from 1.2 on, and how to cut them out of a log of every message of a connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::evidence::spdm {

struct MeasurementExchange {
  std::span<const uint8_t> request;   // GET_MEASUREMENTS
  std::span<const uint8_t> response;  // MEASUREMENTS; the last one of a transcript carries the signature
};

// The evidence one signed MEASUREMENTS covers. Spans borrow from the caller's bytes.
struct Transcript {
  // The VCA (GET_VERSION .. ALGORITHMS) in one or more pieces whose concatenation is the VCA: the
  // six messages, or vca.bin. Needed for 1.2+ (it starts L1L2) and to learn the algorithms.
  std::vector<std::span<const uint8_t>> vca;
  // The pairs since the last reset, in order; only the last is signed.
  std::vector<MeasurementExchange> exchanges;
};

// A transcript found in a message log, with the positions of its messages in the log.
struct LoggedTranscript {
  Transcript transcript;
  size_t first_request = 0;   // log position of the first GET_MEASUREMENTS of the transcript
  size_t signed_request = 0;  // log position of the signed GET_MEASUREMENTS
};

// Walks a log of SPDM messages (every request followed by its response, in order, as a requester
// captures them) and returns one transcript per signed MEASUREMENTS (FORMATS-SPDM.md 5.1):
// the VCA is the messages from the last GET_VERSION through ALGORITHMS; L1/L2 restarts at any
// request other than GET_MEASUREMENTS, at an ERROR answer to GET_MEASUREMENTS, and after every
// signed MEASUREMENTS. Only the messages' first two bytes and GET_MEASUREMENTS Param1 are read
// here; verify_measurements parses the rest. Errors: spdm.transcript.unexpected_message (a
// request where a response belongs or the reverse, an empty message, a log ending after a
// request), spdm.transcript.no_signed_measurements. Spans borrow from `messages`.
std::expected<std::vector<LoggedTranscript>, Error> transcripts_from_log(
    std::span<const std::span<const uint8_t>> messages);

}  // namespace attestd::evidence::spdm
