// Stable reason ids of the key broker (issue 6): refusals of a key release, problems of a key
// put. They reach the caller (problem+json or the "refused" map of an attestation), the audit log
// ("key.refuse" details.reason) and never change once shipped.
#pragma once

#include <string_view>

namespace attestd::broker {

// No live key of that name in the tenant (also: it belongs to another tenant).
inline constexpr std::string_view kKeyNotFound = "key.not_found";
// None of the key's policies is the policy whose verdict is presented.
inline constexpr std::string_view kKeyPolicyDenied = "key.policy_denied";
// No tee_public_key was bound into the evidence (or the EAR carries none): nothing to encrypt to.
inline constexpr std::string_view kKeyBindingMissing = "key.binding_missing";
// The key's conditions (host labels, GPU required) do not hold for the attested host.
inline constexpr std::string_view kKeyConditionsUnmet = "key.conditions_unmet";
// The stored secret does not open or cannot be wrapped: a server fault, never a release.
inline constexpr std::string_view kKeyUnavailable = "key.unavailable";

// Releases by EAR (GET /v1/keys/{name}/release) and by attestation.
// The EAR is missing, malformed, not signed by this service, or not yet valid.
inline constexpr std::string_view kEarInvalid = "ear.invalid";
// The EAR has expired.
inline constexpr std::string_view kEarExpired = "ear.expired";
// The verdict (the EAR's overall status) is not affirming.
inline constexpr std::string_view kEarNotAffirming = "ear.not_affirming";
// The EAR names no tenant of this service.
inline constexpr std::string_view kEarWrongTenant = "ear.wrong_tenant";

// Key puts.
// A name outside [A-Za-z0-9._-]{1,128}.
inline constexpr std::string_view kKeyNameInvalid = "key.name_invalid";
// A secret that is empty, larger than kMaxSecretSize, or not base64; an unknown "generate".
inline constexpr std::string_view kKeySecretInvalid = "key.secret_invalid";
// policies not a non-empty array of names; conditions not {host_labels: {string: string}, gpu_required: bool}.
inline constexpr std::string_view kKeyMetadataInvalid = "key.metadata_invalid";

}  // namespace attestd::broker
