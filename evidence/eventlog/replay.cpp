#include "attestd/evidence/eventlog/replay.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/hash.h"

namespace attestd::evidence::eventlog {

namespace {

using namespace std::string_view_literals;

constexpr uint32_t kFirstDrtmPcr = 17;  // DRTM PCRs 17-22 start at ff…ff (PFP PCR usage)
constexpr uint32_t kLastDrtmPcr = 22;
constexpr uint8_t kHcrtmLocality = 4;   // TPM 2.0 Part 1 §34.3: H-CRTM leaves PCR 0 = 00…04

// Equal to text, ignoring one trailing NUL some firmware adds to EV_EFI_ACTION strings.
bool data_is(std::span<const uint8_t> data, std::string_view text) {
  if (!data.empty() && data.back() == 0) data = data.first(data.size() - 1);
  return data.size() == text.size() && std::equal(text.begin(), text.end(), data.begin(),
                                                  [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; });
}

bool starts_with(std::span<const uint8_t> data, std::string_view prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin(),
                                                    [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; });
}

// The last byte of PCR 0's initial value.
uint8_t pcr0_locality(const EventLog& log) {
  for (const Event& ev : log.events) {
    if (ev.type == EV_EFI_HCRTM_EVENT) return kHcrtmLocality;
  }
  // PFP 1.04 §9.4.5.3: TCG_EfiStartupLocalityEvent, logged on PCR 0 before any PCR 0 measurement:
  // "StartupLocality\0" followed by the locality (0 or 3) of TPM2_Startup.
  constexpr auto kSignature = "StartupLocality\0"sv;
  for (const Event& ev : log.events) {
    if (ev.type == EV_NO_ACTION && ev.pcr == 0 && ev.data.size() == kSignature.size() + 1 &&
        starts_with(ev.data, kSignature)) {
      return ev.data.back();
    }
  }
  return 0;
}

}  // namespace

Replay replay_pcrs(const EventLog& log) {
  Replay out;
  const uint8_t locality = pcr0_locality(log);

  struct Bank {
    HashAlg alg;
    std::array<Digest, kPcrCount> pcrs;
    bool complete = true;  // every extending event carried a digest for this bank
  };
  std::vector<Bank> banks;
  banks.reserve(log.banks.size());
  for (HashAlg alg : log.banks) {
    if (evp_md(alg) == nullptr) continue;  // this OpenSSL cannot compute it: not replayed
    Bank b{alg, {}};
    const size_t size = digest_size(alg);
    for (uint32_t i = 0; i < kPcrCount; ++i) {
      b.pcrs[i] = Digest::filled(size, (i >= kFirstDrtmPcr && i <= kLastDrtmPcr) ? 0xFF : 0x00);
    }
    b.pcrs[0].mutable_bytes().back() = locality;
    banks.push_back(std::move(b));
  }

  for (const Event& ev : log.events) {
    // PFP 1.04 §9.4.5: EV_NO_ACTION events are informational and never extended.
    if (ev.type == EV_NO_ACTION) continue;
    if (ev.type == EV_EFI_ACTION && data_is(ev.data, "Exit Boot Services Invocation")) {
      out.exit_boot_services_logged = true;
    }
    if (ev.pcr >= kPcrCount) {
      out.reasons.push_back(Error{kPcrOutOfRange, fmt::format("event {} ({}) at offset {} names PCR {}; a TPM has PCR 0-{}",
                                                              ev.index, event_type_label(ev.type), ev.offset, ev.pcr,
                                                              kPcrCount - 1)});
      continue;
    }
    out.touched.set(ev.pcr);
    for (Bank& b : banks) {
      // An event without this bank's digest means the TPM's value of the bank cannot be derived
      // from the log (PFP 1.04 §9.1 requires every digest; some logs break that).
      if (const EventDigest* d = ev.digests.find(b.alg)) {
        b.pcrs[ev.pcr] = extend(b.alg, b.pcrs[ev.pcr], d->digest.bytes());
      } else {
        b.complete = false;
      }
    }
  }

  for (const Bank& b : banks) {
    if (!b.complete) {
      out.incomplete_banks.push_back(b.alg);
      continue;
    }
    PcrBank& bank = out.pcrs[b.alg];
    for (uint32_t i = 0; i < kPcrCount; ++i) {
      if (out.touched.test(i)) bank.emplace(i, b.pcrs[i]);
    }
  }
  return out;
}

}  // namespace attestd::evidence::eventlog
