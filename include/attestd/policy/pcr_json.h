// PCR values as JSON, the shape the API, attestctl and the test data share:
//   {"sha256": {"0": "<hex>", "7": "<hex>"}, "sha1": {...}}
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>

#include "attestd/evidence/pcr_values.h"

namespace attestd::policy {

// One bank's {"<index>": "<hex>"} object. Fails with a message naming the bank, index or value.
std::expected<evidence::PcrBank, std::string> pcr_bank_from_json(evidence::HashAlg alg, const nlohmann::json& bank);
// Every bank; unknown bank names are an error.
std::expected<evidence::PcrValues, std::string> pcr_values_from_json(const nlohmann::json& banks);

}  // namespace attestd::policy
