// GPU evidence from NVML at run time: libnvidia-ml.so.1 is loaded with dlopen only if present, so
// the agent runs (and is built) on hosts without NVIDIA's driver. For each GPU in confidential
// computing mode: the attestation report for nonce = binding (DESIGN.md §1) and its attestation
// certificate chain (PEM, leaf first), as nvtrust's local verifier collects them.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <vector>

#include "codec.h"
#include "error.h"

namespace attestd::agent {

struct GpuEvidence {
  Bytes report;                   // SPDM GET_MEASUREMENTS request ‖ MEASUREMENTS response
  std::string certificate_chain;  // PEM
};

// Empty when `library` cannot be loaded or NVML sees no GPU; GPUs that do not support
// confidential computing (NVML_ERROR_NOT_SUPPORTED) are skipped. Fails with agent.gpu.nvml_failed
// for any other NVML error, agent.gpu.binding_size when `binding` is not 32 bytes.
std::expected<std::vector<GpuEvidence>, Error> collect_nvml_gpus(std::span<const uint8_t> binding,
                                                                 const std::string& library = "libnvidia-ml.so.1");

}  // namespace attestd::agent
