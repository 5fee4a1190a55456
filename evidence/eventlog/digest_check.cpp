// check_event_digests: which event data the extended digests commit to. The rules and the real
// logs behind each are listed in digest_check.h.
#include "attestd/evidence/eventlog/digest_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/eventlog/event_types.h"
#include "attestd/evidence/eventlog/reasons.h"
#include "attestd/evidence/hash.h"

namespace attestd::evidence::eventlog {

namespace {

// At most two readings of the data can define the digest (whole structure or a part of it).
struct Candidates {
  std::array<std::span<const uint8_t>, 2> spans;
  size_t count = 0;
  bool report = true;  // a mismatch is reported (false: the type's convention varies, see header)
};

bool starts_with(std::span<const uint8_t> data, std::string_view prefix) {
  return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin(),
                                                    [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; });
}

std::span<const uint8_t> without_trailing_nul(std::span<const uint8_t> s) {
  return (!s.empty() && s.back() == 0) ? s.first(s.size() - 1) : s;
}

// VariableData of a UEFI_VARIABLE_DATA, or nullopt when the data is not one.
std::optional<std::span<const uint8_t>> variable_data(std::span<const uint8_t> data) {
  ByteReader r(data);
  uint64_t name_chars = 0, data_len = 0;
  if (!r.skip(16) || !r.read_u64_le(name_chars) || !r.read_u64_le(data_len)) return std::nullopt;
  if (name_chars > r.remaining() / 2 || !r.skip(static_cast<size_t>(name_chars) * 2)) return std::nullopt;
  if (data_len != r.remaining()) return std::nullopt;
  return r.rest();
}

// grub's EV_IPL strings (PCR 8) whose digest is over the text after the prefix.
struct GrubPrefix {
  std::string_view prefix;
  bool digest_includes_nul;
};
constexpr std::array<GrubPrefix, 5> kGrubPrefixes = {{
    // upstream grub >= 2.04, grub-core/commands/tpm.c: H(text), text without its NUL.
    {"grub_cmd: ", false},
    {"kernel_cmdline: ", false},
    {"module_cmdline: ", false},
    // Red Hat grub 2.02 (RHEL 8, RHCOS): H(command NUL) and H(command line).
    {"grub_cmd ", true},
    {"grub_kernel_cmdline ", false},
}};

constexpr uint32_t kKernelCommandLinePcr = 8;

// Starts with a printable ASCII character in UTF-16LE: how systemd-boot's strings begin, and how
// grub's ASCII strings and shim's variable names never do.
bool looks_utf16le(std::span<const uint8_t> data) {
  return data.size() >= 2 && data[0] >= 0x20 && data[0] < 0x7F && data[1] == 0;
}

Candidates candidates(const Event& ev) {
  Candidates c;
  auto add = [&](std::span<const uint8_t> s) { c.spans[c.count++] = s; };
  switch (ev.type) {
    // PFP 1.04 §9.4: the digest of these is the hash of the event data.
    case EV_SEPARATOR:
    case EV_EFI_ACTION:
    case EV_ACTION:
    case EV_EFI_GPT_EVENT:
      add(ev.data);
      break;
    // PFP 1.04 §9.4 / UEFI_VARIABLE_DATA: whole structure or VariableData (firmware differs).
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_BOOT:
    case EV_EFI_VARIABLE_BOOT2:
      add(ev.data);
      if (auto vd = variable_data(ev.data)) add(*vd);
      break;
    // Bound only when it matches: shim and GCE log authority digests over other bytes.
    case EV_EFI_VARIABLE_AUTHORITY:
      add(ev.data);
      c.report = false;
      break;
    case EV_IPL:
      for (const GrubPrefix& g : kGrubPrefixes) {
        if (starts_with(ev.data, g.prefix)) {
          const auto text = ev.data.subspan(g.prefix.size());
          add(g.digest_includes_nul ? text : without_trailing_nul(text));
          return c;
        }
      }
      // systemd-boot before v251 measured the kernel command line into PCR 8 as UTF-16LE with
      // its NUL and logged the same string: H(data).
      if (ev.pcr == kKernelCommandLinePcr && looks_utf16le(ev.data)) add(ev.data);
      break;
    default:
      break;
  }
  return c;
}

}  // namespace

EventDigestCheck check_event_digest(const Event& ev) {
  EventDigestCheck result;
  const Candidates c = candidates(ev);
  if (c.count == 0) return result;
  // Banks whose digest does not match: bit i for ev.digests[i]. A candidate must explain every
  // bank we can hash, so the same bytes are bound in all of them.
  uint32_t best_mismatch = 0;
  size_t best_count = SIZE_MAX;
  size_t hashed = 0;
  for (size_t k = 0; k < c.count; ++k) {
    uint32_t mismatch = 0;
    size_t n = 0;
    hashed = 0;
    for (size_t i = 0; i < ev.digests.size(); ++i) {
      const EventDigest& d = ev.digests[i];
      if (!hash_alg_from_tpm_id(static_cast<uint16_t>(d.alg)) || evp_md(d.alg) == nullptr) continue;
      ++hashed;
      if (hash(d.alg, c.spans[k]) != d.digest) {
        mismatch |= 1u << i;
        ++n;
      }
    }
    if (n == 0) {
      result.bound = hashed > 0;
      return result;
    }
    if (n < best_count) {
      best_count = n;
      best_mismatch = mismatch;
    }
  }
  if (!c.report) return result;
  std::string banks;
  for (size_t i = 0; i < ev.digests.size(); ++i) {
    if ((best_mismatch & (1u << i)) == 0) continue;
    if (!banks.empty()) banks += ", ";
    banks += fmt::format("{} {}", hash_alg_name(ev.digests[i].alg), ev.digests[i].digest.hex());
  }
  result.mismatch = Error{
      kDigestMismatch,
      fmt::format("event {} ({}, PCR {}) at offset {}: digest is not the hash of the event data in bank{} {}", ev.index,
                  event_type_label(ev.type), ev.pcr, ev.offset, best_count > 1 ? "s" : "", banks)};
  return result;
}

std::vector<Error> check_event_digests(const EventLog& log) {
  std::vector<Error> out;
  for (const Event& ev : log.events) {
    auto r = check_event_digest(ev);
    if (r.mismatch) out.push_back(std::move(*r.mismatch));
  }
  return out;
}

}  // namespace attestd::evidence::eventlog
