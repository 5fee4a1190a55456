// CoRIM reference-value triples to GPU golden values (corim.h). libcbor builds the item tree; every
// field is type-checked before it is read, and any structure this reader does not expect is an
// error rather than skipped, except optional CoRIM/CoMID members that carry no reference values.
#include "attestd/policy/corim.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cbor.h>
#include <fmt/format.h>

#include "attestd/evidence/cbor_scan.h"

namespace attestd::policy {

namespace {

// CoMID and CoRIM nest a dozen levels; libcbor's decoder recurses per level.
constexpr size_t kMaxCorimDepth = 32;

struct Decref {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, Decref>;

evidence::Error bad(std::string message) { return evidence::Error{kCorimInvalid, std::move(message)}; }

std::expected<Item, evidence::Error> load(std::span<const uint8_t> bytes, std::string_view what) {
  if (bytes.empty() || bytes.size() > kMaxCorimSize) return std::unexpected(bad(fmt::format("{}: empty or larger than {} bytes", what, kMaxCorimSize)));
  // libcbor allocates what a header declares before reading it: scan first (found by corim_fuzz:
  // a count of 2^58 asked for an exabyte).
  size_t item_size = 0;
  switch (evidence::scan_cbor(bytes, kMaxCorimDepth, &item_size)) {
    case evidence::CborScan::ok: break;
    case evidence::CborScan::too_deep:
      return std::unexpected(bad(fmt::format("{}: nested deeper than {} levels", what, kMaxCorimDepth)));
    case evidence::CborScan::malformed: return std::unexpected(bad(fmt::format("{}: not well-formed CBOR", what)));
  }
  cbor_load_result result{};
  Item item(cbor_load(bytes.data(), bytes.size(), &result));
  if (!item || result.error.code != CBOR_ERR_NONE) {
    return std::unexpected(bad(fmt::format("{}: not well-formed CBOR (at byte {})", what, result.error.position)));
  }
  if (result.read != bytes.size()) {
    return std::unexpected(bad(fmt::format("{}: {} bytes after the CBOR item", what, bytes.size() - result.read)));
  }
  return item;
}

// The value of unsigned-integer key `key` in definite map `map`, or nullptr.
cbor_item_t* member(const cbor_item_t* map, uint64_t key) {
  const size_t n = cbor_map_size(map);
  const cbor_pair* pairs = cbor_map_handle(map);
  for (size_t i = 0; i < n; ++i) {
    if (cbor_isa_uint(pairs[i].key) && cbor_get_int(pairs[i].key) == key) return pairs[i].value;
  }
  return nullptr;
}

bool is_map(const cbor_item_t* i) { return i != nullptr && cbor_isa_map(i) && cbor_map_is_definite(i); }
bool is_array(const cbor_item_t* i) { return i != nullptr && cbor_isa_array(i) && cbor_array_is_definite(i); }
bool is_bytes(const cbor_item_t* i) { return i != nullptr && cbor_isa_bytestring(i) && cbor_bytestring_is_definite(i); }
bool is_text(const cbor_item_t* i) { return i != nullptr && cbor_isa_string(i) && cbor_string_is_definite(i); }

std::span<const uint8_t> bytes_of(const cbor_item_t* i) { return {cbor_bytestring_handle(i), cbor_bytestring_length(i)}; }

std::optional<size_t> digest_length(uint64_t alg) {
  switch (alg) {
    case 1: return 32;  // sha-256
    case 7: return 48;  // sha-384
    case 8: return 64;  // sha-512
    default: return std::nullopt;
  }
}

using Values = std::map<std::string, std::map<uint32_t, std::vector<GpuMeasurement>>>;

std::expected<void, evidence::Error> read_measurement(const cbor_item_t* m, const std::string& model, const std::string& at,
                                                      Values& out) {
  if (!is_map(m)) return std::unexpected(bad(at + ": a measurement-map must be a map"));
  const cbor_item_t* mkey = member(m, 0);
  if (mkey == nullptr || !cbor_isa_uint(mkey)) {
    return std::unexpected(bad(at + ": mkey (0) must be the SPDM measurement index, an unsigned integer"));
  }
  const uint64_t index = cbor_get_int(mkey);
  if (index < kMinSpdmIndex || index > kMaxSpdmIndex) {
    return std::unexpected(bad(fmt::format("{}: mkey {} is not an SPDM measurement index ({}-{})", at, index, kMinSpdmIndex, kMaxSpdmIndex)));
  }
  const cbor_item_t* mval = member(m, 1);
  if (!is_map(mval)) return std::unexpected(bad(at + ": mval (1) must be a measurement-values-map"));
  const cbor_item_t* digests = member(mval, 2);
  if (!is_array(digests) || cbor_array_size(digests) == 0) {
    return std::unexpected(bad(at + ": mval.digests (2) must be a non-empty array"));
  }
  auto& list = out[model][static_cast<uint32_t>(index)];
  for (size_t d = 0; d < cbor_array_size(digests); ++d) {
    const cbor_item_t* pair = cbor_array_handle(digests)[d];
    const std::string dat = fmt::format("{}.digests[{}]", at, d);
    if (!is_array(pair) || cbor_array_size(pair) != 2) return std::unexpected(bad(dat + ": must be [alg, value]"));
    const cbor_item_t* alg = cbor_array_handle(pair)[0];
    const cbor_item_t* value = cbor_array_handle(pair)[1];
    if (!cbor_isa_uint(alg)) return std::unexpected(bad(dat + ": alg must be an unsigned integer"));
    const auto length = digest_length(cbor_get_int(alg));
    if (!length) return std::unexpected(bad(fmt::format("{}: hash algorithm {} is not sha-256 (1), sha-384 (7) or sha-512 (8)", dat, cbor_get_int(alg))));
    if (!is_bytes(value) || cbor_bytestring_length(value) != *length) {
      return std::unexpected(bad(fmt::format("{}: value must be a byte string of {} bytes", dat, *length)));
    }
    const auto b = bytes_of(value);
    GpuMeasurement v(b.begin(), b.end());
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(std::move(v));
  }
  return {};
}

std::expected<void, evidence::Error> read_comid(const cbor_item_t* tagged, size_t tag_index, Values& out) {
  const std::string at = fmt::format("tags[{}]", tag_index);
  if (!cbor_isa_tag(tagged) || cbor_tag_value(tagged) != kTagComid) {
    return std::unexpected(bad(at + ": only CoMID tags (#6.506) are read"));
  }
  Item wrapped(cbor_tag_item(tagged));
  if (!is_bytes(wrapped.get())) return std::unexpected(bad(at + ": #6.506 must wrap a byte string"));
  auto comid = load(bytes_of(wrapped.get()), at);
  if (!comid) return std::unexpected(comid.error());
  if (!is_map(comid->get())) return std::unexpected(bad(at + ": a concise-mid-tag must be a map"));
  if (!is_map(member(comid->get(), 1))) return std::unexpected(bad(at + ": tag-identity (1) is missing"));
  const cbor_item_t* triples = member(comid->get(), 4);
  if (!is_map(triples)) return std::unexpected(bad(at + ": triples (4) must be a map"));
  const cbor_item_t* refs = member(triples, 0);
  if (refs == nullptr) return {};  // endorsements only: nothing to import from this tag
  if (!is_array(refs)) return std::unexpected(bad(at + ": reference-triples (0) must be an array"));
  for (size_t r = 0; r < cbor_array_size(refs); ++r) {
    const std::string rat = fmt::format("{}.reference-triples[{}]", at, r);
    const cbor_item_t* triple = cbor_array_handle(refs)[r];
    if (!is_array(triple) || cbor_array_size(triple) != 2) return std::unexpected(bad(rat + ": must be [environment, measurements]"));
    const cbor_item_t* env = cbor_array_handle(triple)[0];
    const cbor_item_t* cls = is_map(env) ? member(env, 0) : nullptr;
    const cbor_item_t* model = is_map(cls) ? member(cls, 2) : nullptr;
    if (!is_text(model)) return std::unexpected(bad(rat + ": environment.class.model (0.2) must be a text string"));
    const std::string name(reinterpret_cast<const char*>(cbor_string_handle(model)), cbor_string_length(model));
    if (!is_valid_name(name)) return std::unexpected(bad(fmt::format("{}: model \"{}\" is not a valid name", rat, name)));
    const cbor_item_t* ms = cbor_array_handle(triple)[1];
    if (!is_array(ms) || cbor_array_size(ms) == 0) return std::unexpected(bad(rat + ": measurements must be a non-empty array"));
    for (size_t i = 0; i < cbor_array_size(ms); ++i) {
      auto ok = read_measurement(cbor_array_handle(ms)[i], name, fmt::format("{}.measurements[{}]", rat, i), out);
      if (!ok) return ok;
    }
  }
  return {};
}

}  // namespace

std::expected<void, evidence::Error> add_corim_reference_values(ReferenceSet& set, std::span<const uint8_t> corim) {
  // COSE_Sign1 (#6.18) is recognised by its head: libcbor 0.8 refuses tags 6-20 in their one-byte
  // form as malformed, which would hide the real reason.
  if ((!corim.empty() && corim[0] == 0xd2) || (corim.size() > 1 && corim[0] == 0xd8 && corim[1] == kTagCoseSign1)) {
    return std::unexpected(bad("a signed CoRIM (COSE_Sign1) cannot be verified by this import; give the unsigned CoRIM"));
  }
  auto top = load(corim, "CoRIM");
  if (!top) return std::unexpected(top.error());
  if (cbor_isa_tag(top->get()) && cbor_tag_value(top->get()) == kTagCoseSign1) {
    return std::unexpected(bad("a signed CoRIM (COSE_Sign1) cannot be verified by this import; give the unsigned CoRIM"));
  }
  if (!cbor_isa_tag(top->get()) || cbor_tag_value(top->get()) != kTagCorim) {
    return std::unexpected(bad("not a tagged CoRIM (#6.501)"));
  }
  Item map(cbor_tag_item(top->get()));
  if (!is_map(map.get())) return std::unexpected(bad("corim-map: must be a map"));
  const cbor_item_t* id = member(map.get(), 0);
  if (id == nullptr || !(is_text(id) || (cbor_isa_tag(id)) || is_bytes(id))) return std::unexpected(bad("corim-map: id (0) is missing"));
  const cbor_item_t* tags = member(map.get(), 1);
  if (!is_array(tags) || cbor_array_size(tags) == 0) return std::unexpected(bad("corim-map: tags (1) must be a non-empty array"));
  Values values;
  for (size_t t = 0; t < cbor_array_size(tags); ++t) {
    auto ok = read_comid(cbor_array_handle(tags)[t], t, values);
    if (!ok) return ok;
  }
  if (values.empty()) return std::unexpected(bad("the CoRIM holds no reference-value triple"));
  // Parse, then commit (STYLE 4).
  for (auto& [model, indices] : values) {
    for (auto& [index, list] : indices) {
      auto& dst = set.gpu[model][index];
      for (auto& v : list) {
        if (std::find(dst.begin(), dst.end(), v) == dst.end()) dst.push_back(std::move(v));
      }
    }
  }
  return {};
}

}  // namespace attestd::policy
