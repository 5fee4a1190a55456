// Signed SPDM measurement verification (DSP0274 1.3 clause 10.11; FORMATS-SPDM.md sections 3, 5).
#include "attestd/evidence/spdm/measurements_verification.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurements.h"
#include "attestd/evidence/spdm/vca.h"
#include "parse_util.h"

namespace attestd::evidence::spdm {

namespace {

bool equal_ct(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// Clause 10.11 / Table 55: the blocks a response holds must be what the request asked for, in the
// negotiated specification and digest size.
void check_blocks(const GetMeasurementsRequest& req, const MeasurementsResponse& rsp, const NegotiatedAlgorithms& alg,
                  size_t exchange, std::vector<Error>& reasons) {
  if (req.operation == kOperationCountOnly && !rsp.blocks.empty()) {
    reasons.push_back(Error{kMeasurementsBlockCountMismatch,
                            fmt::format("exchange {}: count-only request answered with {} blocks", exchange,
                                        rsp.blocks.size())});
  } else if (req.operation != kOperationCountOnly && req.operation != kOperationAll) {
    if (rsp.blocks.size() != 1) {
      reasons.push_back(Error{kMeasurementsBlockCountMismatch,
                              fmt::format("exchange {}: request for index {} answered with {} blocks", exchange,
                                          req.operation, rsp.blocks.size())});
    } else if (rsp.blocks.front().index != req.operation) {
      reasons.push_back(Error{kMeasurementsIndexMismatch, fmt::format("exchange {}: request for index {} answered "
                                                                      "with index {}",
                                                                      exchange, req.operation,
                                                                      rsp.blocks.front().index)});
    }
  }
  const auto digest_size = measurement_digest_size(alg.measurement_hash);
  for (const auto& b : rsp.blocks) {
    // Table 57: MeasurementSpecification is the one ALGORITHMS selected.
    if (b.specification != alg.measurement_specification) {
      reasons.push_back(Error{kMeasurementsSpecificationMismatch,
                              fmt::format("exchange {}: block {} uses specification 0x{:02x}, negotiated 0x{:02x}",
                                          exchange, b.index, b.specification, alg.measurement_specification)});
    }
    // Table 58: a digest-form value is a MeasurementHashAlgo digest.
    if (b.dmtf && !b.dmtf->raw_bit_stream() && (!digest_size || b.dmtf->value.size() != *digest_size)) {
      reasons.push_back(Error{kMeasurementsDigestSizeMismatch,
                              fmt::format("exchange {}: block {} digest of {} bytes, MeasurementHashAlgo 0x{:x} "
                                          "gives {}",
                                          exchange, b.index, b.dmtf->value.size(), alg.measurement_hash,
                                          digest_size ? fmt::format("{} bytes", *digest_size) : "no digest size")});
    }
  }
}

}  // namespace

MeasurementsVerification verify_measurements(const Transcript& transcript, EVP_PKEY* responder_key,
                                             const MeasurementsVerifyOptions& options) {
  MeasurementsVerification out;
  auto& reasons = out.reasons;
  auto& c = out.claims;
  const auto finish = [&out]() -> MeasurementsVerification {
    out.valid = out.reasons.empty();
    return std::move(out);
  };

  // Algorithms: from the VCA when given (clause 10.5), else from the caller (1.0/1.1 only).
  std::vector<uint8_t> vca_bytes;
  for (auto piece : transcript.vca) vca_bytes.insert(vca_bytes.end(), piece.begin(), piece.end());
  NegotiatedAlgorithms alg;
  if (!vca_bytes.empty()) {
    auto vca = parse_vca(vca_bytes);
    if (!vca) {
      reasons.push_back(std::move(vca.error()));
      return finish();
    }
    alg = vca->algorithms;
  } else if (options.algorithms) {
    alg = *options.algorithms;
  } else {
    reasons.push_back(Error{kTranscriptMissingVca, "no VCA and no algorithms: the transcript cannot be read"});
    return finish();
  }
  c.algorithms = alg;
  const SigningRecipe recipe = options.recipe != SigningRecipe::by_version
                                   ? options.recipe
                                   : (alg.version >= kVersion12 ? SigningRecipe::signing_context
                                                                : SigningRecipe::hash_of_transcript);
  // Clause 15 / FORMATS-SPDM.md 5.1: from 1.2 on, L1/L2 starts with the VCA.
  if (recipe == SigningRecipe::signing_context && vca_bytes.empty()) {
    reasons.push_back(Error{kTranscriptMissingVca, fmt::format("SPDM {} signs the VCA, which was not given",
                                                               version_name(alg.version))});
  }
  const auto sig_size = signature_size(alg.base_asym);
  const auto base_hash = base_hash_alg(alg.base_hash);
  if (!sig_size) {
    reasons.push_back(Error{kAlgorithmUnsupported, fmt::format("BaseAsymSel 0x{:x} is not one algorithm", alg.base_asym)});
    return finish();
  }
  if (!base_hash) reasons.push_back(base_hash.error());
  if (transcript.exchanges.empty()) {
    reasons.push_back(Error{kTranscriptUnexpectedMessage, "the transcript holds no GET_MEASUREMENTS"});
    return finish();
  }

  // Every exchange, in order; the last one must be the signed one.
  std::vector<std::span<const uint8_t>> signed_pieces;
  if (recipe == SigningRecipe::signing_context) signed_pieces.assign(transcript.vca.begin(), transcript.vca.end());
  bool parsed_all = true;
  const size_t last = transcript.exchanges.size() - 1;
  c.exchanges = transcript.exchanges.size();
  for (size_t i = 0; i <= last; ++i) {
    const auto& ex = transcript.exchanges[i];
    auto req = parse_get_measurements(ex.request);
    if (!req) {
      reasons.push_back(std::move(req.error()));
      parsed_all = false;
      continue;
    }
    // Clause 9.1: every message after VCA carries the negotiated version.
    if (req->version != alg.version) {
      reasons.push_back(Error{kVersionMismatch, fmt::format("exchange {}: GET_MEASUREMENTS is SPDM {}, negotiated {}", i,
                                                            version_name(req->version), version_name(alg.version))});
    }
    const bool is_last = i == last;
    if (req->signature_requested() && !is_last) {
      reasons.push_back(Error{kTranscriptUnexpectedMessage,
                              fmt::format("exchange {} is signed but not last: a signed MEASUREMENTS closes L1/L2", i)});
    }
    if (is_last && !req->signature_requested()) {
      reasons.push_back(Error{kMeasurementsNotSigned, "the last GET_MEASUREMENTS does not request a signature"});
    }
    MeasurementsParseOptions popts;
    popts.signature_size = req->signature_requested() ? *sig_size : 0;
    auto rsp = parse_measurements(ex.response, popts);
    if (!rsp) {
      reasons.push_back(std::move(rsp.error()));
      parsed_all = false;
      continue;
    }
    // Table 55: the response's SPDMVersion is the request's.
    if (rsp->version != req->version) {
      reasons.push_back(Error{kVersionMismatch, fmt::format("exchange {}: MEASUREMENTS is SPDM {}, its request {}", i,
                                                            version_name(rsp->version), version_name(req->version))});
    }
    // Table 55 (1.2+): ContentChanged is only meaningful, and only non-zero, when signed.
    if (!req->signature_requested() && rsp->version >= kVersion12 && rsp->content_changed() != 0) {
      reasons.push_back(Error{kMeasurementsContentChangedUnsigned,
                              fmt::format("exchange {}: unsigned MEASUREMENTS with ContentChanged {}", i,
                                          rsp->content_changed())});
    }
    check_blocks(*req, *rsp, alg, i, reasons);
    signed_pieces.push_back(ex.request);
    signed_pieces.push_back(rsp->unsigned_part);
    if (!is_last) continue;

    // The signed exchange: bindings and claims.
    c.operation = req->operation;
    c.slot_id = rsp->slot_id();
    c.content_changed = rsp->content_changed();
    if (req->nonce) c.requester_nonce.assign(req->nonce->begin(), req->nonce->end());
    c.responder_nonce.assign(rsp->nonce.begin(), rsp->nonce.end());
    c.requester_context.assign(rsp->requester_context.begin(), rsp->requester_context.end());
    c.opaque_data.assign(rsp->opaque_data.begin(), rsp->opaque_data.end());
    c.signature.assign(rsp->signature.begin(), rsp->signature.end());
    c.measurements.reserve(rsp->blocks.size());
    for (const auto& b : rsp->blocks) c.measurements.push_back(to_claim(b));
    // Table 55 (1.1+): Param2 SlotID is the request's SlotIDParam when signed.
    if (req->slot_id_param && rsp->slot_id() != req->slot_id()) {
      reasons.push_back(Error{kMeasurementsSlotMismatch, fmt::format("MEASUREMENTS SlotID {}, SlotIDParam {}",
                                                                     rsp->slot_id(), req->slot_id())});
    }
    // The binding: the requester's nonce is the verifier's challenge.
    if (options.expected_nonce) {
      c.nonce_checked = true;
      c.nonce_matches = equal_ct(c.requester_nonce, *options.expected_nonce);
      if (!c.nonce_matches) {
        reasons.push_back(Error{kNonceMismatch, fmt::format("GET_MEASUREMENTS nonce {}, expected {}",
                                                            to_hex(c.requester_nonce), to_hex(*options.expected_nonce))});
      }
    }
    // 1.3 Table 55: RequesterContext is the request's, unchanged.
    if (req->requester_context) {
      const std::span<const uint8_t> sent(*req->requester_context);
      if (!equal_ct(sent, rsp->requester_context)) {
        reasons.push_back(Error{kRequesterContextMismatch, fmt::format("MEASUREMENTS RequesterContext {}, request {}",
                                                                       to_hex(rsp->requester_context), to_hex(sent))});
      }
    }
    if (req->signature_requested() && base_hash && parsed_all) {
      SignatureParams sp;
      sp.version = alg.version;
      sp.base_asym = alg.base_asym;
      sp.base_hash = *base_hash;
      sp.recipe = recipe;
      if (auto ok = verify_transcript_signature(responder_key, sp, signed_pieces, rsp->signature); !ok) {
        reasons.push_back(std::move(ok.error()));
      }
    }
  }
  return finish();
}

}  // namespace attestd::evidence::spdm
