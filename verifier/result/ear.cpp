#include "attestd/result/ear.h"

#include <algorithm>
#include <iterator>
#include <cctype>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "attestd/result/base64url.h"
#include "attestd/result/reasons.h"
#include "strict_json.h"

#ifndef ATTESTD_VERSION
#error "ATTESTD_VERSION must be defined by the build (verifier/result/CMakeLists.txt)"
#endif

namespace attestd::result {
namespace {

using json = nlohmann::json;

inline constexpr size_t kMaxSubmods = 64;
inline constexpr size_t kMaxSubmodName = 64;

// AR4SI claim names (draft-ietf-rats-ar4si §2.3, EAR §3.1 JSON labels) with their TrustVector slot.
struct VectorMember {
  std::string_view name;
  std::optional<int8_t> TrustVector::*slot;
};
constexpr VectorMember kVectorMembers[] = {
    {"instance-identity", &TrustVector::instance_identity},
    {"configuration", &TrustVector::configuration},
    {"executables", &TrustVector::executables},
    {"file-system", &TrustVector::file_system},
    {"hardware", &TrustVector::hardware},
    {"runtime-opaque", &TrustVector::runtime_opaque},
    {"storage-opaque", &TrustVector::storage_opaque},
    {"sourced-data", &TrustVector::sourced_data},
};

std::unexpected<Error> fail(std::string_view id, std::string message) {
  return std::unexpected(Error{id, std::move(message)});
}

bool valid_submod_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxSubmodName && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Submod status: never better than its vector allows (the same rule as Veraison's
// UpdateStatusFromTrustVector).
Status effective_status(const Submod& s) { return worse(s.status, s.trust_vector.worst_tier()); }

}  // namespace

namespace {

// RFC 3629 §4 well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF): JSON text is
// UTF-8 (RFC 8259 §8.1), and a string we cannot encode faithfully is refused, not altered.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Appends s as a JSON string (RFC 8259 §7): quote, backslash and control characters escaped.
void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

std::expected<void, Error> check_request(const EarRequest& req) {
  if (req.nonce.size() < kMinNonceSize || req.nonce.size() > kMaxNonceSize) {
    return fail(kEarInputInvalid, fmt::format("nonce of {} bytes; EAT §4.1 allows {}..{}", req.nonce.size(), kMinNonceSize,
                                              kMaxNonceSize));
  }
  if (req.lifetime.count() <= 0) return fail(kEarInputInvalid, "lifetime must be positive");
  if (!valid_utf8(req.tenant_id) || !valid_utf8(req.host_id)) return fail(kEarInputInvalid, "tenant or host id is not UTF-8");
  if (req.submods.empty()) return fail(kEarInputInvalid, "an EAR needs at least one submod");
  if (req.submods.size() > kMaxSubmods) return fail(kEarInputInvalid, "too many submods");
  for (size_t i = 0; i < req.submods.size(); ++i) {
    const Submod& s = req.submods[i];
    if (!valid_submod_name(s.name)) {
      return fail(kEarInputInvalid, fmt::format("submod name \"{}\" is not [a-z0-9_-]{{1,64}}", s.name));
    }
    for (size_t j = 0; j < i; ++j) {
      if (req.submods[j].name == s.name) return fail(kEarInputInvalid, fmt::format("submod \"{}\" appears twice", s.name));
    }
    if (!valid_utf8(s.policy_id)) return fail(kEarInputInvalid, fmt::format("submod \"{}\": policy id is not UTF-8", s.name));
    for (const auto& r : s.reasons) {
      if (!valid_utf8(r)) return fail(kEarInputInvalid, fmt::format("submod \"{}\": a reason id is not UTF-8", s.name));
    }
  }
  return {};
}

// The claims set as compact JSON text, written directly: building a DOM and dumping it costs as
// much as a fifth of the ECDSA signature. build_ear_claims parses this same text, so the audit
// copy and the signed token can never differ.
std::expected<std::string, Error> write_claims(const EarRequest& req) {
  if (auto ok = check_request(req); !ok) return std::unexpected(ok.error());
  const std::string akpub = req.tee_key != nullptr ? base64url_encode(req.tee_key->spki_der()) : std::string();
  Status overall = Status::kAffirming;
  for (const auto& s : req.submods) overall = worse(overall, effective_status(s));

  const int64_t iat = req.issued_at.time_since_epoch().count();
  std::string out;
  out.reserve(400 + req.submods.size() * (300 + akpub.size()));
  fmt::format_to(std::back_inserter(out),
                 R"({{"eat_profile":"{}","iat":{},"exp":{},"eat_nonce":"{}",)"
                 R"("ear.verifier-id":{{"build":"attestd {}","developer":"{}"}},"ear.status":"{}","submods":{{)",
                 kEarProfile, iat, iat + req.lifetime.count(), base64url_encode(req.nonce), ATTESTD_VERSION,
                 kEarDeveloper, to_string(overall));
  // Whose attestation this is, so that a key release by EAR stays inside the tenant (issue 6).
  if (!req.tenant_id.empty()) {
    out.pop_back();  // reopen the object: `"submods":{` is written last
    out.resize(out.size() - std::string_view(R"("submods":)").size());
    out += R"("ear.attestd.tenant":)";
    append_json_string(out, req.tenant_id);
    if (!req.host_id.empty()) {
      out += R"(,"ear.attestd.host":)";
      append_json_string(out, req.host_id);
    }
    out += R"(,"submods":{)";
  }
  bool first_submod = true;
  for (const auto& s : req.submods) {
    if (!first_submod) out.push_back(',');
    first_submod = false;
    // Names are [a-z0-9_-] (check_request), so they need no escaping.
    fmt::format_to(std::back_inserter(out), R"("{}":{{"ear.status":"{}","ear.trustworthiness-vector":{{)", s.name,
                   to_string(effective_status(s)));
    bool first_claim = true;
    for (const auto& m : kVectorMembers) {
      if (const auto& v = s.trust_vector.*(m.slot)) {
        fmt::format_to(std::back_inserter(out), R"({}"{}":{})", first_claim ? "" : ",", m.name, int{*v});
        first_claim = false;
      }
    }
    out += R"(},"ear.attestd.reasons":[)";
    for (size_t i = 0; i < s.reasons.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_json_string(out, s.reasons[i]);
    }
    out.push_back(']');
    if (!s.policy_id.empty()) {
      out += R"(,"ear.appraisal-policy-id":)";
      append_json_string(out, s.policy_id);
    }
    if (!akpub.empty()) fmt::format_to(std::back_inserter(out), R"(,"ear.veraison.key-attestation":{{"akpub":"{}"}})", akpub);
    out.push_back('}');
  }
  out += "}}";
  return out;
}

}  // namespace

std::expected<json, Error> build_ear_claims(const EarRequest& req) {
  auto text = write_claims(req);
  if (!text) return std::unexpected(text.error());
  return json::parse(*text, nullptr, /*allow_exceptions=*/false);
}

std::expected<std::string, Error> issue_ear(const SigningKey& key, const EarRequest& req) {
  auto claims = write_claims(req);
  if (!claims) return std::unexpected(claims.error());
  // RFC 7515 §7.1 compact serialisation. The kid is base64url, so the header needs no escaping.
  std::string token = base64url_encode(fmt::format(R"({{"alg":"ES256","kid":"{}","typ":"JWT"}})", key.kid()));
  token.push_back('.');
  token += base64url_encode(*claims);
  auto sig = key.sign_es256(bytes_of(token));
  if (!sig) return std::unexpected(sig.error());
  token.push_back('.');
  token += base64url_encode(*sig);
  return token;
}

namespace {

// A decoded JOSE part parsed as a JSON object without duplicate members.
std::expected<json, Error> decode_object(std::string_view part, std::string_view what) {
  auto bytes = base64url_decode(part);
  if (!bytes) return fail(kEarMalformed, fmt::format("{}: {}", what, bytes.error().message));
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto value = detail::parse_json_strict(text);
  if (!value || !value->is_object()) {
    return fail(kEarMalformed, fmt::format("{} is not a JSON object without duplicate members", what));
  }
  return std::move(*value);
}

const std::string* string_member(const json& obj, const char* name) {
  const auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// RFC 7519 §2 NumericDate; attestd accepts integers only (what it issues).
std::optional<int64_t> int_member(const json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::expected<VerifiedSubmod, Error> parse_appraisal(const std::string& name, const json& a) {
  VerifiedSubmod out;
  out.name = name;
  if (!a.is_object()) return fail(kEarMalformed, fmt::format("submod \"{}\" is not an object", name));
  const auto* status = string_member(a, "ear.status");
  const auto parsed = status != nullptr ? parse_status(*status) : std::nullopt;
  // draft-ietf-rats-ear §3.1: ear.status is mandatory in every appraisal.
  if (!parsed) return fail(kEarMalformed, fmt::format("submod \"{}\": missing or invalid ear.status", name));
  out.status = *parsed;
  if (const auto tv = a.find("ear.trustworthiness-vector"); tv != a.end()) {
    if (!tv->is_object()) return fail(kEarMalformed, fmt::format("submod \"{}\": trustworthiness vector is not an object", name));
    for (const auto& [claim, value] : tv->items()) {
      const auto m = std::find_if(std::begin(kVectorMembers), std::end(kVectorMembers),
                                  [&](const VectorMember& vm) { return vm.name == claim; });
      if (m == std::end(kVectorMembers)) {
        return fail(kEarMalformed, fmt::format("submod \"{}\": unknown AR4SI claim \"{}\"", name, claim));
      }
      // AR4SI §2.3: claims are signed 8-bit integers.
      // (an unsigned value is read as such: a huge one must not wrap into range.)
      const bool in_range = value.is_number_unsigned()   ? value.get<uint64_t>() <= 127
                            : value.is_number_integer() ? value.get<int64_t>() >= -128 && value.get<int64_t>() <= 127
                                                        : false;
      if (!in_range) {
        return fail(kEarMalformed, fmt::format("submod \"{}\": claim \"{}\" is not an integer in -128..127", name, claim));
      }
      out.trust_vector.*(m->slot) = static_cast<int8_t>(value.get<int64_t>());
    }
  }
  if (const auto p = a.find("ear.appraisal-policy-id"); p != a.end()) {
    if (!p->is_string()) return fail(kEarMalformed, fmt::format("submod \"{}\": policy id is not a string", name));
    out.policy_id = p->get<std::string>();
  }
  if (const auto r = a.find("ear.attestd.reasons"); r != a.end()) {
    if (!r->is_array()) return fail(kEarMalformed, fmt::format("submod \"{}\": reasons are not an array", name));
    for (const auto& id : *r) {
      if (!id.is_string()) return fail(kEarMalformed, fmt::format("submod \"{}\": a reason is not a string", name));
      out.reasons.push_back(id.get<std::string>());
    }
  }
  if (const auto k = a.find("ear.veraison.key-attestation"); k != a.end()) {
    const auto* akpub = k->is_object() ? string_member(*k, "akpub") : nullptr;
    if (akpub == nullptr) return fail(kEarMalformed, fmt::format("submod \"{}\": key-attestation without akpub", name));
    auto der = base64url_decode(*akpub);
    if (!der || der->empty()) return fail(kEarMalformed, fmt::format("submod \"{}\": akpub is not base64url", name));
    out.akpub = std::move(*der);
  }
  return out;
}

}  // namespace

std::expected<VerifiedEar, Error> verify_ear(std::string_view token, std::span<const VerificationKey> keys,
                                             std::chrono::sys_seconds now, const EarExpectations& expect) {
  // 1. RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature). Five
  //    parts would be a JWE (RFC 7516 §9), which we never issue.
  if (token.size() > kMaxEarSize) return fail(kEarMalformed, fmt::format("token of {} bytes exceeds {}", token.size(), kMaxEarSize));
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(kEarMalformed, "not a JWS compact serialisation of three parts");
  }
  const std::string_view header_part = token.substr(0, dot1);
  const std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_part = token.substr(dot2 + 1);

  // 2. Header (RFC 7515 §5.2 steps 2-5).
  auto header = decode_object(header_part, "JOSE header");
  if (!header) return std::unexpected(header.error());
  const auto* alg = string_member(*header, "alg");
  if (alg == nullptr) return fail(kEarMalformed, "header has no \"alg\" string (RFC 7515 §4.1.1)");
  // RFC 8725 §3.1/§3.2: the algorithm is fixed by us, not chosen by the token; "none" and HMAC
  // with a public key as secret are the classic forgeries.
  if (*alg != "ES256") return fail(kEarAlgUnsupported, fmt::format("alg \"{}\" is not ES256", *alg));
  // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
  if (header->contains("crit")) return fail(kEarMalformed, "header has \"crit\"; no extension is understood");
  if (const auto typ = header->find("typ"); typ != header->end()) {
    std::string t = typ->is_string() ? typ->get<std::string>() : std::string();
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    // RFC 7519 §5.1: "JWT" (media types compare case-insensitively, RFC 7515 §4.1.9).
    if (t != "JWT") return fail(kEarMalformed, "header \"typ\" is not JWT");
  }
  const auto* kid = string_member(*header, "kid");
  if (kid == nullptr) return fail(kEarUnknownKid, "header has no \"kid\"");
  const auto key = std::find_if(keys.begin(), keys.end(), [&](const VerificationKey& k) { return k.kid() == *kid; });
  if (key == keys.end()) return fail(kEarUnknownKid, fmt::format("no key with kid \"{}\"", *kid));

  // 3. Signature over the ASCII of header '.' payload (RFC 7515 §5.2 step 8), before the claims
  //    are even decoded.
  auto signature = base64url_decode(signature_part);
  if (!signature) return fail(kEarSignatureInvalid, fmt::format("signature: {}", signature.error().message));
  if (signature->size() != kEs256SignatureSize) {
    return fail(kEarSignatureInvalid, fmt::format("ES256 signature is {} bytes, not 64 (RFC 7518 §3.4)", signature->size()));
  }
  if (!key->verify_es256(bytes_of(token.substr(0, dot2)), *signature)) {
    return fail(kEarSignatureInvalid, fmt::format("signature does not verify with key \"{}\"", *kid));
  }

  // 4. Claims.
  auto claims = decode_object(payload_part, "claims set");
  if (!claims) return std::unexpected(claims.error());
  const json& c = *claims;
  const auto* profile = string_member(c, "eat_profile");
  if (profile == nullptr) return fail(kEarMalformed, "no eat_profile");
  if (*profile != kEarProfile) return fail(kEarProfileUnsupported, fmt::format("eat_profile \"{}\" is not {}", *profile, kEarProfile));
  const auto iat = int_member(c, "iat");
  const auto exp = int_member(c, "exp");
  // draft-ietf-rats-ear §3: iat is mandatory; attestd always sets exp, and a token without one
  // would never expire.
  if (!iat || !exp) return fail(kEarMalformed, "iat and exp must be integer NumericDates (RFC 7519 §2)");
  const int64_t t = now.time_since_epoch().count();
  const int64_t leeway = expect.leeway.count();
  // RFC 7519 §4.1.4: not accepted "on or after" exp. Written as t - leeway >= exp so that a hostile
  // exp near INT64_MAX cannot overflow.
  if (t - leeway >= *exp) return fail(kEarExpired, fmt::format("expired at {} (now {})", *exp, t));
  if (*iat > t + leeway) return fail(kEarNotYetValid, fmt::format("issued at {}, in the future (now {})", *iat, t));
  if (c.contains("nbf")) {
    const auto nbf = int_member(c, "nbf");
    if (!nbf) return fail(kEarMalformed, "nbf is not an integer NumericDate");
    if (*nbf > t + leeway) return fail(kEarNotYetValid, fmt::format("not before {} (now {})", *nbf, t));
  }
  const auto* nonce_b64 = string_member(c, "eat_nonce");
  if (nonce_b64 == nullptr) return fail(kEarMalformed, "no eat_nonce");
  auto nonce = base64url_decode(*nonce_b64);
  if (!nonce || nonce->size() < kMinNonceSize || nonce->size() > kMaxNonceSize) {
    return fail(kEarMalformed, "eat_nonce is not base64url of 8..64 bytes (RFC 9711 §4.1)");
  }
  if (expect.nonce && !std::ranges::equal(*nonce, *expect.nonce)) return fail(kEarNonceMismatch, "eat_nonce differs from the expected nonce");

  VerifiedEar out;
  out.kid = *kid;
  out.issued_at = std::chrono::sys_seconds(std::chrono::seconds(*iat));
  out.expires_at = std::chrono::sys_seconds(std::chrono::seconds(*exp));
  out.nonce = std::move(*nonce);
  const auto vid = c.find("ear.verifier-id");
  const auto* build = vid != c.end() && vid->is_object() ? string_member(*vid, "build") : nullptr;
  const auto* developer = vid != c.end() && vid->is_object() ? string_member(*vid, "developer") : nullptr;
  // draft-ietf-rats-ear §3: ear.verifier-id with build and developer is mandatory.
  if (build == nullptr || developer == nullptr) return fail(kEarMalformed, "ear.verifier-id lacks build or developer");
  out.verifier_build = *build;
  if (c.contains("ear.attestd.tenant")) {
    const auto* tenant = string_member(c, "ear.attestd.tenant");
    if (tenant == nullptr) return fail(kEarMalformed, "ear.attestd.tenant is not a string");
    out.tenant_id = *tenant;
  }
  if (c.contains("ear.attestd.host")) {
    const auto* host = string_member(c, "ear.attestd.host");
    if (host == nullptr) return fail(kEarMalformed, "ear.attestd.host is not a string");
    out.host_id = *host;
  }
  const auto* overall = string_member(c, "ear.status");
  const auto overall_status = overall != nullptr ? parse_status(*overall) : std::nullopt;
  if (!overall_status) return fail(kEarMalformed, "missing or invalid ear.status");
  out.status = *overall_status;

  const auto submods = c.find("submods");
  if (submods == c.end() || !submods->is_object() || submods->empty() || submods->size() > kMaxSubmods) {
    return fail(kEarMalformed, "submods is not a non-empty object of appraisals");
  }
  bool all_akpub = true;
  for (const auto& [name, appraisal] : submods->items()) {  // nlohmann objects iterate in name order
    auto sub = parse_appraisal(name, appraisal);
    if (!sub) return std::unexpected(sub.error());
    out.status = worse(out.status, worse(sub->status, sub->trust_vector.worst_tier()));
    if (!sub->akpub) {
      all_akpub = false;
    } else if (out.tee_key_spki && *out.tee_key_spki != *sub->akpub) {
      return fail(kEarMalformed, "submods attest different keys");
    } else {
      out.tee_key_spki = sub->akpub;
    }
    out.submods.push_back(std::move(*sub));
  }
  if (!all_akpub) out.tee_key_spki.reset();
  out.claims = std::move(*claims);
  return out;
}

}  // namespace attestd::result
