// Fuzzes NVIDIA report decoding (binary or hex text), parsing and verification. Properties:
// nothing verifies under a key that never signed; a parsed report's signed bytes, signature and
// trailing bytes tile the input; an invalid verdict always has reasons.
#include <cstdint>
#include <span>

#include "attestd/evidence/nvidia/report.h"
#include "fuzz_support.h"

using namespace attestd::evidence;
using namespace attestd::evidence::nvidia;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = decode_report(std::span<const uint8_t>(data, size));
  if (!bytes) return 0;
  const auto parsed = parse_report(*bytes);
  if (parsed) {
    attestd::fuzz::check(parsed->signed_bytes.size() + kReportSignatureSize + parsed->trailing.size() == bytes->size(),
                         "report tiling");
  }
  const uint8_t nonce[32] = {};
  const auto v = verify_nvidia_report(*bytes, attestd::fuzz::unrelated_p384_key(), nonce);
  attestd::fuzz::check(!v.valid && !v.reasons.empty(), "verified under an unrelated key");
  return 0;
}
