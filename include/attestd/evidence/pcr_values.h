// PCR values per bank and index, as a quote reports them or a replay computes them.
#pragma once

#include <cstdint>
#include <map>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence {

inline constexpr uint32_t kPcrCount = 24;

using PcrBank = std::map<uint32_t, Digest>;
using PcrValues = std::map<HashAlg, PcrBank>;

}  // namespace attestd::evidence
