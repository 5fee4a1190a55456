// The audit log's hash chain (issue 7, DESIGN §5): the canonical encoding of a record, the chain
// hash, and a verifier that walks a chain and names the first record that breaks it. Pure: no
// database, no clock. docs/audit.md specifies the encoding for independent verifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/store/records.h"

namespace attestd::store {

inline constexpr uint8_t kAuditCanonicalVersion = 1;

// One record exactly as stored: `details` is the stored JSON text, byte for byte, because the
// hash covers those bytes and not a re-serialisation of them.
struct ChainRecord {
  int64_t id = 0;  // global append order (not hashed; checked to grow along the chain)
  std::string tenant_id;
  int64_t chain_seq = 0;
  int64_t time_ms = 0;
  std::string actor;
  std::string action;
  std::string object;
  std::string details;
  std::string request_id;
  std::string client_address;
  std::optional<Sha256> prev_hash;  // nullopt when the column is NULL or not 32 bytes
  std::optional<Sha256> hash;
};

// canonical(record) of docs/audit.md:
//   u8 version (1) ‖ str(tenant_id) ‖ u64be chain_seq ‖ i64be time_ms ‖ str(actor) ‖ str(action)
//   ‖ str(object) ‖ str(details) ‖ str(request_id) ‖ str(client_address)
// with str(s) = u32be byte length ‖ the bytes. Strings longer than 4 GiB cannot occur (SQLite's
// own limit is 1 GB).
Bytes audit_canonical(const ChainRecord& record);
void audit_canonical_append(const ChainRecord& record, Bytes& out);

// SHA-256(prev ‖ canonical(record)). The first record of a chain has prev = 32 zero bytes.
Sha256 audit_chain_hash(const Sha256& prev, const ChainRecord& record);
inline constexpr Sha256 kAuditGenesis{};

// What a query filter may rely on besides the hashed fields: the host named by `object`
// ("host:<id>"), the verdict and reason ids in `details`. The store writes these columns from
// here and the verifier re-derives them from here.
struct AuditDerived {
  std::optional<std::string> host;
  std::optional<std::string> verdict;
  std::vector<std::string> reasons;
};
AuditDerived audit_derived(std::string_view object, const nlohmann::json& details);

// A break in a chain, with a stable id:
//   audit.chain.hash_missing     the record carries no hash (written before the chain existed)
//   audit.chain.seq_gap          chain_seq is not the previous one plus one (a record deleted or
//                                inserted, or the chain does not start at 1)
//   audit.chain.prev_mismatch    prev_hash is not the previous record's hash (a record deleted,
//                                inserted or moved)
//   audit.chain.hash_mismatch    the stored hash is not the hash of the record's fields (edited)
//   audit.chain.order            append order (id) goes backwards along the chain (reordered)
//   audit.chain.tenant_mismatch  a record of another chain inside this one
//   audit.chain.derived_mismatch the host/verdict/reason index columns disagree with the record
struct ChainFault {
  std::string reason_id;
  std::string message;
  int64_t chain_seq = 0;  // of the record that is bad (the expected one for a gap)
  int64_t id = 0;         // its row id, 0 when the record is missing
};

// Walks one tenant's chain in chain_seq order. Feed records with add(); the first fault is kept
// and later records are ignored (one break makes every later hash unverifiable anyway).
class ChainVerifier {
 public:
  // A verifier for the whole chain, from record 1 and the genesis hash.
  explicit ChainVerifier(std::string tenant_id);
  // A verifier for a suffix of the chain that starts after `size` records whose head is `head`
  // (a checkpoint the caller already trusts).
  ChainVerifier(std::string tenant_id, int64_t size, const Sha256& head);

  // Returns false once a fault has been found (the record is then ignored).
  bool add(const ChainRecord& record);
  // A fault the caller found about the record it just fed (e.g. derived columns).
  void fail(ChainFault fault);

  [[nodiscard]] const std::optional<ChainFault>& fault() const { return fault_; }
  // The chain length and head hash after the last good record (the start values before any).
  [[nodiscard]] int64_t size() const { return size_; }
  [[nodiscard]] const Sha256& head() const { return head_; }

 private:
  std::string tenant_id_;
  int64_t size_ = 0;
  int64_t last_id_ = 0;
  Sha256 head_{};
  std::optional<ChainFault> fault_;
  Bytes scratch_;
};

// Lower-case hex of a hash, and back (exactly 64 hex digits, either case; nullopt otherwise).
std::string audit_hex(std::span<const uint8_t> bytes);
std::optional<Sha256> audit_hash_from_hex(std::string_view hex);

}  // namespace attestd::store
