// TPM2_Quote verification (TPM 2.0 Part 3, 18.4), collecting every reason.
#include "attestd/evidence/tpm/quote.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <array>
#include <optional>

#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/reasons.h"

namespace attestd::evidence::tpm {

namespace {

// Concatenated PCR values up to this size are hashed from the stack (24 PCRs of SHA-512 take
// 1536 bytes); larger selections use the heap.
constexpr size_t kStackPcrBytes = 4096;

// Qualifying data is compared in constant time: its length is public, its content need not be.
bool equal_ct(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// Hashes the selected PCR values in selection order (banks in list order, PCRs ascending within
// a bank: Part 3, 18.4.1 and Part 1, 17.6.5). Every PCR without a usable value is appended to
// `problems`; the digest is returned only when there is none.
std::optional<Digest> digest_selected(HashAlg alg, const std::vector<PcrSelection>& selections, const PcrValues& pcrs,
                                      std::vector<Error>& problems) {
  size_t total = 0;
  for (const auto& sel : selections) total += sel.pcrs.size() * digest_size(sel.alg);
  std::array<uint8_t, kStackPcrBytes> stack;
  std::vector<uint8_t> heap;
  std::span<uint8_t> buf(stack);
  if (total > stack.size()) {
    heap.resize(total);
    buf = heap;
  }
  size_t used = 0;
  bool complete = true;
  for (const auto& sel : selections) {
    const auto bank = pcrs.find(sel.alg);
    const size_t want = digest_size(sel.alg);
    for (uint32_t index : sel.pcrs) {
      const Digest* value = nullptr;
      if (bank != pcrs.end()) {
        const auto it = bank->second.find(index);
        if (it != bank->second.end()) value = &it->second;
      }
      if (value == nullptr) {
        complete = false;
        problems.push_back(Error{kQuotePcrMissing, fmt::format("{} PCR {} is quoted but no value was given",
                                                               hash_alg_name(sel.alg), index)});
      } else if (value->size() != want) {
        complete = false;
        problems.push_back(Error{kQuotePcrValueInvalid, fmt::format("{} PCR {} value has {} bytes, not {}",
                                                                    hash_alg_name(sel.alg), index, value->size(), want)});
      } else if (complete) {
        std::copy(value->bytes().begin(), value->bytes().end(), buf.begin() + static_cast<std::ptrdiff_t>(used));
        used += want;
      }
    }
  }
  if (!complete) return std::nullopt;
  return hash(alg, buf.first(used));
}

// Everything but the signature. `digest_alg` is the signing scheme's hash, which pcrDigest uses;
// nullopt when the signature could not be decoded, and then the pcrDigest is not compared.
void check_attest(std::span<const uint8_t> attest_bytes, std::optional<HashAlg> digest_alg,
                  std::span<const uint8_t> expected_nonce, const PcrValues& pcrs, QuoteVerification& out) {
  auto& reasons = out.reasons;
  auto parsed = parse_attest(attest_bytes);
  if (!parsed) {
    const bool trailing = parsed.error().id == kAttestTrailingBytes;
    reasons.push_back(Error{trailing ? kQuoteTrailingBytes : kQuoteMalformed, std::move(parsed.error().message)});
    return;
  }
  Attest& attest = *parsed;

  // Part 2, Table 131: magic is TPM_GENERATED_VALUE in every structure the TPM produced; the TPM
  // refuses to sign external data that starts with it (Part 1, 36.3), which is what makes a
  // signed TPMS_ATTEST trustworthy.
  if (attest.magic != kTpmGeneratedValue) {
    reasons.push_back(Error{kQuoteBadMagic, fmt::format("magic is 0x{:08x}, not TPM_GENERATED_VALUE 0x{:08x}",
                                                        attest.magic, kTpmGeneratedValue)});
  }
  // Part 3, 18.4.1: TPM2_Quote produces TPM_ST_ATTEST_QUOTE with a TPMS_QUOTE_INFO.
  auto* quote = std::get_if<QuoteInfo>(&attest.attested);
  if (attest.type != kStAttestQuote || quote == nullptr) {
    reasons.push_back(Error{kQuoteWrongType, fmt::format("type is 0x{:04x}, not TPM_ST_ATTEST_QUOTE 0x{:04x}",
                                                         attest.type, kStAttestQuote)});
  }
  // Part 3, 18.4.1: extraData is the qualifyingData the caller gave; it carries our binding.
  if (!equal_ct(attest.extra_data, expected_nonce)) {
    reasons.push_back(Error{kQuoteNonceMismatch, fmt::format("extraData is {} ({} bytes), expected {} ({} bytes)",
                                                             to_hex(attest.extra_data), attest.extra_data.size(),
                                                             to_hex(expected_nonce), expected_nonce.size())});
  }
  if (quote != nullptr) {
    // Part 3, 18.4.1: pcrDigest = H_scheme(selected PCR values). A missing value is reported per
    // PCR and the digest is then not compared (the mismatch would be certain and say nothing).
    if (digest_alg) {
      const auto digest = digest_selected(*digest_alg, quote->selections, pcrs, reasons);
      if (digest && !equal_ct(digest->bytes(), quote->pcr_digest)) {
        reasons.push_back(Error{kQuotePcrDigestMismatch,
                                fmt::format("pcrDigest is {}, the given PCR values hash ({}) to {}",
                                            to_hex(quote->pcr_digest), hash_alg_name(*digest_alg), digest->hex())});
      }
    } else {
      // Still report missing values; HashAlg::sha256 is only a placeholder, the digest is dropped.
      (void)digest_selected(HashAlg::sha256, quote->selections, pcrs, reasons);
    }
  }
  // Part 2, Table 120: safe is NO when Clock may have gone backwards since it was last reported,
  // so this quote cannot be ordered against earlier ones.
  if (!attest.clock.safe) {
    reasons.push_back(Error{kQuoteNotSafe, fmt::format("clockInfo.safe is NO (clock {}, resetCount {}, restartCount {})",
                                                       attest.clock.clock, attest.clock.reset_count,
                                                       attest.clock.restart_count)});
  }

  auto& c = out.claims;
  c.clock = attest.clock;
  c.firmware_version = attest.firmware_version;
  c.qualified_signer = std::move(attest.qualified_signer);
  c.extra_data = std::move(attest.extra_data);
  if (quote != nullptr) {
    c.selections = std::move(quote->selections);
    c.pcr_digest = std::move(quote->pcr_digest);
  }
}

}  // namespace

std::expected<Digest, Error> compute_pcr_digest(HashAlg alg, const std::vector<PcrSelection>& selections,
                                                const PcrValues& pcrs) {
  std::vector<Error> problems;
  auto digest = digest_selected(alg, selections, pcrs, problems);
  if (!digest) return std::unexpected(std::move(problems.front()));
  return *digest;
}

QuoteVerification verify_quote(const PublicKey& ak, std::span<const uint8_t> attest_bytes, const Signature& sig,
                               std::span<const uint8_t> expected_nonce, const PcrValues& pcrs) {
  QuoteVerification out;
  check_attest(attest_bytes, sig.hash, expected_nonce, pcrs, out);
  // The signature covers the bytes as given, so it is checked whether or not they decode
  // (Part 3, 18.4.1: the TPM signs H_scheme(marshalled TPMS_ATTEST)). Every way it can fail
  // (wrong key type, scheme the key does not allow, bad signature) means the same to a relying
  // party: the quote is not known to come from this AK; the cause stays in the message.
  if (auto ok = verify_signature(ak, attest_bytes, sig); !ok) {
    out.reasons.push_back(Error{kQuoteSignatureInvalid, fmt::format("{} ({})", ok.error().message, ok.error().id)});
  }
  out.valid = out.reasons.empty();
  return out;
}

QuoteVerification verify_quote(const PublicKey& ak, std::span<const uint8_t> attest_bytes,
                               std::span<const uint8_t> tpmt_signature, std::span<const uint8_t> expected_nonce,
                               const PcrValues& pcrs) {
  auto sig = parse_tpmt_signature(tpmt_signature);
  if (sig) return verify_quote(ak, attest_bytes, *sig, expected_nonce, pcrs);
  QuoteVerification out;
  check_attest(attest_bytes, std::nullopt, expected_nonce, pcrs, out);
  out.reasons.push_back(
      Error{kQuoteSignatureMalformed, fmt::format("{} ({})", sig.error().message, sig.error().id)});
  out.valid = false;
  return out;
}

}  // namespace attestd::evidence::tpm
