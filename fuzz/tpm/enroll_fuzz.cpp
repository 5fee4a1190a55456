// Host enrollment parsers on hostile bytes: EK public areas, EK certificates (DER with NV padding,
// or PEM), CA bundles and tpm2-tools credential files. The first input byte picks the parser so
// one corpus covers all four. Properties: accepted credential files re-serialise to the same
// bytes; an accepted EK public area can wrap a credential.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "attestd/evidence/tpm/credential.h"
#include "attestd/evidence/tpm/ek_certificate.h"

namespace tpm = attestd::evidence::tpm;

namespace {

class FixedRandom final : public tpm::RandomSource {
 public:
  bool fill(std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 1);
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto ek = tpm::parse_ek_public(bytes);
      if (ek) {
        static const uint8_t kName[34] = {0x00, 0x0b};
        static const uint8_t kSecret[32] = {1, 2, 3};
        FixedRandom rng;
        (void)tpm::make_credential(*ek, kName, kSecret, rng);
      }
      break;
    }
    case 1:
      (void)tpm::parse_ek_certificate(bytes);
      break;
    case 2:
      (void)tpm::parse_ek_ca_bundle(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      break;
    case 3: {
      auto cred = tpm::parse_tpm2_tools_credential_file(bytes);
      if (cred) {
        const auto again = tpm::to_tpm2_tools_credential_file(*cred);
        if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) std::abort();
      }
      break;
    }
  }
  return 0;
}
