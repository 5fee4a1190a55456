// Signed checkpoints of the audit log (issue 7): "tenant T's chain had N records with head H at
// time t", as a JWS (RFC 7515 compact serialisation) signed ES256 with the result-signing key, so
// that whoever holds the JWKS can check it and whoever holds an older checkpoint can prove the
// log only grew. The store keeps them; this layer signs, because the store knows no keys.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "attestd/result/signing_key.h"
#include "attestd/store/records.h"
#include "attestd/store/store.h"

namespace attestd::service {

// The JWS protected header's "typ" and the payload members, docs/audit.md:
//   header  {"alg":"ES256","kid":<kid>,"typ":"attestd-audit-checkpoint"}
//   payload {"head":<64 hex>,"size":<int>,"tenant":<tenant id, "" for the service's chain>,"time":<ms>}
inline constexpr std::string_view kCheckpointType = "attestd-audit-checkpoint";

struct CheckpointClaims {
  std::string tenant_id;
  int64_t size = 0;
  store::Sha256 head{};
  int64_t time_ms = 0;
};

// JWS compact of `claims`, signed by `key`. Fails only when OpenSSL does.
std::expected<std::string, std::string> sign_checkpoint(const result::SigningKey& key, const CheckpointClaims& claims);

// A refused checkpoint, with a stable id:
//   audit.checkpoint.malformed          not a JWS of the form above
//   audit.checkpoint.unknown_key        no key in `keys` has its kid
//   audit.checkpoint.signature_invalid  the signature does not verify
struct CheckpointError {
  std::string reason_id;
  std::string message;
};

// Verifies the JWS with the key named by its kid among `keys` and returns its claims.
std::expected<CheckpointClaims, CheckpointError> verify_checkpoint(std::string_view jws,
                                                                   std::span<const result::VerificationKey> keys);

struct CheckpointOptions {
  int64_t every_records = 1000;                // sign once a chain grew by this many records
  std::chrono::seconds interval{60};           // or once this long passed with any new record
  std::chrono::milliseconds poll{1000};        // how often chains are looked at
};

// Signs checkpoints in the background: every `poll`, each chain that grew by every_records since
// its newest checkpoint, or grew at all and whose newest checkpoint is older than `interval`, gets
// one. Stops (and joins) on destruction.
class Checkpointer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  Checkpointer(std::shared_ptr<store::Store> store, std::shared_ptr<const result::KeySet> keys,
               CheckpointOptions options, Clock clock = {});
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void start();
  // One pass, synchronously; with force every chain with unsigned records gets a checkpoint.
  // Returns how many checkpoints were stored, or the first error.
  std::expected<int, std::string> run_once(bool force = false);

 private:
  void loop();

  std::shared_ptr<store::Store> store_;
  std::shared_ptr<const result::KeySet> keys_;
  CheckpointOptions options_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace attestd::service
