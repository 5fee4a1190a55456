// The audit hash chain: canonical encoding, chain hash and the chain walker.
#include "attestd/store/audit_chain.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>

#include "attestd/evidence/digest.h"

namespace attestd::store {

namespace {

void put_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_u64(Bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_str(Bytes& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

void audit_canonical_append(const ChainRecord& r, Bytes& out) {
  out.push_back(kAuditCanonicalVersion);
  put_str(out, r.tenant_id);
  put_u64(out, static_cast<uint64_t>(r.chain_seq));
  put_u64(out, static_cast<uint64_t>(r.time_ms));  // two's complement: i64be
  put_str(out, r.actor);
  put_str(out, r.action);
  put_str(out, r.object);
  put_str(out, r.details);
  put_str(out, r.request_id);
  put_str(out, r.client_address);
}

Bytes audit_canonical(const ChainRecord& record) {
  Bytes out;
  audit_canonical_append(record, out);
  return out;
}

Sha256 audit_chain_hash(const Sha256& prev, const ChainRecord& record) {
  Bytes buf;
  buf.reserve(128 + record.details.size() + record.actor.size() + record.object.size());
  buf.insert(buf.end(), prev.begin(), prev.end());
  audit_canonical_append(record, buf);
  Sha256 out{};
  SHA256(buf.data(), buf.size(), out.data());
  return out;
}

AuditDerived audit_derived(std::string_view object, const nlohmann::json& details) {
  AuditDerived d;
  constexpr std::string_view kHost = "host:";
  if (object.starts_with(kHost) && object.size() > kHost.size()) d.host = std::string(object.substr(kHost.size()));
  if (details.is_object()) {
    if (auto v = details.find("verdict"); v != details.end() && v->is_string()) d.verdict = v->get<std::string>();
    if (auto rs = details.find("reasons"); rs != details.end() && rs->is_array()) {
      for (const auto& r : *rs) {
        if (r.is_string()) d.reasons.push_back(r.get<std::string>());
      }
      std::sort(d.reasons.begin(), d.reasons.end());
      d.reasons.erase(std::unique(d.reasons.begin(), d.reasons.end()), d.reasons.end());
    }
  }
  return d;
}

ChainVerifier::ChainVerifier(std::string tenant_id) : tenant_id_(std::move(tenant_id)) {}

ChainVerifier::ChainVerifier(std::string tenant_id, int64_t size, const Sha256& head)
    : tenant_id_(std::move(tenant_id)), size_(size), head_(head) {}

void ChainVerifier::fail(ChainFault fault) {
  if (!fault_) fault_ = std::move(fault);
}

bool ChainVerifier::add(const ChainRecord& r) {
  if (fault_) return false;
  auto bad = [&](std::string_view id, std::string message, int64_t seq, int64_t row) {
    fault_ = ChainFault{std::string(id), std::move(message), seq, row};
    return false;
  };
  if (r.tenant_id != tenant_id_) {
    return bad("audit.chain.tenant_mismatch", fmt::format("record {} belongs to another chain", r.chain_seq),
               r.chain_seq, r.id);
  }
  const int64_t expected = size_ + 1;
  if (r.chain_seq != expected) {
    // A missing record is named by the number it should have had; an extra one by its own.
    const bool missing = r.chain_seq > expected;
    return bad("audit.chain.seq_gap",
               missing ? fmt::format("record {} is missing (next present is {})", expected, r.chain_seq)
                       : fmt::format("record {} appears where record {} belongs", r.chain_seq, expected),
               missing ? expected : r.chain_seq, missing ? 0 : r.id);
  }
  if (!r.hash || !r.prev_hash) {
    return bad("audit.chain.hash_missing", fmt::format("record {} carries no hash", r.chain_seq), r.chain_seq, r.id);
  }
  if (*r.prev_hash != head_) {
    return bad("audit.chain.prev_mismatch",
               fmt::format("record {} does not follow record {}: prev_hash differs", r.chain_seq, size_), r.chain_seq,
               r.id);
  }
  const Sha256 h = audit_chain_hash(head_, r);
  if (h != *r.hash) {
    return bad("audit.chain.hash_mismatch",
               fmt::format("record {} was altered: its fields do not hash to its stored hash", r.chain_seq),
               r.chain_seq, r.id);
  }
  if (r.id != 0 && r.id <= last_id_) {
    return bad("audit.chain.order",
               fmt::format("record {} (row {}) was appended before the record it follows (row {})", r.chain_seq,
                           r.id, last_id_),
               r.chain_seq, r.id);
  }
  if (r.id != 0) last_id_ = r.id;
  size_ = r.chain_seq;
  head_ = h;
  return true;
}

std::string audit_hex(std::span<const uint8_t> bytes) { return evidence::to_hex(bytes); }

std::optional<Sha256> audit_hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Sha256 out{};
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace attestd::store
