#include "nvml_gpus.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace attestd::agent {

namespace {

// nvml.h (R535+), the few declarations used here; NVML keeps these layouts stable across releases.
using nvmlReturn_t = int;
using nvmlDevice_t = void*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr nvmlReturn_t kNvmlErrorNotSupported = 3;
constexpr size_t kCertChainSize = 0x1000;             // NVML_GPU_CERT_CHAIN_SIZE
constexpr size_t kAttestationCertChainSize = 0x1400;  // NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE
constexpr size_t kNonceSize = 0x20;                   // NVML_CC_GPU_CEC_NONCE_SIZE
constexpr size_t kReportSize = 0x2000;                // NVML_CC_GPU_ATTESTATION_REPORT_SIZE
constexpr size_t kCecReportSize = 0x1000;             // NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE

struct NvmlCertificate {  // nvmlConfComputeGpuCertificate_t
  unsigned int certChainSize;
  unsigned int attestationCertChainSize;
  unsigned char certChain[kCertChainSize];
  unsigned char attestationCertChain[kAttestationCertChainSize];
};

struct NvmlReport {  // nvmlConfComputeGpuAttestationReport_t
  unsigned int isCecAttestationReportPresent;
  unsigned int attestationReportSize;
  unsigned int cecAttestationReportSize;
  unsigned char nonce[kNonceSize];
  unsigned char attestationReport[kReportSize];
  unsigned char cecAttestationReport[kCecReportSize];
};

struct Closer {
  void operator()(void* h) const { dlclose(h); }
};

template <typename Fn>
Fn symbol(void* lib, const char* name) {
  return reinterpret_cast<Fn>(dlsym(lib, name));  // NOLINT: dlsym gives untyped pointers
}

Error nvml_failed(const char* call, nvmlReturn_t rc) {
  return {"agent.gpu.nvml_failed", fmt::format("{} returned NVML error {}", call, rc)};
}

}  // namespace

std::expected<std::vector<GpuEvidence>, Error> collect_nvml_gpus(std::span<const uint8_t> binding,
                                                                 const std::string& library) {
  if (binding.size() != kNonceSize) {
    return std::unexpected(Error{"agent.gpu.binding_size", "the GPU nonce must be 32 bytes"});
  }
  std::unique_ptr<void, Closer> lib(dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!lib) return std::vector<GpuEvidence>{};  // no NVIDIA driver on this host

  auto init = symbol<nvmlReturn_t (*)()>(lib.get(), "nvmlInit_v2");
  auto shutdown = symbol<nvmlReturn_t (*)()>(lib.get(), "nvmlShutdown");
  auto count_fn = symbol<nvmlReturn_t (*)(unsigned int*)>(lib.get(), "nvmlDeviceGetCount_v2");
  auto handle_fn = symbol<nvmlReturn_t (*)(unsigned int, nvmlDevice_t*)>(lib.get(), "nvmlDeviceGetHandleByIndex_v2");
  auto report_fn =
      symbol<nvmlReturn_t (*)(nvmlDevice_t, NvmlReport*)>(lib.get(), "nvmlDeviceGetConfComputeGpuAttestationReport");
  auto cert_fn =
      symbol<nvmlReturn_t (*)(nvmlDevice_t, NvmlCertificate*)>(lib.get(), "nvmlDeviceGetConfComputeGpuCertificate");
  if (!init || !shutdown || !count_fn || !handle_fn || !report_fn || !cert_fn) {
    return std::unexpected(Error{"agent.gpu.nvml_failed", "libnvidia-ml lacks the confidential computing API (R535+)"});
  }
  if (auto rc = init(); rc != kNvmlSuccess) return std::unexpected(nvml_failed("nvmlInit_v2", rc));
  struct Shutdown {
    nvmlReturn_t (*fn)();
    ~Shutdown() { fn(); }
  } shutdown_guard{shutdown};

  unsigned int count = 0;
  if (auto rc = count_fn(&count); rc != kNvmlSuccess) return std::unexpected(nvml_failed("nvmlDeviceGetCount_v2", rc));
  std::vector<GpuEvidence> out;
  for (unsigned int i = 0; i < count; ++i) {
    nvmlDevice_t device = nullptr;
    if (auto rc = handle_fn(i, &device); rc != kNvmlSuccess) {
      return std::unexpected(nvml_failed("nvmlDeviceGetHandleByIndex_v2", rc));
    }
    auto report = std::make_unique<NvmlReport>();
    std::copy(binding.begin(), binding.end(), report->nonce);
    const auto rc = report_fn(device, report.get());
    if (rc == kNvmlErrorNotSupported) continue;  // not in confidential computing mode
    if (rc != kNvmlSuccess) return std::unexpected(nvml_failed("nvmlDeviceGetConfComputeGpuAttestationReport", rc));
    auto cert = std::make_unique<NvmlCertificate>();
    if (auto crc = cert_fn(device, cert.get()); crc != kNvmlSuccess) {
      return std::unexpected(nvml_failed("nvmlDeviceGetConfComputeGpuCertificate", crc));
    }
    if (report->attestationReportSize > kReportSize || cert->attestationCertChainSize > kAttestationCertChainSize) {
      return std::unexpected(Error{"agent.gpu.nvml_failed", "NVML reported sizes beyond its own buffers"});
    }
    GpuEvidence g;
    g.report.assign(report->attestationReport, report->attestationReport + report->attestationReportSize);
    g.certificate_chain.assign(reinterpret_cast<const char*>(cert->attestationCertChain),  // NOLINT: PEM text
                               cert->attestationCertChainSize);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace attestd::agent
