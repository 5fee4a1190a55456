// Verdicts (DESIGN §3, the EAR status tiers of draft-ietf-rats-ear) and the AR4SI trustworthiness
// dimensions (draft-ietf-rats-ar4si §2.3) that appraisal reasons are attributed to, so that the EAR
// module can build a trustworthiness vector per submodule.
#pragma once

#include <optional>
#include <string_view>

namespace attestd::policy {

enum class Verdict { affirming, warning, contraindicated, none };

// "affirming", "warning", "contraindicated", "none" (the EAR ear.status strings).
std::string_view to_string(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view name);

// Combines two verdicts: contraindicated > warning > none > affirming, the order of
// attestd::result::Status (result/ar4si.h), so that the verdict here and the EAR's ear.status agree:
// "none" (nothing could be concluded) outranks "affirming" so a part that was not appraised never
// hides behind one that was, and a finding (warning, contraindicated) outranks no finding. Only
// "affirming" is a pass.
Verdict worse(Verdict a, Verdict b);

// AR4SI trustworthiness claims (draft-ietf-rats-ar4si §2.3.1-2.3.8).
enum class Ar4siDimension {
  instance_identity,
  configuration,
  executables,
  file_system,
  hardware,
  runtime_opaque,
  storage_opaque,
  sourced_data,
};

// The claim's name in an EAR trustworthiness vector: "instance-identity", "executables", ...
std::string_view to_string(Ar4siDimension dimension);

}  // namespace attestd::policy
