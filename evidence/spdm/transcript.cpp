// Cutting measurement transcripts out of a message log (FORMATS-SPDM.md section 5.1; DSP0274 1.3
// clause 10.11.1: "L1/L2 ... reset" rules, clause 10.3 VCA restart at GET_VERSION).
#include "attestd/evidence/spdm/transcript.h"

#include "attestd/evidence/spdm/constants.h"
#include "parse_util.h"

namespace attestd::evidence::spdm {

using detail::fail;

std::expected<std::vector<LoggedTranscript>, Error> transcripts_from_log(
    std::span<const std::span<const uint8_t>> messages) {
  std::vector<LoggedTranscript> out;
  std::vector<std::span<const uint8_t>> vca;
  bool vca_open = false;
  std::vector<MeasurementExchange> pairs;
  size_t first_request = 0;

  for (size_t i = 0; i < messages.size(); i += 2) {
    const auto req = messages[i];
    if (req.size() < kHeaderSize || !is_request_code(req[1])) {
      return fail(kTranscriptUnexpectedMessage,
                  fmt::format("log message {} ({} bytes) is not a request where one belongs", i, req.size()));
    }
    if (i + 1 >= messages.size()) {
      return fail(kTranscriptUnexpectedMessage, fmt::format("log ends after request {} without its response", i));
    }
    const auto rsp = messages[i + 1];
    if (rsp.size() < kHeaderSize || is_request_code(rsp[1])) {
      return fail(kTranscriptUnexpectedMessage,
                  fmt::format("log message {} ({} bytes) is not a response where one belongs", i + 1, rsp.size()));
    }
    const uint8_t code = req[1];
    if (code == kCodeGetVersion) {
      // Clause 10.3: GET_VERSION restarts the connection; the VCA begins here.
      vca.assign({req, rsp});
      vca_open = true;
      pairs.clear();
      continue;
    }
    if (vca_open && (code == kCodeGetCapabilities || code == kCodeNegotiateAlgorithms)) {
      vca.push_back(req);
      vca.push_back(rsp);
      vca_open = code != kCodeNegotiateAlgorithms;
      pairs.clear();
      continue;
    }
    vca_open = false;
    if (code != kCodeGetMeasurements || rsp[1] == kCodeError) {
      // Any other request, or an ERROR answer to GET_MEASUREMENTS, resets L1/L2.
      pairs.clear();
      continue;
    }
    if (pairs.empty()) first_request = i;
    pairs.push_back({req, rsp});
    if ((req[2] & kAttrSignatureRequested) != 0) {
      // The signed MEASUREMENTS closes the transcript.
      LoggedTranscript t;
      t.transcript.vca = vca;
      t.transcript.exchanges = std::move(pairs);
      t.first_request = first_request;
      t.signed_request = i;
      out.push_back(std::move(t));
      pairs.clear();
    }
  }
  if (out.empty()) return fail(kTranscriptNoSignedMeasurements, "the log holds no signed MEASUREMENTS");
  return out;
}

}  // namespace attestd::evidence::spdm
