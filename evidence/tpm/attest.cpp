// TPMS_ATTEST decoding through libtss2-mu (TPM 2.0 Part 2, Table 131).
#include "attestd/evidence/tpm/attest.h"

#include <fmt/format.h>
#include <tss2/tss2_mu.h>

#include "attestd/evidence/tpm/reasons.h"

namespace attestd::evidence::tpm {

namespace {

std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

template <typename Tpm2b>
std::vector<uint8_t> bytes_of(const Tpm2b& b) {
  return std::vector<uint8_t>(b.buffer, b.buffer + b.size);
}
// TPM2B_NAME keeps its bytes in `name`, not `buffer` (Part 2, Table 84).
std::vector<uint8_t> bytes_of_name(const TPM2B_NAME& b) { return std::vector<uint8_t>(b.name, b.name + b.size); }

// TPML_PCR_SELECTION (Part 2, Table 111) to banks with their PCRs, in list order.
std::expected<std::vector<PcrSelection>, Error> selections_of(const TPML_PCR_SELECTION& list) {
  std::vector<PcrSelection> out;
  out.reserve(list.count);
  for (uint32_t i = 0; i < list.count; ++i) {
    const TPMS_PCR_SELECTION& sel = list.pcrSelections[i];
    const auto alg = hash_alg_from_tpm_id(sel.hash);
    if (!alg) return fail(kAttestMalformed, fmt::format("PCR selection {}: bank 0x{:04x} is not a supported hash", i, sel.hash));
    // TPMS_PCR_SELECTION (Part 2, Table 94): sizeofSelect bytes of bitmap; PCR n is bit n % 8 of
    // byte n / 8.
    if (sel.sizeofSelect > sizeof(sel.pcrSelect)) {
      return fail(kAttestMalformed, fmt::format("PCR selection {}: sizeofSelect {} exceeds {}", i, sel.sizeofSelect,
                                                sizeof(sel.pcrSelect)));
    }
    PcrSelection s;
    s.alg = *alg;
    for (uint32_t byte = 0; byte < sel.sizeofSelect; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if ((sel.pcrSelect[byte] >> bit) & 1u) s.pcrs.push_back(byte * 8 + bit);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::expected<Attest, Error> parse_attest(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail(kAttestMalformed, "TPMS_ATTEST of 0 bytes");
  TPMS_ATTEST a{};
  size_t offset = 0;
  // libtss2-mu checks every TPM2B size against its maximum, the TPML counts, and that the
  // attestation type selects a known TPMU_ATTEST member (Table 130).
  const TSS2_RC rc = Tss2_MU_TPMS_ATTEST_Unmarshal(bytes.data(), bytes.size(), &offset, &a);
  if (rc != TSS2_RC_SUCCESS) {
    return fail(kAttestMalformed, fmt::format("TPMS_ATTEST of {} bytes does not decode (tss2-mu rc 0x{:x})",
                                              bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return fail(kAttestTrailingBytes, fmt::format("TPMS_ATTEST ends at byte {} of {}", offset, bytes.size()));
  }
  // TPMI_YES_NO (Part 2, Table 39) admits only NO (0) and YES (1).
  if (a.clockInfo.safe > 1) {
    return fail(kAttestMalformed, fmt::format("clockInfo.safe is {}, not YES or NO", a.clockInfo.safe));
  }

  Attest out;
  out.magic = a.magic;
  out.type = a.type;
  out.qualified_signer = bytes_of_name(a.qualifiedSigner);
  out.extra_data = bytes_of(a.extraData);
  out.clock = ClockInfo{a.clockInfo.clock, a.clockInfo.resetCount, a.clockInfo.restartCount, a.clockInfo.safe == 1};
  out.firmware_version = a.firmwareVersion;
  switch (a.type) {
    case kStAttestQuote: {
      // TPMS_QUOTE_INFO (Table 126).
      auto selections = selections_of(a.attested.quote.pcrSelect);
      if (!selections) return std::unexpected(selections.error());
      out.attested = QuoteInfo{std::move(*selections), bytes_of(a.attested.quote.pcrDigest)};
      break;
    }
    case kStAttestCertify:
      // TPMS_CERTIFY_INFO (Table 125).
      out.attested = CertifyInfo{bytes_of_name(a.attested.certify.name), bytes_of_name(a.attested.certify.qualifiedName)};
      break;
    case kStAttestCreation:
      // TPMS_CREATION_INFO (Table 128).
      out.attested = CreationInfo{bytes_of_name(a.attested.creation.objectName), bytes_of(a.attested.creation.creationHash)};
      break;
    default:
      out.attested = std::monostate{};
      break;
  }
  return out;
}

}  // namespace attestd::evidence::tpm
