// Checkpoint signing and verification, and the background checkpointer.
#include "attestd/service/audit_checkpoints.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/store/audit_chain.h"

namespace attestd::service {

namespace {

std::unexpected<CheckpointError> malformed(std::string message) {
  return std::unexpected(CheckpointError{"audit.checkpoint.malformed", std::move(message)});
}

std::expected<nlohmann::json, CheckpointError> decode_part(std::string_view part, std::string_view what) {
  auto raw = result::base64url_decode(part);
  if (!raw) return malformed(fmt::format("{} is not base64url", what));
  auto value = nlohmann::json::parse(raw->begin(), raw->end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return malformed(fmt::format("{} is not a JSON object", what));
  return value;
}

}  // namespace

std::expected<std::string, std::string> sign_checkpoint(const result::SigningKey& key, const CheckpointClaims& claims) {
  const nlohmann::json header = {{"alg", "ES256"}, {"kid", key.kid()}, {"typ", kCheckpointType}};
  const nlohmann::json payload = {{"tenant", claims.tenant_id},
                                  {"size", claims.size},
                                  {"head", store::audit_hex(claims.head)},
                                  {"time", claims.time_ms}};
  const std::string signing_input =
      result::base64url_encode(header.dump()) + "." + result::base64url_encode(payload.dump());
  auto sig = key.sign_es256(std::span(reinterpret_cast<const uint8_t*>(signing_input.data()), signing_input.size()));
  if (!sig) return std::unexpected(sig.error().message);
  return signing_input + "." + result::base64url_encode(*sig);
}

std::expected<CheckpointClaims, CheckpointError> verify_checkpoint(std::string_view jws,
                                                                   std::span<const result::VerificationKey> keys) {
  const size_t dot1 = jws.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : jws.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jws.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("not a JWS compact serialisation (three parts)");
  }
  auto header = decode_part(jws.substr(0, dot1), "header");
  if (!header) return std::unexpected(header.error());
  auto payload = decode_part(jws.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!payload) return std::unexpected(payload.error());
  auto sig = result::base64url_decode(jws.substr(dot2 + 1));
  if (!sig) return malformed("signature is not base64url");
  // Only ES256: a header naming another algorithm is refused, never followed (RFC 8725 §3.1).
  if (header->value("alg", "") != "ES256" || header->value("typ", "") != kCheckpointType ||
      !header->contains("kid") || !(*header)["kid"].is_string()) {
    return malformed("header is not {alg: ES256, kid, typ: attestd-audit-checkpoint}");
  }
  const std::string kid = (*header)["kid"].get<std::string>();
  const result::VerificationKey* key = nullptr;
  for (const auto& k : keys) {
    if (k.kid() == kid) key = &k;
  }
  if (key == nullptr) {
    return std::unexpected(CheckpointError{"audit.checkpoint.unknown_key", fmt::format("no key with kid {}", kid)});
  }
  const std::string_view signing_input = jws.substr(0, dot2);
  if (!key->verify_es256(std::span(reinterpret_cast<const uint8_t*>(signing_input.data()), signing_input.size()),
                         *sig)) {
    return std::unexpected(CheckpointError{"audit.checkpoint.signature_invalid", "the signature does not verify"});
  }
  const auto& p = *payload;
  if (p.size() != 4 || !p.contains("tenant") || !p["tenant"].is_string() || !p.contains("size") ||
      !p["size"].is_number_integer() || !p.contains("head") || !p["head"].is_string() || !p.contains("time") ||
      !p["time"].is_number_integer()) {
    return malformed("payload is not {tenant, size, head, time}");
  }
  auto head = store::audit_hash_from_hex(p["head"].get<std::string>());
  if (!head || p["size"].get<int64_t>() < 1) return malformed("payload head or size is invalid");
  return CheckpointClaims{p["tenant"].get<std::string>(), p["size"].get<int64_t>(), *head, p["time"].get<int64_t>()};
}

Checkpointer::Checkpointer(std::shared_ptr<store::Store> store, std::shared_ptr<const result::KeySet> keys,
                           CheckpointOptions options, Clock clock)
    : store_(std::move(store)),
      keys_(std::move(keys)),
      options_(options),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::start() { thread_ = std::thread([this] { loop(); }); }

void Checkpointer::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (auto r = run_once(); !r) fmt::print(stderr, "attestd: audit checkpoint: {}\n", r.error());
    lock.lock();
  }
}

std::expected<int, std::string> Checkpointer::run_once(bool force) {
  auto heads = store_->audit_heads();
  if (!heads) return std::unexpected(heads.error().message);
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
  int stored = 0;
  for (const auto& h : *heads) {
    const int64_t unsigned_records = h.size - h.checkpoint_size;
    if (unsigned_records <= 0) continue;
    const bool due = force || unsigned_records >= options_.every_records || !h.checkpoint_time ||
                     now - *h.checkpoint_time >= options_.interval;
    if (!due) continue;
    const CheckpointClaims claims{h.tenant_id, h.size, h.head, now.time_since_epoch().count()};
    auto jws = sign_checkpoint(keys_->active(), claims);
    if (!jws) return std::unexpected(jws.error());
    auto added = store_->add_audit_checkpoint(h.tenant_id, store::AuditCheckpoint{h.size, h.head, now, *jws});
    // conflict: another replica signed this size first; its checkpoint serves as well.
    if (!added && added.error().code != store::StoreErrorCode::conflict) {
      return std::unexpected(added.error().message);
    }
    if (added) ++stored;
  }
  return stored;
}

}  // namespace attestd::service
