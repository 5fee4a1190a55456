// The tpm2-tools binary PCR file (tpm2_quote -o), read field by field with ByteReader: it is a
// little-endian dump of C structs, so every array slot and padding byte is accounted for.
#include "attestd/evidence/tpm/pcr_file.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/tpm/reasons.h"

namespace attestd::evidence::tpm {

namespace {

// struct TPMS_PCR_SELECTION { u16 hash; u8 sizeofSelect; u8 pcrSelect[4]; } padded to 8 bytes.
constexpr size_t kSelectionSlotSize = 8;
constexpr size_t kPcrSelectMax = 4;  // TPM2_PCR_SELECT_MAX in tpm2-tss
// struct TPM2B_DIGEST { u16 size; u8 buffer[64]; } = 66 bytes.
constexpr size_t kDigestSlotSize = 66;
constexpr size_t kDigestBufferSize = 64;
constexpr size_t kHeaderSize = kPcrFileSelectionSize + 4;

static_assert(kPcrFileSelectionSize == 4 + kPcrFileMaxSelections * kSelectionSlotSize);
static_assert(kPcrFileDigestListSize == 4 + kPcrFileDigestsPerList * kDigestSlotSize);
static_assert(kHeaderSize == 136);

std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

}  // namespace

std::expected<PcrValues, Error> parse_tpm2_tools_pcr_file(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderSize) {
    return fail(kPcrFileMalformed, fmt::format("PCR file of {} bytes; the selection and digest count take {}",
                                               bytes.size(), kHeaderSize));
  }
  ByteReader r(bytes);

  // TPML_PCR_SELECTION: u32 count, then all 16 slots whatever the count.
  uint32_t count = 0;
  if (!r.read_u32_le(count)) return fail(kPcrFileMalformed, "truncated selection count");
  if (count > kPcrFileMaxSelections) {
    return fail(kPcrFileMalformed, fmt::format("selection count {} exceeds {}", count, kPcrFileMaxSelections));
  }
  // (bank, PCR) in selection order: the order the values follow.
  std::vector<std::pair<HashAlg, uint32_t>> order;
  for (uint32_t i = 0; i < kPcrFileMaxSelections; ++i) {
    ByteReader slot;
    uint16_t hash_id = 0;
    uint8_t size_of_select = 0;
    std::span<const uint8_t> select;
    if (!r.read_sub(kSelectionSlotSize, slot) || !slot.read_u16_le(hash_id) || !slot.read_u8(size_of_select) ||
        !slot.read_bytes(kPcrSelectMax, select)) {
      return fail(kPcrFileMalformed, fmt::format("truncated PCR selection {}", i));
    }
    if (i >= count) continue;  // unused slots carry whatever the tool's memory held
    const auto alg = hash_alg_from_tpm_id(hash_id);
    if (!alg) return fail(kPcrFileUnsupportedHash, fmt::format("selection {}: bank 0x{:04x} is not a supported hash", i, hash_id));
    if (size_of_select > kPcrSelectMax) {
      return fail(kPcrFileMalformed, fmt::format("selection {}: sizeofSelect {} exceeds {}", i, size_of_select, kPcrSelectMax));
    }
    for (uint32_t byte = 0; byte < size_of_select; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if (((static_cast<uint32_t>(select[byte]) >> bit) & 1u) != 0) order.emplace_back(*alg, byte * 8 + bit);
      }
    }
  }

  uint32_t lists = 0;
  if (!r.read_u32_le(lists)) return fail(kPcrFileMalformed, "truncated digest list count");
  // Overflow-safe: compare the count with what the remaining bytes can hold.
  if (lists > r.remaining() / kPcrFileDigestListSize) {
    return fail(kPcrFileMalformed, fmt::format("{} digest lists need {} bytes, {} remain", lists,
                                               static_cast<uint64_t>(lists) * kPcrFileDigestListSize, r.remaining()));
  }
  if (r.remaining() != static_cast<size_t>(lists) * kPcrFileDigestListSize) {
    return fail(kPcrFileTrailingBytes, fmt::format("{} bytes follow the {} digest lists",
                                                   r.remaining() - static_cast<size_t>(lists) * kPcrFileDigestListSize,
                                                   lists));
  }

  PcrValues values;
  size_t next = 0;
  for (uint32_t l = 0; l < lists; ++l) {
    ByteReader list;
    uint32_t digests = 0;
    if (!r.read_sub(kPcrFileDigestListSize, list) || !list.read_u32_le(digests)) {
      return fail(kPcrFileMalformed, fmt::format("truncated digest list {}", l));
    }
    if (digests > kPcrFileDigestsPerList) {
      return fail(kPcrFileMalformed, fmt::format("digest list {}: count {} exceeds {}", l, digests, kPcrFileDigestsPerList));
    }
    for (uint32_t d = 0; d < digests; ++d) {
      uint16_t size = 0;
      std::span<const uint8_t> buffer;
      if (!list.read_u16_le(size) || !list.read_bytes(kDigestBufferSize, buffer)) {
        return fail(kPcrFileMalformed, fmt::format("truncated digest {} of list {}", d, l));
      }
      if (next >= order.size()) {
        return fail(kPcrFileCountMismatch, fmt::format("more PCR values than the {} selected PCRs", order.size()));
      }
      const auto [alg, index] = order[next++];
      if (size != digest_size(alg)) {
        return fail(kPcrFileMalformed, fmt::format("{} PCR {}: value of {} bytes, the bank's digests have {}",
                                                   hash_alg_name(alg), index, size, digest_size(alg)));
      }
      auto [it, inserted] = values[alg].emplace(index, Digest(buffer.first(size)));
      if (!inserted) {
        return fail(kPcrFileMalformed, fmt::format("{} PCR {} is selected twice", hash_alg_name(alg), index));
      }
    }
  }
  if (next != order.size()) {
    return fail(kPcrFileCountMismatch,
                fmt::format("{} PCRs are selected but the file holds {} values", order.size(), next));
  }
  return values;
}

}  // namespace attestd::evidence::tpm
