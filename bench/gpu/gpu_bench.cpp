// Whole-GPU verification as the service will run it cold: chain parse + validation to the pinned
// root, report decode + signature, FWID binding. Compare with spdm_bench's cached-key figure.
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/gpu/gpu_verification.h"
#include "attestd/evidence/x509/certificate.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::string kSamples =
    std::string(ATTESTD_SHARED_TESTDATA) + "/nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples/";

void BM_VerifyGpuColdChainIncluded(benchmark::State& state) {
  using namespace attestd::evidence;
  const std::string report_text = slurp(kSamples + "hopperAttestationReport.txt");
  const std::string chain = slurp(kSamples + "hopperCertChain.txt");
  const auto root = x509::parse_certificate_pem(slurp(std::string(ATTESTD_GOLDEN_VALUES_DIR) +
                                                      "/nvidia/device_identity_root.pem"));
  const auto nonce = *from_hex("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb");
  gpu::GpuTrust trust;
  trust.device_root = &*root;
  const std::span<const uint8_t> report(reinterpret_cast<const uint8_t*>(report_text.data()), report_text.size());
  const auto at = std::chrono::sys_days{std::chrono::year{2025} / 1 / 1};
  for (auto _ : state) {
    auto result = gpu::verify_gpu(report, chain, nonce, trust, std::chrono::sys_seconds{at});
    if (!result.valid) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_VerifyGpuColdChainIncluded)->Unit(benchmark::kMicrosecond);

}  // namespace
