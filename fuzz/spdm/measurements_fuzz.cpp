// Fuzzes the SPDM measurement path: byte 0 picks the negotiated algorithms (and, with bit 7, the
// VCA parser instead); the rest is GET_MEASUREMENTS || MEASUREMENTS, parsed as a requester would
// and then verified as a one-exchange transcript. Properties: an accepted response splits into
// unsigned part + signature exactly; nothing verifies under a key that never signed; an invalid
// verdict always has reasons.
#include <cstdint>
#include <span>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/spdm/algorithms.h"
#include "attestd/evidence/spdm/constants.h"
#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurements.h"
#include "attestd/evidence/spdm/measurements_verification.h"
#include "attestd/evidence/spdm/transcript.h"
#include "attestd/evidence/spdm/vca.h"
#include "fuzz_support.h"

using namespace attestd::evidence;
using namespace attestd::evidence::spdm;

namespace {

struct AlgSet {
  uint32_t asym;
  uint32_t hash;
  uint32_t meas;
};
constexpr AlgSet kSets[] = {
    {kAsymEcdsaP256, kHashSha256, kMeasHashSha256}, {kAsymEcdsaP384, kHashSha384, kMeasHashSha384},
    {kAsymEcdsaP521, kHashSha512, kMeasHashSha512}, {kAsymRsapss3072, kHashSha384, kMeasHashRawOnly},
    {kAsymEd25519, kHashSha256, kMeasHashSha256},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::span<const uint8_t> input(data + 1, size - 1);
  if ((selector & 0x80) != 0) {
    const auto vca = parse_vca(input);
    if (!vca) attestd::fuzz::check(!vca.error().message.empty());
    return 0;
  }
  const AlgSet& set = kSets[selector % std::size(kSets)];

  ByteReader r(input);
  const auto req = read_get_measurements(r);
  if (!req) return 0;
  const size_t req_size = r.position();
  MeasurementsParseOptions options;
  options.signature_size = req->signature_requested() ? *signature_size(set.asym) : 0;
  const auto rsp = parse_measurements(r.rest(), options);
  if (rsp) {
    attestd::fuzz::check(rsp->unsigned_part.size() + rsp->signature.size() == r.remaining(), "split");
    attestd::fuzz::check(rsp->signature.size() == options.signature_size, "signature size");
  }

  Transcript t;
  t.exchanges.push_back({input.first(req_size), r.rest()});
  MeasurementsVerifyOptions vo;
  NegotiatedAlgorithms alg;
  alg.version = req->version;
  alg.measurement_specification = kMeasurementSpecDmtf;
  alg.base_asym = set.asym;
  alg.base_hash = set.hash;
  alg.measurement_hash = set.meas;
  vo.algorithms = alg;
  const uint8_t nonce[32] = {};
  vo.expected_nonce = std::span<const uint8_t>(nonce);
  const auto v = verify_measurements(t, attestd::fuzz::unrelated_p384_key(), vo);
  attestd::fuzz::check(!v.valid && !v.reasons.empty(), "verified under an unrelated key");

  // The same bytes as a one-pair message log.
  const std::span<const uint8_t> log[] = {input.first(req_size), r.rest()};
  (void)transcripts_from_log(log);
  return 0;
}
