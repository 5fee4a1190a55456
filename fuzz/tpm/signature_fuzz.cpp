// Fuzzes parse_tpmt_signature (TPMT_SIGNATURE through libtss2-mu) and verify_signature with
// what it accepts. Properties: an accepted input is canonical (re-marshals to the same bytes)
// and never verifies under keys that signed nothing.
#include <tss2/tss2_mu.h>

#include <cstring>

#include "attestd/evidence/tpm/signature.h"
#include "fuzz_keys.h"

using namespace attestd::evidence;
using namespace attestd::evidence::tpm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto sig = parse_tpmt_signature(std::span<const uint8_t>(data, size));
  if (!sig) {
    fuzz::check(!sig.error().message.empty());
    return 0;
  }
  TPMT_SIGNATURE decoded{};
  size_t offset = 0;
  fuzz::check(Tss2_MU_TPMT_SIGNATURE_Unmarshal(data, size, &offset, &decoded) == TSS2_RC_SUCCESS && offset == size);
  std::vector<uint8_t> again(size);
  size_t written = 0;
  fuzz::check(Tss2_MU_TPMT_SIGNATURE_Marshal(&decoded, again.data(), again.size(), &written) == TSS2_RC_SUCCESS);
  fuzz::check(written == size && std::memcmp(again.data(), data, size) == 0);

  static const uint8_t kMessage[] = {'a', 't', 't', 'e', 's', 't', 'd'};
  fuzz::check(!verify_signature(fuzz::rsa_key(), kMessage, *sig).has_value());
  fuzz::check(!verify_signature(fuzz::ecc_key(), kMessage, *sig).has_value());
  return 0;
}
