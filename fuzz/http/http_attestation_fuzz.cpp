// libFuzzer entry of the HTTP request-path fuzzer; harness.h describes the input and the
// properties. In the ordinary build the same entry replays the seed corpus as a ctest test, and
// then also fails unless some seed reached an affirming verdict: a harness that stopped reaching
// the end of the attestation path (a changed nonce, a broken key, a policy that no longer loads)
// would otherwise pass by refusing everything.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "harness.h"

#ifdef ATTESTD_HTTP_FUZZ_REPLAY
namespace {
struct RequireAffirming {
  ~RequireAffirming() {
    const auto& c = attestd::fuzz_http::Harness::instance().counts();
    std::printf("http_attestation_fuzz: %llu inputs, %llu affirming, %llu keys released\n",
                static_cast<unsigned long long>(c.inputs.load()), static_cast<unsigned long long>(c.affirming.load()),
                static_cast<unsigned long long>(c.released.load()));
    if (c.inputs > 0 && (c.affirming == 0 || c.released == 0)) {
      std::fprintf(stderr, "http_attestation_fuzz: no seed reached an affirming verdict with a key released\n");
      std::fflush(nullptr);
      std::_Exit(1);
    }
  }
};
// Constructed after the harness (instance() runs first), so destroyed before it.
[[maybe_unused]] RequireAffirming* const g_require = [] {
  attestd::fuzz_http::Harness::instance();
  static RequireAffirming r;
  return &r;
}();
}  // namespace
#endif

// ASan's stack-use-after-return check (on by default with clang 16) gives every frame of
// nlohmann's recursive CBOR reader a fake frame, and inputs of nested CBOR made that the larger
// part of each run: measured on this target, 49,814 runs in 96 CPU-seconds with it, 126,372 in 96
// without (same corpus). ASAN_OPTIONS=detect_stack_use_after_return=1 turns it back on.
extern "C" const char* __asan_default_options() { return "detect_stack_use_after_return=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attestd::fuzz_http::Harness::instance().run({data, size});
  return 0;
}
