#include "attestd/result/jwk.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include <algorithm>
#include <bit>
#include <span>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/result/reasons.h"
#include "ossl.h"
#include "strict_json.h"

namespace attestd::result {
namespace {

using detail::BnPtr;
using detail::OsslBytesPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;
using detail::PkeyCtxPtr;

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_errors();
  return std::unexpected(Error{id, std::move(message)});
}

// DER SubjectPublicKeyInfo of a named-curve key with an uncompressed point, up to the point
// (RFC 5480 §2: SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING }): what
// i2d_PUBKEY writes for these keys. Encoding and decoding it directly skips OpenSSL 3's
// encoder/decoder framework, which cost ~300 µs per call each way on the key-release path.
constexpr uint8_t kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                       0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr uint8_t kP384SpkiPrefix[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                       0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};

struct Curve {
  std::string_view crv;         // JWK name (RFC 7518 §6.2.1.1)
  std::string_view group_name;  // OpenSSL name
  size_t coordinate_size;
  JwkType type;
  std::span<const uint8_t> spki_prefix;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32, JwkType::kEcP256, kP256SpkiPrefix},
    {"P-384", "secp384r1", 48, JwkType::kEcP384, kP384SpkiPrefix},
};

// A required string member, base64url-decoded.
std::expected<std::vector<uint8_t>, Error> b64_member(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end()) return fail(kJwkMalformed, fmt::format("member \"{}\" is missing", name));
  if (!it->is_string()) return fail(kJwkMalformed, fmt::format("member \"{}\" is not a string", name));
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes) return fail(kJwkMalformed, fmt::format("member \"{}\": {}", name, bytes.error().message));
  return bytes;
}

// EVP_PKEY_fromdata followed by EVP_PKEY_public_check: the point is on the curve (and not the point
// at infinity), the RSA modulus and exponent are plausible. For EC keys the quick check: it skips
// only the n·Q = O scalar multiplication, which cannot fail for a point on P-256 or P-384 (cofactor
// 1: every point on the curve but infinity has order n), and is half the cost of parsing the key.
std::expected<PkeyPtr, Error> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return fail(kJwkInvalid, "OpenSSL cannot build the key");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(kJwkInvalid, "OpenSSL refuses the key parameters (point not on the curve?)");
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  const bool ec = std::string_view(type) == "EC";
  if (!check || (ec ? EVP_PKEY_public_check_quick(check.get()) : EVP_PKEY_public_check(check.get())) != 1) {
    return fail(kJwkInvalid, "public key check failed (point not on the curve, or bad RSA modulus/exponent)");
  }
  return pkey;
}

Thumbprint sha256_of(std::string_view text) {
  Thumbprint out{};
  unsigned int len = 0;
  // SHA-256 of a short string cannot fail short of memory exhaustion; a zero digest would then
  // match nothing any attester can produce.
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, detail::sha256(), nullptr) != 1 || len != out.size()) {
    detail::clear_errors();
    out.fill(0);
  }
  return out;
}

std::expected<std::vector<uint8_t>, Error> spki_of(EVP_PKEY* pkey) {
  unsigned char* buf = nullptr;
  const int len = i2d_PUBKEY(pkey, &buf);
  OsslBytesPtr owned(buf);
  if (len <= 0) return fail(kJwkInvalid, "cannot encode SubjectPublicKeyInfo");
  return std::vector<uint8_t>(buf, buf + len);
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

std::string PublicJwk::thumbprint_b64() const { return base64url_encode(thumbprint_); }

nlohmann::json PublicJwk::to_json() const {
  return nlohmann::json::parse(canonical_, nullptr, /*allow_exceptions=*/false);
}

std::expected<PublicJwk, Error> parse_public_jwk(std::string_view json_text) {
  if (json_text.size() > kMaxJwkSize) {
    return fail(kJwkMalformed, fmt::format("JWK of {} bytes exceeds {}", json_text.size(), kMaxJwkSize));
  }
  auto json = detail::parse_json_strict(json_text);
  if (!json) return fail(kJwkMalformed, "not valid JSON, or a member name repeats (RFC 7517 §4)");
  return public_jwk_from_json(*json);
}

std::expected<PublicJwk, Error> public_jwk_from_json(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return fail(kJwkMalformed, "a JWK is a JSON object (RFC 7517 §4)");
  // RFC 7518 §6.2.2 / §6.3.2 (EC d; RSA d, p, q, dp, dq, qi, oth) and §6.4.1 (oct k): a public key
  // that carries private members is a key that has leaked; refuse rather than ignore it.
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(priv)) return fail(kJwkPrivate, fmt::format("private member \"{}\" in a public JWK", priv));
  }
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return fail(kJwkMalformed, "member \"kty\" is missing or not a string");
  const auto& kty_s = kty->get_ref<const std::string&>();

  PublicJwk out;
  if (kty_s == "EC") {
    // RFC 7518 §6.2.1.
    const auto crv = jwk.find("crv");
    if (crv == jwk.end() || !crv->is_string()) return fail(kJwkMalformed, "member \"crv\" is missing or not a string");
    const Curve* curve = nullptr;
    for (const auto& c : kCurves) {
      if (crv->get_ref<const std::string&>() == c.crv) curve = &c;
    }
    if (curve == nullptr) {
      return fail(kJwkUnsupported, fmt::format("curve \"{}\" is not P-256 or P-384", crv->get_ref<const std::string&>()));
    }
    auto x = b64_member(jwk, "x");
    if (!x) return std::unexpected(x.error());
    auto y = b64_member(jwk, "y");
    if (!y) return std::unexpected(y.error());
    // RFC 7518 §6.2.1.2/§6.2.1.3: the full coordinate size, leading zeros included; otherwise one
    // key would have several thumbprints.
    if (x->size() != curve->coordinate_size || y->size() != curve->coordinate_size) {
      return fail(kJwkInvalid, fmt::format("{} coordinates must be {} bytes, got x {} and y {}", curve->crv,
                                           curve->coordinate_size, x->size(), y->size()));
    }
    std::vector<uint8_t> point;
    point.reserve(1 + 2 * curve->coordinate_size);
    point.push_back(0x04);  // SEC 1 §2.3.3 uncompressed point
    point.insert(point.end(), x->begin(), x->end());
    point.insert(point.end(), y->begin(), y->end());
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    const std::string group(curve->group_name);
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
      return fail(kJwkInvalid, "OpenSSL cannot hold the key parameters");
    }
    auto pkey = pkey_from_params("EC", bld.get());
    if (!pkey) return std::unexpected(pkey.error());
    out.type_ = curve->type;
    out.pkey_ = std::move(*pkey);
    // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. The values are
    // base64url (no character needs escaping), so the text is built directly.
    out.canonical_ = fmt::format(R"({{"crv":"{}","kty":"EC","x":"{}","y":"{}"}})", curve->crv, base64url_encode(*x),
                                 base64url_encode(*y));
    out.spki_.reserve(curve->spki_prefix.size() + point.size());
    out.spki_.assign(curve->spki_prefix.begin(), curve->spki_prefix.end());
    out.spki_.insert(out.spki_.end(), point.begin(), point.end());
  } else if (kty_s == "RSA") {
    // RFC 7518 §6.3.1.
    auto n = b64_member(jwk, "n");
    if (!n) return std::unexpected(n.error());
    auto e = b64_member(jwk, "e");
    if (!e) return std::unexpected(e.error());
    // RFC 7518 §6.3.1.1/§6.3.1.2: "the minimum number of octets" — a leading zero would give the
    // same key a second thumbprint (RFC 7638 §3.3 calls this out).
    if (n->empty() || (*n)[0] == 0) return fail(kJwkInvalid, "modulus is empty or has a leading zero octet");
    if (e->empty() || (*e)[0] == 0) return fail(kJwkInvalid, "exponent is empty or has a leading zero octet");
    if (e->size() > 8) return fail(kJwkInvalid, fmt::format("exponent of {} bytes is implausible", e->size()));
    const size_t bits = (n->size() - 1) * 8 + static_cast<size_t>(std::bit_width(unsigned{(*n)[0]}));
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return fail(kJwkInvalid, fmt::format("RSA modulus of {} bits is outside {}..{}", bits, kMinRsaBits, kMaxRsaBits));
    }
    if ((n->back() & 1) == 0) return fail(kJwkInvalid, "RSA modulus is even");
    if ((e->back() & 1) == 0 || (e->size() == 1 && (*e)[0] == 1)) return fail(kJwkInvalid, "RSA exponent must be odd and > 1");
    BnPtr bn_n(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
    BnPtr bn_e(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      return fail(kJwkInvalid, "OpenSSL cannot hold the key parameters");
    }
    auto pkey = pkey_from_params("RSA", bld.get());
    if (!pkey) return std::unexpected(pkey.error());
    out.type_ = JwkType::kRsa;
    out.pkey_ = std::move(*pkey);
    out.canonical_ = fmt::format(R"({{"e":"{}","kty":"RSA","n":"{}"}})", base64url_encode(*e), base64url_encode(*n));
  } else {
    return fail(kJwkUnsupported, fmt::format("key type \"{}\" is not EC or RSA", kty_s));
  }
  out.thumbprint_ = sha256_of(out.canonical_);
  if (out.spki_.empty()) {  // RSA
    auto spki = spki_of(out.pkey_.get());
    if (!spki) return std::unexpected(spki.error());
    out.spki_ = std::move(*spki);
  }
  return out;
}

std::expected<PublicJwk, Error> public_jwk_from_pkey(EVP_PKEY* pkey) {
  if (pkey == nullptr) return fail(kJwkUnsupported, "no key");
  nlohmann::json jwk;
  const auto bn_member = [&](const char* param, size_t pad) -> std::expected<std::string, Error> {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) return fail(kJwkInvalid, fmt::format("key lacks {}", param));
    BnPtr bn(raw);
    const int min = BN_num_bytes(bn.get());
    const size_t size = pad != 0 ? pad : static_cast<size_t>(min);
    if (min < 0 || static_cast<size_t>(min) > size) return fail(kJwkInvalid, fmt::format("{} is too large", param));
    std::vector<uint8_t> bytes(size);
    if (BN_bn2binpad(bn.get(), bytes.data(), static_cast<int>(bytes.size())) < 0) {
      return fail(kJwkInvalid, fmt::format("cannot encode {}", param));
    }
    return base64url_encode(bytes);
  };
  if (EVP_PKEY_is_a(pkey, "EC") == 1) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1) {
      return fail(kJwkUnsupported, "EC key without a named curve");
    }
    const Curve* curve = nullptr;
    for (const auto& c : kCurves) {
      if (std::string_view(group, len) == c.group_name) curve = &c;
    }
    if (curve == nullptr) return fail(kJwkUnsupported, fmt::format("curve {} is not P-256 or P-384", std::string_view(group, len)));
    auto x = bn_member(OSSL_PKEY_PARAM_EC_PUB_X, curve->coordinate_size);
    if (!x) return std::unexpected(x.error());
    auto y = bn_member(OSSL_PKEY_PARAM_EC_PUB_Y, curve->coordinate_size);
    if (!y) return std::unexpected(y.error());
    jwk = {{"kty", "EC"}, {"crv", curve->crv}, {"x", *x}, {"y", *y}};
  } else if (EVP_PKEY_is_a(pkey, "RSA") == 1) {
    auto n = bn_member(OSSL_PKEY_PARAM_RSA_N, 0);
    if (!n) return std::unexpected(n.error());
    auto e = bn_member(OSSL_PKEY_PARAM_RSA_E, 0);
    if (!e) return std::unexpected(e.error());
    jwk = {{"kty", "RSA"}, {"n", *n}, {"e", *e}};
  } else {
    return fail(kJwkUnsupported, "key is not EC or RSA");
  }
  // One validation path for every key: rebuilt from its public members only.
  return public_jwk_from_json(jwk);
}

std::expected<PublicJwk, Error> public_jwk_from_spki_der(std::span<const uint8_t> der) {
  if (der.size() > kMaxJwkSize) return fail(kJwkMalformed, "SubjectPublicKeyInfo too large");
  // The common case, a P-256/P-384 key with an uncompressed point, read directly; the point is
  // still checked on the curve by public_jwk_from_json. Anything else goes through OpenSSL.
  for (const auto& c : kCurves) {
    const size_t point_size = 1 + 2 * c.coordinate_size;
    if (der.size() == c.spki_prefix.size() + point_size && std::ranges::equal(der.first(c.spki_prefix.size()), c.spki_prefix) &&
        der[c.spki_prefix.size()] == 0x04) {
      const auto x = der.subspan(c.spki_prefix.size() + 1, c.coordinate_size);
      const auto y = der.subspan(c.spki_prefix.size() + 1 + c.coordinate_size, c.coordinate_size);
      return public_jwk_from_json({{"kty", "EC"}, {"crv", c.crv}, {"x", base64url_encode(x)}, {"y", base64url_encode(y)}});
    }
  }
  const unsigned char* p = der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return fail(kJwkMalformed, "not a DER SubjectPublicKeyInfo");
  if (p != der.data() + der.size()) return fail(kJwkMalformed, "trailing bytes after the SubjectPublicKeyInfo");
  return public_jwk_from_pkey(pkey.get());
}

}  // namespace attestd::result
