// Fuzzes parse_tpm2_tools_pcr_file. Properties: every value has its bank's digest size, and no
// more values come out than the file's 16 selections of at most 32 PCRs can name.
#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/evidence/tpm/quote.h"
#include "fuzz_keys.h"

using namespace attestd::evidence;
using namespace attestd::evidence::tpm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto pcrs = parse_tpm2_tools_pcr_file(std::span<const uint8_t>(data, size));
  if (!pcrs) {
    fuzz::check(!pcrs.error().message.empty());
    return 0;
  }
  size_t total = 0;
  std::vector<PcrSelection> selections;
  for (const auto& [alg, bank] : *pcrs) {
    PcrSelection sel{alg, {}};
    for (const auto& [index, value] : bank) {
      fuzz::check(index < 32 && value.size() == digest_size(alg));
      sel.pcrs.push_back(index);
      ++total;
    }
    selections.push_back(std::move(sel));
  }
  fuzz::check(total <= kPcrFileMaxSelections * 32);
  // Whatever was read, every value is there to hash.
  fuzz::check(compute_pcr_digest(HashAlg::sha256, selections, *pcrs).has_value());
  return 0;
}
