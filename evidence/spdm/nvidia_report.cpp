// NVIDIA attestation reports (FORMATS-SPDM.md sections 7.2 - 7.4).
#include "attestd/evidence/nvidia/report.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/spdm/algorithms.h"
#include "attestd/evidence/spdm/constants.h"
#include "attestd/evidence/spdm/reasons.h"
#include "attestd/evidence/spdm/signature.h"

namespace attestd::evidence::nvidia {

namespace spdm = attestd::evidence::spdm;

namespace {

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::expected<std::vector<uint8_t>, Error> decode_report(std::span<const uint8_t> in) {
  size_t start = 0;
  while (start < in.size() && is_space(in[start])) ++start;
  if (start == in.size()) return std::unexpected(Error{kReportEncodingInvalid, "the report is empty"});
  // Binary: the first byte is an SPDM version (0x10..), neither a hex digit nor whitespace.
  if (hex_value(in[start]) < 0) return std::vector<uint8_t>(in.begin(), in.end());
  if (in.size() - start >= 2 && in[start] == '0' && (in[start + 1] == 'x' || in[start + 1] == 'X')) start += 2;
  std::vector<uint8_t> out;
  out.reserve((in.size() - start) / 2);
  int high = -1;
  for (size_t i = start; i < in.size(); ++i) {
    if (is_space(in[i])) continue;
    const int v = hex_value(in[i]);
    if (v < 0) {
      return std::unexpected(Error{kReportEncodingInvalid, fmt::format("byte {} (0x{:02x}) of the hex report is not a hex "
                                                                       "digit",
                                                                       i, in[i])});
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) return std::unexpected(Error{kReportEncodingInvalid, "the hex report has an odd number of digits"});
  return out;
}

std::expected<ParsedReport, Error> parse_report(std::span<const uint8_t> report) {
  ByteReader r(report);
  ParsedReport out;
  auto req = spdm::read_get_measurements(r);
  if (!req) return std::unexpected(req.error());
  // Section 7.3 step 1: an SPDM 1.1 signed GET_MEASUREMENTS of 37 bytes.
  if (req->version != spdm::kVersion11 || !req->signature_requested()) {
    return std::unexpected(Error{kReportUnsupported,
                                 fmt::format("the report's request is SPDM {} with attributes 0x{:02x}; NVIDIA reports "
                                             "are SPDM 1.1 with a signature requested",
                                             spdm::version_name(req->version), req->attributes)});
  }
  out.request_bytes = report.first(r.position());
  spdm::MeasurementsParseOptions options;
  options.signature_size = kReportSignatureSize;
  const size_t response_start = r.position();
  auto rsp = spdm::read_measurements(r, options);
  if (!rsp) return std::unexpected(rsp.error());
  out.request = *req;
  out.response = std::move(*rsp);
  out.signed_bytes = report.first(response_start + out.response.unsigned_part.size());
  out.trailing = r.rest();
  return out;
}

ReportVerification verify_nvidia_report(std::span<const uint8_t> report, EVP_PKEY* leaf_key,
                                        std::span<const uint8_t> expected_nonce) {
  ReportVerification out;
  auto parsed = parse_report(report);
  if (!parsed) {
    out.reasons.push_back(Error{kReportMalformed, fmt::format("the report does not parse: {}", parsed.error().message)});
    out.reasons.push_back(std::move(parsed.error()));
    return out;
  }
  const auto& req = parsed->request;
  const auto& rsp = parsed->response;
  auto& c = out.claims;
  out.parsed = true;
  c.spdm_version = rsp.version;
  c.slot_id = rsp.slot_id();
  c.requester_nonce.assign(req.nonce->begin(), req.nonce->end());
  c.responder_nonce.assign(rsp.nonce.begin(), rsp.nonce.end());
  c.measurements.reserve(rsp.blocks.size());
  for (const auto& b : rsp.blocks) c.measurements.push_back(spdm::to_claim(b));
  c.opaque_bytes.assign(rsp.opaque_data.begin(), rsp.opaque_data.end());
  c.signature.assign(rsp.signature.begin(), rsp.signature.end());
  c.trailing_bytes.assign(parsed->trailing.begin(), parsed->trailing.end());

  // Section 7.3 step 5: report[4:36] is the verifier's nonce.
  c.nonce_matches = c.requester_nonce.size() == expected_nonce.size() &&
                    CRYPTO_memcmp(c.requester_nonce.data(), expected_nonce.data(), expected_nonce.size()) == 0;
  if (!c.nonce_matches) {
    out.reasons.push_back(Error{kReportNonceMismatch, fmt::format("report nonce {}, expected {}", to_hex(c.requester_nonce),
                                                                  to_hex(expected_nonce))});
  }
  // Section 7.4: opaque TLVs.
  if (auto opaque = parse_opaque_data(rsp.opaque_data); opaque) {
    c.opaque = std::move(*opaque);
  } else {
    out.reasons.push_back(std::move(opaque.error()));
  }
  // Section 7.2 / step 8: ECDSA P-384 over SHA-384(request || response up to the signature), the
  // SPDM 1.1 recipe (no signing-context prefix), r || s big-endian.
  const auto algorithms = spdm::nvidia_report_algorithms();
  spdm::SignatureParams sp;
  sp.version = spdm::kVersion11;
  sp.base_asym = algorithms.base_asym;
  sp.base_hash = HashAlg::sha384;
  sp.recipe = spdm::SigningRecipe::hash_of_transcript;
  const std::span<const uint8_t> pieces[] = {parsed->signed_bytes};
  if (auto ok = spdm::verify_transcript_signature(leaf_key, sp, pieces, rsp.signature); !ok) {
    out.reasons.push_back(Error{kReportSignatureInvalid, fmt::format("{} ({})", ok.error().message, ok.error().id)});
  }
  out.valid = out.reasons.empty();
  return out;
}

}  // namespace attestd::evidence::nvidia
