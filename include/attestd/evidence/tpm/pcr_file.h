// The binary PCR file that `tpm2_quote -o` writes and `tpm2_checkquote -f` reads (tpm2-tools
// "serialized" format). It is a little-endian memory dump of tpm2-tools' C structs, not a TPM
// marshalling:
//
//   offset 0    TPML_PCR_SELECTION as a C struct (132 bytes):
//                 u32 count (<= 16)
//                 16 x TPMS_PCR_SELECTION { u16 hash; u8 sizeofSelect; u8 pcrSelect[4]; u8 pad; }
//   offset 132  u32 n: number of TPML_DIGEST that follow
//   offset 136  n x TPML_DIGEST as a C struct (532 bytes each):
//                 u32 count (<= 8)
//                 8 x TPM2B_DIGEST { u16 size; u8 buffer[64]; }
//
// The PCR values fill the digests in selection order (banks in list order, PCRs ascending), up
// to 8 per TPML_DIGEST as TPM2_PCR_Read returns them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "attestd/evidence/error.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::evidence::tpm {

inline constexpr size_t kPcrFileSelectionSize = 4 + 16 * 8;   // 132
inline constexpr size_t kPcrFileDigestListSize = 4 + 8 * 66;  // 532
inline constexpr size_t kPcrFileMaxSelections = 16;           // TPM2_NUM_PCR_BANKS
inline constexpr size_t kPcrFileDigestsPerList = 8;

// Decodes the file into PCR values per bank. The size must be exactly 136 + n * 532, counts within
// their arrays, every bank a supported hash, every value the bank's digest size, and the number
// of values equal to the number of selected PCRs.
// Fails with tpm.pcr_file.malformed, tpm.pcr_file.trailing_bytes, tpm.pcr_file.unsupported_hash
// or tpm.pcr_file.count_mismatch.
std::expected<PcrValues, Error> parse_tpm2_tools_pcr_file(std::span<const uint8_t> bytes);

}  // namespace attestd::evidence::tpm
