// The key broker's put and release rule (see include/attestd/broker/key_broker.h).
#include "attestd/broker/key_broker.h"

#include <algorithm>

#include <fmt/format.h>

#include "attestd/broker/reasons.h"
#include "attestd/result/jwe.h"

namespace attestd::broker {

namespace {

Refused refuse(std::string_view name, int64_t version, std::string_view id, std::string message) {
  return Refused{std::string(name), version, Error{id, std::move(message)}};
}

std::string kid_for(std::string_view name, int64_t version) { return fmt::format("{}:{}", name, version); }

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameSize) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

nlohmann::json KeyConditions::to_json() const {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : host_labels) labels[k] = v;
  return {{"host_labels", labels}, {"gpu_required", gpu_required}};
}

std::expected<KeyConditions, Error> parse_key_conditions(const nlohmann::json& j) {
  const auto bad = [](std::string message) { return std::unexpected(Error{kKeyMetadataInvalid, std::move(message)}); };
  KeyConditions out;
  if (j.is_null()) return out;
  if (!j.is_object()) return bad("\"conditions\" must be an object");
  for (const auto& [k, v] : j.items()) {
    if (k == "host_labels") {
      if (!v.is_object()) return bad("\"conditions.host_labels\" must be an object of strings");
      for (const auto& [lk, lv] : v.items()) {
        if (!lv.is_string()) return bad(fmt::format("host label \"{}\" must be a string", lk));
        out.host_labels[lk] = lv.get<std::string>();
      }
    } else if (k == "gpu_required") {
      if (!v.is_boolean()) return bad("\"conditions.gpu_required\" must be a boolean");
      out.gpu_required = v.get<bool>();
    } else {
      // An unknown condition would be silently ignored, which fails open: refuse it.
      return bad(fmt::format("unknown condition \"{}\"", k));
    }
  }
  return out;
}

KeyBroker::KeyBroker(std::shared_ptr<store::Store> store, Kek kek) : store_(std::move(store)), kek_(std::move(kek)) {}

std::expected<store::KeyVersion, KeyBroker::PutError> KeyBroker::put(const store::TenantScope& scope,
                                                                     std::string_view name, const SecretBytes& secret,
                                                                     const std::vector<std::string>& policies,
                                                                     const KeyConditions& conditions,
                                                                     const store::RequestContext& ctx) {
  const auto invalid = [](std::string_view id, std::string message) {
    return std::unexpected(PutError{Error{id, std::move(message)}, std::nullopt});
  };
  if (!valid_key_name(name)) return invalid(kKeyNameInvalid, "a key name is 1..128 characters of [A-Za-z0-9._-]");
  if (secret.size() == 0 || secret.size() > kMaxSecretSize) {
    return invalid(kKeySecretInvalid, fmt::format("a secret is 1..{} bytes", kMaxSecretSize));
  }
  if (policies.empty()) return invalid(kKeyMetadataInvalid, "a key names at least one policy that may release it");
  for (const auto& p : policies) {
    if (p.empty() || p.size() > 256) return invalid(kKeyMetadataInvalid, "policy names are 1..256 characters");
  }
  // The version is part of the sealed additional data, so it is chosen before sealing; a
  // concurrent rotation that takes it makes the store answer conflict, and we seal again.
  for (int attempt = 0;; ++attempt) {
    auto version = store_->next_key_version(scope, name);
    if (!version) return std::unexpected(PutError{std::nullopt, version.error()});
    auto sealed = kek_.seal({scope.tenant_id(), name, *version}, secret.span());
    if (!sealed) return std::unexpected(PutError{std::nullopt, store::StoreError{store::StoreErrorCode::internal,
                                                                                 sealed.error().message}});
    store::NewKeyVersion row;
    row.name = std::string(name);
    row.version = *version;
    row.kek_id = kek_.id();
    row.nonce.assign(sealed->nonce.begin(), sealed->nonce.end());
    row.ciphertext = std::move(sealed->ciphertext);
    row.secret_size = static_cast<int64_t>(secret.size());
    row.policies = policies;
    row.conditions = conditions.to_json();
    auto stored = store_->put_key_version(scope, row, ctx);
    if (stored || stored.error().code != store::StoreErrorCode::conflict || attempt >= 2) {
      if (!stored) return std::unexpected(PutError{std::nullopt, stored.error()});
      return *stored;
    }
  }
}

ReleaseOutcome KeyBroker::decide(const store::TenantScope& scope, std::string_view name,
                                 const ReleaseRequest& request) {
  if (!valid_key_name(name)) return std::unexpected(refuse(name, 0, kKeyNotFound, "no such key"));
  auto key = store_->get_key(scope, name);
  if (!key) {
    if (key.error().code == store::StoreErrorCode::not_found) {
      return std::unexpected(refuse(name, 0, kKeyNotFound, "no such key"));
    }
    return std::unexpected(refuse(name, 0, kKeyUnavailable, "the key store failed"));
  }
  const int64_t v = key->version;
  if (!request.affirming) {
    return std::unexpected(refuse(name, v, kEarNotAffirming, "keys are released only on an affirming verdict"));
  }
  if (request.tee_key == nullptr) {
    return std::unexpected(refuse(name, v, kKeyBindingMissing,
                                  "no tee_public_key was bound into the evidence: there is nothing to encrypt to"));
  }
  if (request.policy_name.empty() ||
      std::ranges::find(key->policies, request.policy_name) == key->policies.end()) {
    return std::unexpected(refuse(name, v, kKeyPolicyDenied,
                                  fmt::format("policy \"{}\" may not release this key", request.policy_name)));
  }
  if (request.policy_keys && std::ranges::find(*request.policy_keys, name) == request.policy_keys->end()) {
    return std::unexpected(refuse(name, v, kKeyPolicyDenied,
                                  fmt::format("policy \"{}\" does not list this key", request.policy_name)));
  }
  auto conditions = parse_key_conditions(key->conditions);
  if (!conditions) return std::unexpected(refuse(name, v, kKeyUnavailable, "stored conditions do not parse"));
  for (const auto& [label, value] : conditions->host_labels) {
    const auto it = request.host_labels.is_object() ? request.host_labels.find(label) : request.host_labels.end();
    if (it == request.host_labels.end() || !it->is_string() || it->get<std::string>() != value) {
      return std::unexpected(refuse(name, v, kKeyConditionsUnmet,
                                    fmt::format("the host's label \"{}\" is not \"{}\"", label, value)));
    }
  }
  if (conditions->gpu_required && !request.gpu_attested) {
    return std::unexpected(refuse(name, v, kKeyConditionsUnmet, "this key requires attested GPU evidence"));
  }
  auto secret = kek_.open({scope.tenant_id(), name, v}, key->nonce, key->ciphertext);
  if (!secret) return std::unexpected(refuse(name, v, kKeyUnavailable, secret.error().message));
  auto jwe = result::encrypt_jwe(*request.tee_key, kid_for(name, v), secret->span());
  if (!jwe) return std::unexpected(refuse(name, v, kKeyUnavailable, jwe.error().message));
  return Released{std::string(name), v, std::move(*jwe)};
}

ReleaseOutcome KeyBroker::release(const store::TenantScope& scope, std::string_view name,
                                  const ReleaseRequest& request, const store::RequestContext& ctx) {
  auto outcome = decide(scope, name, request);
  nlohmann::json details = {{"name", std::string(name)}, {"via", request.via}};
  if (!request.attestation_id.empty()) details["attestation_id"] = request.attestation_id;
  if (!request.host_id.empty()) details["host_id"] = request.host_id;
  if (!request.policy_name.empty()) details["policy"] = request.policy_name;
  if (request.tee_key != nullptr) details["tee_key_thumbprint"] = request.tee_key->thumbprint_b64();
  store::AuditEvent event;
  if (outcome) {
    details["version"] = outcome->version;
    event = {"key.release", fmt::format("key:{}@{}", name, outcome->version), details};
  } else {
    details["version"] = outcome.error().version;
    details["reason"] = std::string(outcome.error().reason.id);
    event = {"key.refuse", fmt::format("key:{}", name), details};
  }
  auto audited = store_->append_audit(scope, event, ctx);
  if (!audited && outcome) {
    // A release that cannot be recorded does not happen.
    return std::unexpected(refuse(name, outcome->version, kKeyUnavailable, "the release could not be audited"));
  }
  return outcome;
}

void KeyBroker::audit_refusal(const store::TenantScope& scope, std::string_view name, const Error& reason,
                              const ReleaseRequest& request, const store::RequestContext& ctx) {
  nlohmann::json details = {{"name", std::string(name)}, {"via", request.via}, {"version", 0},
                            {"reason", std::string(reason.id)}};
  if (!request.host_id.empty()) details["host_id"] = request.host_id;
  (void)store_->append_audit(scope, {"key.refuse", fmt::format("key:{}", name), details}, ctx);
}

}  // namespace attestd::broker
