// PCR values given on the command line: JSON in the shapes our tools and test data use, or the
// binary PCR file that `tpm2_quote -o` writes.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "attestd/evidence/pcr_values.h"

namespace attestd::cli {

// Accepts
//   {"sha256": {"0": "<hex>", ...}, ...}
//   {"bank": "sha1", "pcrs": {"0": "<hex>", ...}}
//   {"pcrs": {"sha256": {"0": "<hex>"}}}
// or, when the bytes are not JSON, the tpm2-tools binary PCR file. Fails with a message naming
// the bad bank, index or value.
std::expected<evidence::PcrValues, std::string> parse_pcr_input(std::span<const uint8_t> bytes);

}  // namespace attestd::cli
