// The key broker (issue 6): stores tenants' secrets sealed under the KEK and releases them, as
// JWEs to an attested tee_public_key, only when a verdict allows it.
//
// Release rule, checked in this order, the first failure being the refusal's reason:
//   key.not_found        no live key of that name in the tenant
//   ear.not_affirming    the verdict is not affirming
//   key.binding_missing  no tee_public_key was bound into the evidence
//   key.policy_denied    the key does not list the verdict's policy
//   key.conditions_unmet a required host label differs or is absent, or a GPU is required and the
//                        attestation appraised none
// Every decision, release or refusal, is appended to the tenant's audit chain ("key.release" /
// "key.refuse") with the key name and version, the attestation or host, and the reason id; never
// the secret. Plaintext exists only in SecretBytes buffers, wiped after the JWE is made.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/broker/kek.h"
#include "attestd/result/jwk.h"
#include "attestd/store/store.h"

namespace attestd::broker {

inline constexpr size_t kMaxSecretSize = 64 * 1024;
inline constexpr size_t kMaxKeyNameSize = 128;

// [A-Za-z0-9._-]{1,128}: no ':' (the JWE kid is "<name>:<version>"), no '/' (a path segment).
bool valid_key_name(std::string_view name);

struct KeyConditions {
  std::map<std::string, std::string> host_labels;  // each must equal the host's label
  bool gpu_required = false;

  [[nodiscard]] nlohmann::json to_json() const;
};

// {"host_labels": {"k": "v", ...}, "gpu_required": bool}, both optional, nothing else.
std::expected<KeyConditions, Error> parse_key_conditions(const nlohmann::json& j);

// What the release rule needs to know about the verdict presented.
struct ReleaseRequest {
  bool affirming = false;
  std::string policy_name;               // of the verdict; empty when none applied
  // The policy's own list of keys a passing host may receive ("keys"), when it has one: then the
  // key must be on it as well as name the policy (both sides agree, DESIGN §4).
  std::optional<std::vector<std::string>> policy_keys;
  const result::PublicJwk* tee_key = nullptr;  // the bound key; borrowed for the call
  nlohmann::json host_labels = nlohmann::json::object();
  bool gpu_attested = false;
  // For the audit record: how the release was asked for.
  std::string via;             // "attestation" or "ear"
  std::string attestation_id;  // when known
  std::string host_id;
};

struct Released {
  std::string name;
  int64_t version = 0;
  std::string jwe;
};

struct Refused {
  std::string name;
  int64_t version = 0;  // 0 when no key was found
  Error reason;
};

using ReleaseOutcome = std::expected<Released, Refused>;

class KeyBroker {
 public:
  KeyBroker(std::shared_ptr<store::Store> store, Kek kek);

  // Seals `secret` as the next version of `name` (a rotation when it exists). Errors: key.* ids
  // for bad input (400), or a store error.
  struct PutError {
    std::optional<Error> invalid;
    std::optional<store::StoreError> store;
  };
  std::expected<store::KeyVersion, PutError> put(const store::TenantScope& scope, std::string_view name,
                                                 const SecretBytes& secret, const std::vector<std::string>& policies,
                                                 const KeyConditions& conditions, const store::RequestContext& ctx);

  // Applies the release rule to `name` and audits the decision. A store failure while auditing
  // turns a release into a refusal (key.unavailable): nothing leaves unrecorded.
  ReleaseOutcome release(const store::TenantScope& scope, std::string_view name, const ReleaseRequest& request,
                         const store::RequestContext& ctx);

  // Audits a refusal decided before any key was looked at (an EAR that does not verify).
  void audit_refusal(const store::TenantScope& scope, std::string_view name, const Error& reason,
                     const ReleaseRequest& request, const store::RequestContext& ctx);

  [[nodiscard]] const Kek& kek() const { return kek_; }

 private:
  ReleaseOutcome decide(const store::TenantScope& scope, std::string_view name, const ReleaseRequest& request);

  std::shared_ptr<store::Store> store_;
  Kek kek_;
};

}  // namespace attestd::broker
