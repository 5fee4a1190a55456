// Event-level appraisal of the verified measured-boot log. Each event is judged by exactly one rule,
// the most specific that governs it, so that one wrong measurement is one reason.
#include "measured_boot.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/guid.h"
#include "attestd/evidence/hash.h"
#include "attestd/policy/boot_events.h"
#include "attestd/policy/reasons.h"
#include "pattern.h"

namespace attestd::policy {

namespace {

namespace el = evidence::eventlog;
using Mode = KernelCmdlineRule::Mode;

// PFP 1.05 §10.4.4: the EV_EFI_ACTION string firmware logs in PCR 5 when ExitBootServices is called.
constexpr std::string_view kExitBootServicesInvocation = "Exit Boot Services Invocation";

EventRef ref_of(const BootEvent& e) {
  EventRef r{e.index, e.pcr, e.type, {}};
  using evidence::HashAlg;
  for (HashAlg alg : {HashAlg::sha512, HashAlg::sha384, HashAlg::sha256, HashAlg::sm3_256, HashAlg::sha1}) {
    const auto it = e.digests.find(alg);
    if (it != e.digests.end()) {
      r.digest = fmt::format("{}:{}", evidence::hash_alg_name(alg), it->second.hex());
      break;
    }
  }
  return r;
}

std::string where(const BootEvent& e) {
  const EventRef r = ref_of(e);
  return fmt::format("event #{} (PCR {}, {}, {}{}{})", r.index, r.pcr, el::event_type_label(r.type), r.digest,
                     e.description.empty() ? "" : ", ", e.description);
}

class Out {
 public:
  void add(std::string_view id, std::string message, Ar4siDimension dimension, const BootEvent* event = nullptr) {
    Reason r{id, std::move(message), std::string(kTpmSubmod), dimension, Verdict::contraindicated, std::nullopt};
    if (event != nullptr) r.event = ref_of(*event);
    list.push_back(std::move(r));
  }
  std::vector<Reason> list;
};

const ReferenceSet* find_set(const std::vector<const ReferenceSet*>& sets, const std::string& name) {
  const auto it = std::find_if(sets.begin(), sets.end(), [&](const ReferenceSet* s) { return s->name == name; });
  return it == sets.end() ? nullptr : *it;
}

// The events of one reference set, indexed by (PCR, type, bank, digest) so that a log of many
// events against a set of many costs a lookup per event, not a scan (both are attacker-sized: a
// verified log may hold kMaxEvents events).
class KnownEvents {
 public:
  explicit KnownEvents(const ReferenceSet* set) {
    if (set == nullptr) return;
    for (const auto& r : set->events) {
      for (const auto& [alg, d] : r.digests) index_[Key{r.pcr, r.type, alg, d.hex()}].push_back(&r);
    }
  }
  // An entry matches when its digest equals the event's in the strongest bank both have.
  [[nodiscard]] bool contains(const BootEvent& e) const {
    for (const auto& [alg, d] : e.digests) {
      const auto it = index_.find(Key{e.pcr, e.type, alg, d.hex()});
      if (it == index_.end()) continue;
      for (const ReferenceEvent* r : it->second) {
        if (common_bank(r->digests, e.digests) == alg) return true;
      }
    }
    return false;
  }

 private:
  using Key = std::tuple<uint32_t, uint32_t, evidence::HashAlg, std::string>;
  std::map<Key, std::vector<const ReferenceEvent*>> index_;
};

bool covered(const TpmClaims& tpm, uint32_t pcr) {
  return std::any_of(tpm.event_log_verified_pcrs.begin(), tpm.event_log_verified_pcrs.end(),
                     [&](const auto& bank) { return std::find(bank.second.begin(), bank.second.end(), pcr) != bank.second.end(); });
}

bool is_variable(const BootEvent& e, std::string_view name, const el::Guid& guid) {
  return e.pcr == 7 && e.type == el::EV_EFI_VARIABLE_DRIVER_CONFIG && e.data_bound && e.variable_name == name &&
         e.variable_guid == guid.to_string();
}

// UTF-8 to UTF-16LE with a NUL, as the EFI stub measures LoadOptions; nullopt for invalid UTF-8.
std::optional<std::vector<uint8_t>> utf16le_with_nul(std::string_view s) {
  std::vector<uint8_t> out;
  const auto unit = [&](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u & 0xff));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0;
    size_t n = 0;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1fu;
      n = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0fu;
      n = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07u;
      n = 4;
    } else {
      return std::nullopt;
    }
    if (n > s.size() - i) return std::nullopt;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 + (cp >> 10));
      unit(0xdc00 + (cp & 0x3ff));
    } else {
      unit(cp);
    }
  }
  unit(0);
  return out;
}

void check_cmdline(const KernelCmdlineRule& rule, const KnownEvents& cmdline_set, const BootEvent& e, Out& out) {
  constexpr auto dim = Ar4siDimension::configuration;
  const auto text = kernel_cmdline_text(e);
  switch (rule.mode) {
    case Mode::only_from:
      if (!cmdline_set.contains(e)) {
        out.add(kKernelCmdlineMismatch,
                fmt::format("the kernel command line of {} is not in reference set {}", where(e), rule.value), dim, &e);
      }
      return;
    case Mode::equals: {
      bool equal = false;
      if (text) {
        // Bound by its digest only when the event binds its data (grub's forms do; digest_check.h).
        equal = e.data_bound && *text == rule.value;
      } else if (const auto wide = utf16le_with_nul(rule.value)) {
        // The EFI stub's tag: the digest is H(UTF-16LE command line ‖ NUL) in every bank.
        equal = !e.digests.empty() && std::all_of(e.digests.begin(), e.digests.end(), [&](const auto& d) {
          return evidence::hash(d.first, *wide) == d.second;
        });
      }
      if (!equal) {
        out.add(kKernelCmdlineMismatch,
                fmt::format("the kernel command line of {} is not \"{}\"", where(e), rule.value), dim, &e);
      }
      return;
    }
    case Mode::matches:
      if (!text || !e.data_bound) {
        out.add(kKernelCmdlineUnreadable,
                fmt::format("{} carries the kernel command line only as a digest; \"matches\" cannot judge it", where(e)),
                dim, &e);
      } else if (!full_match(rule.value, *text)) {
        out.add(kKernelCmdlineMismatch,
                fmt::format("the kernel command line \"{}\" of {} does not match {}", *text, where(e), rule.value), dim, &e);
      }
      return;
  }
}

}  // namespace

std::vector<Reason> appraise_measured_boot(const Policy& policy, const std::vector<const ReferenceSet*>& sets,
                                           const TpmClaims& tpm) {
  Out out;
  if (!policy.has_event_rules() || !tpm.quote_verified || !tpm.event_log_present || !tpm.event_log_verified) {
    return out.list;
  }
  static const std::vector<BootEvent> kNone;
  const auto& events = tpm.boot_events ? *tpm.boot_events : kNone;
  const auto is_image = [](BootEventKind k) { return k == BootEventKind::boot_application || k == BootEventKind::driver; };

  // The PCRs each rule reads; events there count only when the quote vouches for the PCR.
  std::set<uint32_t> governed;
  if (policy.events) governed.insert(policy.events->pcrs.begin(), policy.events->pcrs.end());
  if (policy.secure_boot_required || !policy.dbx_must_contain.empty()) governed.insert(7);
  for (const auto& e : events) {
    const auto kind = classify(e);
    if ((policy.boot_applications_only_from && is_image(kind)) ||
        (policy.kernel_cmdline && kind == BootEventKind::kernel_cmdline)) {
      governed.insert(e.pcr);
    }
  }
  std::set<uint32_t> uncovered;
  for (const uint32_t pcr : governed) {
    const auto n = std::count_if(events.begin(), events.end(), [&](const BootEvent& e) { return e.pcr == pcr; });
    if (n > 0 && !covered(tpm, pcr)) {
      uncovered.insert(pcr);
      out.add(kEventLogNotCovered,
              fmt::format("PCR {} holds {} event(s) of the log but the quote does not cover it: they are not vouched for", pcr, n),
              dimension_of_pcr(pcr));
    }
  }
  const auto judged = [&](const BootEvent& e) { return !uncovered.contains(e.pcr); };

  // Each event by its most specific rule.
  bool cmdline_seen = false;
  const KnownEvents apps(policy.boot_applications_only_from ? find_set(sets, *policy.boot_applications_only_from) : nullptr);
  const KnownEvents golden(policy.events ? find_set(sets, policy.events->only_from) : nullptr);
  const KnownEvents cmdline_set(policy.kernel_cmdline && policy.kernel_cmdline->mode == Mode::only_from
                                    ? find_set(sets, policy.kernel_cmdline->value)
                                    : nullptr);
  for (const auto& e : events) {
    const auto kind = classify(e);
    if (policy.boot_applications_only_from && is_image(kind)) {
      if (judged(e) && !apps.contains(e)) {
        out.add(kBootApplicationUnknown,
                fmt::format("{} is not a boot application or driver of reference set {}", where(e),
                            *policy.boot_applications_only_from),
                Ar4siDimension::executables, &e);
      }
    } else if (policy.kernel_cmdline && kind == BootEventKind::kernel_cmdline) {
      cmdline_seen = true;
      if (judged(e)) check_cmdline(*policy.kernel_cmdline, cmdline_set, e, out);
    } else if (policy.events && std::binary_search(policy.events->pcrs.begin(), policy.events->pcrs.end(), e.pcr)) {
      if (judged(e) && !golden.contains(e)) {
        out.add(kEventUnknown, fmt::format("{} is not in reference set {}", where(e), policy.events->only_from),
                dimension_of_pcr(e.pcr), &e);
      }
    }
  }
  if (policy.kernel_cmdline && !cmdline_seen) {
    out.add(kKernelCmdlineMissing, "the log holds no kernel command line event (grub kernel_cmdline, EFI stub LoadOptions)",
            Ar4siDimension::configuration);
  }

  // Structure every PFP boot has (PFP 1.05 §3.3.2, §10.4.4).
  if (policy.events) {
    for (const uint32_t pcr : policy.events->pcrs) {
      if (pcr > 7 || uncovered.contains(pcr)) continue;
      const auto sep = std::find_if(events.begin(), events.end(),
                                    [&](const BootEvent& e) { return e.pcr == pcr && e.type == el::EV_SEPARATOR; });
      if (sep == events.end()) {
        out.add(kSeparatorMissing, fmt::format("PCR {} has no EV_SEPARATOR: the firmware did not close it", pcr),
                dimension_of_pcr(pcr));
      } else if (sep->separator != 0u) {
        out.add(kSeparatorMissing, fmt::format("PCR {} is closed by an error separator, {}", pcr, where(*sep)),
                dimension_of_pcr(pcr), &*sep);
      }
    }
    if (std::binary_search(policy.events->pcrs.begin(), policy.events->pcrs.end(), 5u) && !uncovered.contains(5)) {
      const bool ebs = std::any_of(events.begin(), events.end(), [](const BootEvent& e) {
        return e.pcr == 5 && e.type == el::EV_EFI_ACTION && e.data_bound && e.text == kExitBootServicesInvocation;
      });
      if (!ebs) {
        out.add(kExitBootServicesMissing, "PCR 5 holds no EV_EFI_ACTION \"Exit Boot Services Invocation\"",
                Ar4siDimension::configuration);
      }
    }
  }

  if (!uncovered.contains(7)) {
    if (policy.secure_boot_required) {
      bool seen = false;
      for (const auto& e : events) {
        if (!is_variable(e, "SecureBoot", el::guids::efi_global_variable())) continue;
        seen = true;
        if (e.variable_data != std::vector<uint8_t>{1}) {
          out.add(kSecureBootDisabled, fmt::format("Secure Boot is off: {}", where(e)), Ar4siDimension::configuration, &e);
        }
      }
      if (!seen) {
        out.add(kSecureBootNotMeasured, "PCR 7 holds no SecureBoot variable event: the Secure Boot state is unknown",
                Ar4siDimension::configuration);
      }
    }
    if (!policy.dbx_must_contain.empty()) {
      const auto dbx = std::find_if(events.begin(), events.end(), [](const BootEvent& e) {
        return is_variable(e, "dbx", el::guids::image_security_database());
      });
      for (const auto& hash : policy.dbx_must_contain) {
        const std::vector<uint8_t> want(hash.begin(), hash.end());
        const std::string hex = evidence::to_hex(want);
        if (dbx == events.end()) {
          out.add(kDbxMissing, fmt::format("dbx is not measured in PCR 7, so it cannot contain {}", hex),
                  Ar4siDimension::configuration);
        } else if (std::find(dbx->signature_sha256.begin(), dbx->signature_sha256.end(), want) ==
                   dbx->signature_sha256.end()) {
          out.add(kDbxMissing, fmt::format("dbx of {} does not contain {}", where(*dbx), hex),
                  Ar4siDimension::configuration, &*dbx);
        }
      }
    }
  }
  return out.list;
}

}  // namespace attestd::policy
