// Fuzzes the SPDM certificate-chain structure parser and leaf-key extraction. Properties: an
// accepted chain's header and certificates tile the input exactly, in order.
#include <cstdint>
#include <span>

#include "attestd/evidence/spdm/cert_chain.h"
#include "fuzz_support.h"

using namespace attestd::evidence;
using namespace attestd::evidence::spdm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  for (HashAlg h : {HashAlg::sha384, HashAlg::sha256}) {
    const auto chain = parse_cert_chain(input, h);
    if (!chain) {
      attestd::fuzz::check(!chain.error().message.empty());
      continue;
    }
    size_t at = 4 + digest_size(h);
    for (const auto cert : chain->certificates) {
      attestd::fuzz::check(cert.data() == data + at, "certificates are contiguous");
      at += cert.size();
    }
    attestd::fuzz::check(at == size, "certificates fill the chain");
    (void)leaf_public_key(*chain);
  }
  return 0;
}
