// Fuzzes parse_attest (TPMS_ATTEST through libtss2-mu) and, for what it accepts, verify_quote.
// Properties: an accepted input is canonical (libtss2-mu re-marshals it to the same bytes), and
// no input verifies under a key that never signed anything; reasons are never empty when invalid.
#include <tss2/tss2_mu.h>

#include <cstring>

#include "attestd/evidence/tpm/attest.h"
#include "attestd/evidence/tpm/quote.h"
#include "fuzz_keys.h"

using namespace attestd::evidence;
using namespace attestd::evidence::tpm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const auto attest = parse_attest(input);
  if (!attest) {
    fuzz::check(!attest.error().message.empty());
    return 0;
  }

  TPMS_ATTEST decoded{};
  size_t offset = 0;
  fuzz::check(Tss2_MU_TPMS_ATTEST_Unmarshal(data, size, &offset, &decoded) == TSS2_RC_SUCCESS && offset == size);
  std::vector<uint8_t> again(size);
  size_t written = 0;
  fuzz::check(Tss2_MU_TPMS_ATTEST_Marshal(&decoded, again.data(), again.size(), &written) == TSS2_RC_SUCCESS);
  fuzz::check(written == size && std::memcmp(again.data(), data, size) == 0);

  // Values for every selected PCR, so that the pcrDigest path runs to the comparison.
  PcrValues pcrs;
  if (const auto* q = std::get_if<QuoteInfo>(&attest->attested)) {
    for (const auto& sel : q->selections) {
      for (uint32_t i : sel.pcrs) pcrs[sel.alg][i] = Digest::zeros(digest_size(sel.alg));
    }
  }
  const Signature sig = raw_rsa_signature(std::vector<uint8_t>(256, 0x5a), SigScheme::rsassa, HashAlg::sha256);
  const auto v = verify_quote(fuzz::rsa_key(), input, sig, attest->extra_data, pcrs);
  fuzz::check(!v.valid && !v.reasons.empty());
  return 0;
}
