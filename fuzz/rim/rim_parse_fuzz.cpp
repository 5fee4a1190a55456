// Fuzzes RIM decoding (XML parsing under the hostile-input profile and SWID / Resource extraction),
// without signature checks. Properties: accepted measurements are unique, ascending, within the
// index range, and every alternative has the stated size, which is the algorithm's digest size.
#include <cstdlib>
#include <string_view>

#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/rim/rim.h"

using namespace attestd::evidence;
using namespace attestd::evidence::rim;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string xml(data, data + size);
  const auto rim = parse_rim(xml);
  if (!rim) {
    check(!rim.error().message.empty());
    return 0;
  }
  check(!rim->info.name.empty() && !rim->info.tag_id.empty() && !rim->info.colloquial_version.empty());
  int previous = -1;
  for (const auto& m : rim->measurements) {
    check(static_cast<int>(m.index) > previous && m.index <= kMaxRimIndex);
    previous = m.index;
    check(m.size == digest_size(m.alg));
    check(!m.alternatives.empty() && m.alternatives.size() <= kMaxAlternatives);
    for (const auto& alt : m.alternatives) check(alt.size() == m.size);
    check(rim->find(m.index) == &m);
  }
  return 0;
}
