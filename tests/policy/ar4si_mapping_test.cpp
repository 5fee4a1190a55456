// The issue-5 reason ids lower the AR4SI claim they concern in the EAR trust vector
// (verifier/result/ar4si.cpp), the same claim the policy layer attributes them to.
#include <gtest/gtest.h>

#include "attestd/policy/reasons.h"
#include "attestd/result/ar4si.h"

namespace attestd::policy {
namespace {

using result::EvidenceKind;
using result::Status;
namespace ar4si = result::ar4si;

result::TrustVector vector_of(std::string_view id, EvidenceKind kind = EvidenceKind::kTpm) {
  const std::vector<std::string> ids = {std::string(id)};
  return result::derive_trust_vector(kind, Status::kContraindicated, ids);
}

TEST(Ar4siMapping, ConfigurationReasonsLowerConfiguration) {
  for (const auto id : {kSecureBootDisabled, kSecureBootNotMeasured, kDbxMissing, kKernelCmdlineMismatch,
                        kKernelCmdlineMissing, kKernelCmdlineUnreadable}) {
    const auto v = vector_of(id);
    EXPECT_EQ(v.configuration, ar4si::kUnsupportableConfig) << id;
    EXPECT_FALSE(v.executables.has_value()) << id;
    EXPECT_EQ(v.worst_tier(), Status::kContraindicated) << id;
  }
}

TEST(Ar4siMapping, ExecutableReasonsLowerExecutables) {
  for (const auto id : {kBootApplicationUnknown, kEventUnknown, kEventLogNotCovered, kSeparatorMissing,
                        kExitBootServicesMissing}) {
    const auto v = vector_of(id);
    EXPECT_EQ(v.executables, ar4si::kContraindicatedRuntime) << id;
    EXPECT_FALSE(v.configuration.has_value()) << id;
  }
}

TEST(Ar4siMapping, GpuVersionReasonsLowerHardware) {
  EXPECT_EQ(vector_of(kGpuDriverTooOld, EvidenceKind::kGpu).hardware, ar4si::kContraindicatedHardware);
  EXPECT_EQ(vector_of(kGpuVbiosTooOld, EvidenceKind::kGpu).hardware, ar4si::kContraindicatedHardware);
  EXPECT_EQ(vector_of(kGpuVersionUnknown, EvidenceKind::kGpu).hardware, ar4si::kUnrecognizedHardware);
}

}  // namespace
}  // namespace attestd::policy
