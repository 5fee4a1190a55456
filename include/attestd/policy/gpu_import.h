// GPU reference values from NVIDIA RIMs (`attestctl golden import --rim`): the active golden
// measurements of a driver and a VBIOS RIM become the reference set's values for the RIMs' model,
// RIM index i as SPDM measurement index i + 1 (FORMATS-SPDM 7.5), alternatives kept.
#pragma once

#include <expected>
#include <span>
#include <string>

#include "attestd/evidence/error.h"
#include "attestd/evidence/rim/rim.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/reference_set.h"

namespace attestd::policy {

// Adds the active measurements of `rims` (verified by the caller with evidence::rim::verify_rim;
// this function does not check signatures) to `set.gpu`. Fails with kGpuImportInvalid without
// changing `set`.
std::expected<void, evidence::Error> add_rim_reference_values(ReferenceSet& set, std::span<const evidence::rim::Rim> rims);

}  // namespace attestd::policy
