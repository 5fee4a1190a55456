// Fuzzes the whole event-log path on hostile bytes: parse, decode every event (and the signature
// lists of every variable), check digests, replay, compare with a quote. Properties beyond "no
// crash": a parsed log has at least one event, events are numbered and ordered, decoded spans stay
// inside the input, and a replay compared with itself verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "attestd/evidence/eventlog/digest_check.h"
#include "attestd/evidence/eventlog/event_data.h"
#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/eventlog/replay_check.h"
#include "attestd/evidence/eventlog/signature_list.h"

namespace {

using namespace attestd::evidence::eventlog;

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::span<const uint8_t> outer, std::span<const uint8_t> inner) {
  if (inner.empty()) return true;
  return !outer.empty() && inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const auto log = parse_event_log(bytes);
  if (!log) return 0;
  require(!log->events.empty());
  for (size_t i = 0; i < log->events.size(); ++i) {
    const Event& ev = log->events[i];
    require(ev.index == i);
    require(inside(bytes, ev.data));
    const auto decoded = decode_event_data(ev);
    if (decoded) {
      if (const auto* var = std::get_if<EfiVariable>(&*decoded)) {
        require(inside(ev.data, var->data));
        (void)decode_signature_lists(var->data);
      }
    }
  }
  (void)check_event_digests(*log);
  const Replay replay = replay_pcrs(*log);
  const ReplayComparison self = compare_replay(replay, replay.pcrs);
  require(self.ok());
  return 0;
}
