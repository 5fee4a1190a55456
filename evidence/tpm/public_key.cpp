// Public keys of TPM objects: TPMT_PUBLIC / TPM2B_PUBLIC through libtss2-mu, PEM and DER through
// OpenSSL, all ending in one EVP_PKEY built once per key.
#include "attestd/evidence/tpm/public_key.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/reasons.h"
#include "ossl.h"
#include "public_key_impl.h"

namespace attestd::evidence::tpm {

namespace {

using detail::BioPtr;
using detail::BnPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;

// TPM_ALG_ID values (TPM 2.0 Part 2, Table 9).
constexpr uint16_t kAlgRsa = 0x0001;
constexpr uint16_t kAlgKeyedHash = 0x0008;
constexpr uint16_t kAlgNull = 0x0010;
constexpr uint16_t kAlgRsassa = 0x0014;
constexpr uint16_t kAlgRsaes = 0x0015;
constexpr uint16_t kAlgRsapss = 0x0016;
constexpr uint16_t kAlgOaep = 0x0017;
constexpr uint16_t kAlgEcdsa = 0x0018;
constexpr uint16_t kAlgEcdh = 0x0019;
constexpr uint16_t kAlgEcmqv = 0x001D;
constexpr uint16_t kAlgEcc = 0x0023;
constexpr uint16_t kAlgSymCipher = 0x0025;
// TPM_ECC_CURVE (Part 2, Table 10).
constexpr uint16_t kCurveNistP256 = 0x0003;
constexpr uint16_t kCurveNistP384 = 0x0004;

constexpr uint32_t kMinRsaBits = 2048;
constexpr uint32_t kMaxRsaBits = 4096;
// TPMS_RSA_PARMS.exponent zero means the default exponent 2^16 + 1 (Part 2, Table 180).
constexpr uint32_t kDefaultRsaExponent = 65537;

Error err(std::string_view id, std::string message) { return Error{id, std::move(message)}; }

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_openssl_errors();
  return std::unexpected(err(id, std::move(message)));
}

std::string alg_hex(uint16_t alg) { return fmt::format("0x{:04x}", alg); }

// Signature hashes we verify with (a subset of the TPM's hash algorithms).
std::optional<HashAlg> signing_hash(uint16_t id) {
  const auto alg = hash_alg_from_tpm_id(id);
  if (!alg || *alg == HashAlg::sm3_256) return std::nullopt;
  return alg;
}

std::vector<uint8_t> bn_to_bytes(const BIGNUM* bn) {
  std::vector<uint8_t> out(static_cast<size_t>(BN_num_bytes(bn)));
  if (!out.empty()) BN_bn2bin(bn, out.data());
  return out;
}

// Builds an RSA public key from big-endian n and e after the checks a verifier needs: size in the
// supported range, n odd (an even modulus is not an RSA modulus), e odd and at least 3 (Part 2,
// Table 180: "a prime number greater than 2").
std::expected<std::unique_ptr<PublicKey::Impl>, Error> build_rsa(std::span<const uint8_t> n_bytes,
                                                                 std::span<const uint8_t> e_bytes) {
  BnPtr n(BN_bin2bn(n_bytes.data(), static_cast<int>(n_bytes.size()), nullptr));
  BnPtr e(BN_bin2bn(e_bytes.data(), static_cast<int>(e_bytes.size()), nullptr));
  if (!n || !e) return fail(kKeyMalformed, "RSA key: cannot allocate the modulus or exponent");
  const int bits = BN_num_bits(n.get());
  if (bits < static_cast<int>(kMinRsaBits) || bits > static_cast<int>(kMaxRsaBits)) {
    return fail(kKeyUnsupported, fmt::format("RSA-{} key: only RSA 2048..4096 bits are supported", bits));
  }
  if (!BN_is_odd(n.get())) return fail(kKeyInvalid, "RSA key: the modulus is even");
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2) {
    return fail(kKeyInvalid, fmt::format("RSA key: public exponent 0x{} is not an odd number >= 3",
                                         to_hex(bn_to_bytes(e.get()))));
  }
  // e is at most 32 bits in a TPM key; larger exponents only slow verification down.
  if (BN_num_bits(e.get()) > 64) {
    return fail(kKeyUnsupported, fmt::format("RSA key: public exponent of {} bits", BN_num_bits(e.get())));
  }

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return fail(kKeyMalformed, "RSA key: cannot build the key parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(kKeyInvalid, "RSA key: OpenSSL refused the modulus and exponent");
  }
  auto impl = std::make_unique<PublicKey::Impl>();
  impl->pkey.reset(raw);
  impl->type = KeyType::rsa;
  impl->bits = static_cast<uint32_t>(bits);
  return impl;
}

const char* curve_group_name(EccCurve curve) { return curve == EccCurve::p256 ? "P-256" : "P-384"; }
size_t curve_bytes(EccCurve curve) { return curve == EccCurve::p256 ? 32 : 48; }

// Checks that the point is on the curve and of the group's order (SP 800-56A 5.6.2.3.3): a key
// with an invalid point must never be used, whatever OpenSSL's import already checked.
std::expected<void, Error> check_ec_point(EVP_PKEY* pkey, EccCurve curve) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
    return fail(kKeyInvalid, fmt::format("ECC key: the public point is not a valid point of {}", curve_group_name(curve)));
  }
  return {};
}

// Builds an ECC public key from affine coordinates; each may be shorter than the field size
// (leading zero bytes dropped), never longer.
std::expected<std::unique_ptr<PublicKey::Impl>, Error> build_ecc(EccCurve curve, std::span<const uint8_t> x,
                                                                 std::span<const uint8_t> y) {
  const size_t len = curve_bytes(curve);
  if (x.size() > len || y.size() > len) {
    return fail(kKeyMalformed, fmt::format("ECC {} key: coordinates of {} and {} bytes, at most {} allowed",
                                           curve_group_name(curve), x.size(), y.size(), len));
  }
  // SEC 1, 2.3.3: uncompressed point 04 || X || Y, coordinates left-padded to the field size.
  std::array<uint8_t, 1 + 2 * 48> point{};
  point[0] = 0x04;
  std::copy(x.begin(), x.end(), point.begin() + static_cast<std::ptrdiff_t>(1 + len - x.size()));
  std::copy(y.begin(), y.end(), point.begin() + static_cast<std::ptrdiff_t>(1 + 2 * len - y.size()));

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve_group_name(curve), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), 1 + 2 * len) != 1) {
    return fail(kKeyMalformed, "ECC key: cannot build the key parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(kKeyInvalid, fmt::format("ECC key: the public point is not on {}", curve_group_name(curve)));
  }
  PkeyPtr pkey(raw);
  if (auto ok = check_ec_point(pkey.get(), curve); !ok) return std::unexpected(ok.error());
  auto impl = std::make_unique<PublicKey::Impl>();
  impl->pkey = std::move(pkey);
  impl->type = KeyType::ecc;
  impl->bits = static_cast<uint32_t>(len * 8);
  impl->curve = curve;
  return impl;
}

// The signing scheme of TPMS_RSA_PARMS.scheme (Part 2, Table 180 / TPMT_RSA_SCHEME Table 168):
// NULL or an encryption scheme leave the key without a fixed signing scheme.
std::expected<std::optional<KeyScheme>, Error> rsa_key_scheme(const TPMT_RSA_SCHEME& s) {
  switch (s.scheme) {
    case kAlgNull:
    case kAlgRsaes:
    case kAlgOaep:
      return std::optional<KeyScheme>{};
    case kAlgRsassa:
    case kAlgRsapss: {
      const auto hash = signing_hash(s.details.anySig.hashAlg);
      if (!hash) return fail(kKeyUnsupported, fmt::format("RSA key scheme hash {}", alg_hex(s.details.anySig.hashAlg)));
      return KeyScheme{s.scheme == kAlgRsassa ? SigScheme::rsassa : SigScheme::rsapss, *hash};
    }
    default:
      return fail(kKeyUnsupported, fmt::format("RSA key scheme {}", alg_hex(s.scheme)));
  }
}

// TPMS_ECC_PARMS.scheme (Part 2, Table 183 / TPMT_ECC_SCHEME Table 176): ECDSA is the only
// signing scheme we verify; key-exchange schemes leave the key without a signing scheme.
std::expected<std::optional<KeyScheme>, Error> ecc_key_scheme(const TPMT_ECC_SCHEME& s) {
  switch (s.scheme) {
    case kAlgNull:
    case kAlgEcdh:
    case kAlgEcmqv:
      return std::optional<KeyScheme>{};
    case kAlgEcdsa: {
      const auto hash = signing_hash(s.details.anySig.hashAlg);
      if (!hash) return fail(kKeyUnsupported, fmt::format("ECC key scheme hash {}", alg_hex(s.details.anySig.hashAlg)));
      return KeyScheme{SigScheme::ecdsa, *hash};
    }
    default:
      return fail(kKeyUnsupported, fmt::format("ECC key scheme {} (only ECDSA is verified)", alg_hex(s.scheme)));
  }
}

// The key of a decoded TPMT_PUBLIC (Part 2, Table 191). `marshalled` is exactly the bytes it was
// decoded from, which the Name is computed over.
std::expected<PublicKey, Error> from_tpmt(const TPMT_PUBLIC& pub, std::span<const uint8_t> marshalled) {
  std::optional<HashAlg> name_alg;
  if (pub.nameAlg != kAlgNull) {
    name_alg = hash_alg_from_tpm_id(pub.nameAlg);
    if (!name_alg || evp_md(*name_alg) == nullptr) {
      return fail(kKeyUnsupported, fmt::format("nameAlg {}", alg_hex(pub.nameAlg)));
    }
  }

  std::unique_ptr<PublicKey::Impl> impl;
  std::optional<KeyScheme> scheme;
  if (pub.type == kAlgRsa) {
    const auto& parms = pub.parameters.rsaDetail;
    // Part 2, Table 180 (TPMI_RSA_KEY_BITS) and Table 175 (TPM2B_PUBLIC_KEY_RSA): the modulus in
    // unique.rsa has keyBits / 8 bytes.
    if (parms.keyBits < kMinRsaBits || parms.keyBits > kMaxRsaBits || parms.keyBits % 8 != 0) {
      return fail(kKeyUnsupported, fmt::format("RSA-{} key: only RSA 2048..4096 bits are supported", parms.keyBits));
    }
    if (static_cast<size_t>(pub.unique.rsa.size) * 8 != parms.keyBits) {
      return fail(kKeyMalformed, fmt::format("RSA key: keyBits {} but the modulus has {} bytes", parms.keyBits,
                                             pub.unique.rsa.size));
    }
    if (pub.unique.rsa.buffer[0] == 0) {
      return fail(kKeyInvalid, fmt::format("RSA key: the modulus is shorter than keyBits {}", parms.keyBits));
    }
    auto s = rsa_key_scheme(parms.scheme);
    if (!s) return std::unexpected(s.error());
    scheme = *s;
    const uint32_t exponent = parms.exponent == 0 ? kDefaultRsaExponent : parms.exponent;
    const std::array<uint8_t, 4> e = {static_cast<uint8_t>(exponent >> 24), static_cast<uint8_t>(exponent >> 16),
                                      static_cast<uint8_t>(exponent >> 8), static_cast<uint8_t>(exponent)};
    auto built = build_rsa(std::span<const uint8_t>(pub.unique.rsa.buffer, pub.unique.rsa.size), e);
    if (!built) return std::unexpected(built.error());
    impl = std::move(*built);
  } else if (pub.type == kAlgEcc) {
    const auto& parms = pub.parameters.eccDetail;
    EccCurve curve;
    if (parms.curveID == kCurveNistP256) {
      curve = EccCurve::p256;
    } else if (parms.curveID == kCurveNistP384) {
      curve = EccCurve::p384;
    } else {
      return fail(kKeyUnsupported, fmt::format("ECC curve {} (only NIST P-256 and P-384)", alg_hex(parms.curveID)));
    }
    auto s = ecc_key_scheme(parms.scheme);
    if (!s) return std::unexpected(s.error());
    scheme = *s;
    // TPMS_ECC_POINT (Part 2, Table 172).
    auto built = build_ecc(curve, std::span<const uint8_t>(pub.unique.ecc.x.buffer, pub.unique.ecc.x.size),
                           std::span<const uint8_t>(pub.unique.ecc.y.buffer, pub.unique.ecc.y.size));
    if (!built) return std::unexpected(built.error());
    impl = std::move(*built);
  } else {
    return fail(kKeyUnsupported, fmt::format("object type {} is not an RSA or ECC key", alg_hex(pub.type)));
  }

  impl->from_tpm = true;
  impl->attributes = pub.objectAttributes;
  impl->scheme = scheme;
  impl->name_alg = name_alg;
  if (name_alg) {
    // Name = nameAlg || H_nameAlg(TPMT_PUBLIC) (Part 1, 16; Part 2, Table 191 note).
    const Digest h = hash(*name_alg, marshalled);
    const auto alg = static_cast<uint16_t>(*name_alg);
    impl->name.reserve(2 + h.size());
    impl->name.push_back(static_cast<uint8_t>(alg >> 8));
    impl->name.push_back(static_cast<uint8_t>(alg));
    impl->name.insert(impl->name.end(), h.bytes().begin(), h.bytes().end());
  }
  return PublicKeyAccess::make(std::move(impl));
}

// A key OpenSSL decoded from PEM / DER: RSA is rebuilt from (n, e) so that it passes the same
// checks as a TPM key; EC keys must be on a supported named curve.
std::expected<PublicKey, Error> from_evp(PkeyPtr pkey) {
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    BIGNUM* n_raw = nullptr;
    BIGNUM* e_raw = nullptr;
    const bool ok = EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n_raw) == 1 &&
                    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e_raw) == 1;
    BnPtr n(n_raw);
    BnPtr e(e_raw);
    if (!ok) return fail(kKeyMalformed, "RSA key: cannot read the modulus and exponent");
    auto built = build_rsa(bn_to_bytes(n.get()), bn_to_bytes(e.get()));
    if (!built) return std::unexpected(built.error());
    return PublicKeyAccess::make(std::move(*built));
  }
  if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    std::array<char, 64> group{};
    size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &group_len) != 1) {
      return fail(kKeyUnsupported, "ECC key with explicit curve parameters (only named P-256 and P-384)");
    }
    const std::string_view name(group.data(), group_len);
    EccCurve curve;
    if (name == "prime256v1" || name == "P-256" || name == "secp256r1") {
      curve = EccCurve::p256;
    } else if (name == "secp384r1" || name == "P-384") {
      curve = EccCurve::p384;
    } else {
      return fail(kKeyUnsupported, fmt::format("ECC curve {} (only NIST P-256 and P-384)", name));
    }
    if (auto ok = check_ec_point(pkey.get(), curve); !ok) return std::unexpected(ok.error());
    auto impl = std::make_unique<PublicKey::Impl>();
    impl->pkey = std::move(pkey);
    impl->type = KeyType::ecc;
    impl->bits = static_cast<uint32_t>(curve_bytes(curve) * 8);
    impl->curve = curve;
    return PublicKeyAccess::make(std::move(impl));
  }
  const char* type = EVP_PKEY_get0_type_name(pkey.get());
  return fail(kKeyUnsupported, fmt::format("{} key (only RSA and ECC)", type != nullptr ? type : "unknown"));
}

// TPMI_ALG_PUBLIC (Part 2, Table 187).
bool is_object_type(uint16_t type) {
  return type == kAlgRsa || type == kAlgEcc || type == kAlgKeyedHash || type == kAlgSymCipher;
}

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

PublicKey::PublicKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

EVP_PKEY* PublicKey::evp() const { return impl_->pkey.get(); }
KeyType PublicKey::type() const { return impl_->type; }
uint32_t PublicKey::bits() const { return impl_->bits; }
std::optional<EccCurve> PublicKey::curve() const { return impl_->curve; }
std::optional<HashAlg> PublicKey::name_alg() const { return impl_->name_alg; }
std::span<const uint8_t> PublicKey::name() const { return impl_->name; }
std::optional<uint32_t> PublicKey::object_attributes() const { return impl_->attributes; }
std::optional<KeyScheme> PublicKey::scheme() const { return impl_->scheme; }
bool PublicKey::from_tpm() const { return impl_->from_tpm; }

std::expected<PublicKey, Error> parse_tpmt_public(std::span<const uint8_t> bytes) {
  // The object type decides the union layout; an unknown one is reported as unsupported, not as
  // a decoding error (TPMI_ALG_PUBLIC, Part 2, Table 187).
  ByteReader r(bytes);
  uint16_t type = 0;
  if (!r.read_u16_be(type)) return fail(kKeyMalformed, fmt::format("TPMT_PUBLIC of {} bytes", bytes.size()));
  if (!is_object_type(type)) {
    return fail(kKeyUnsupported, fmt::format("object type {} is not an RSA or ECC key", alg_hex(type)));
  }
  TPMT_PUBLIC pub{};
  size_t offset = 0;
  const TSS2_RC rc = Tss2_MU_TPMT_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &offset, &pub);
  if (rc != TSS2_RC_SUCCESS) {
    return fail(kKeyMalformed, fmt::format("TPMT_PUBLIC of {} bytes does not decode (tss2-mu rc 0x{:x})",
                                           bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return fail(kKeyTrailingBytes,
                fmt::format("TPMT_PUBLIC ends at byte {} of {}", offset, bytes.size()));
  }
  return from_tpmt(pub, bytes);
}

std::expected<PublicKey, Error> parse_tpm2b_public(std::span<const uint8_t> bytes) {
  // TPM2B_PUBLIC (Part 2, Table 192): u16 size, then exactly `size` bytes of TPMT_PUBLIC.
  ByteReader r(bytes);
  uint16_t size = 0;
  if (!r.read_u16_be(size)) return fail(kKeyMalformed, fmt::format("TPM2B_PUBLIC of {} bytes", bytes.size()));
  if (size == 0) return fail(kKeyMalformed, "TPM2B_PUBLIC with an empty public area");
  if (size > r.remaining()) {
    return fail(kKeyMalformed, fmt::format("TPM2B_PUBLIC says {} bytes, {} follow", size, r.remaining()));
  }
  // Decoded whole by libtss2-mu too, so that its own size checks apply.
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  const TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &offset, &pub);
  if (rc != TSS2_RC_SUCCESS) {
    // Distinguish an unknown object type (unsupported) from broken bytes.
    ByteReader inner(bytes.subspan(2, size));
    uint16_t type = 0;
    if (inner.read_u16_be(type) && !is_object_type(type)) {
      return fail(kKeyUnsupported, fmt::format("object type {} is not an RSA or ECC key", alg_hex(type)));
    }
    return fail(kKeyMalformed, fmt::format("TPM2B_PUBLIC of {} bytes does not decode (tss2-mu rc 0x{:x})",
                                           bytes.size(), rc));
  }
  if (offset != 2 + static_cast<size_t>(size)) {
    return fail(kKeyMalformed, fmt::format("TPM2B_PUBLIC says {} bytes but its TPMT_PUBLIC has {}", size, offset - 2));
  }
  if (offset != bytes.size()) {
    return fail(kKeyTrailingBytes, fmt::format("TPM2B_PUBLIC ends at byte {} of {}", offset, bytes.size()));
  }
  return from_tpmt(pub.publicArea, bytes.subspan(2));
}

std::expected<PublicKey, Error> parse_public_key_der(std::span<const uint8_t> der) {
  if (der.empty()) return fail(kKeyMalformed, "empty DER SubjectPublicKeyInfo");
  if (der.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return fail(kKeyMalformed, "DER SubjectPublicKeyInfo too large");
  }
  const unsigned char* p = der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return fail(kKeyMalformed, fmt::format("{} bytes are not a DER SubjectPublicKeyInfo OpenSSL decodes", der.size()));
  const auto consumed = static_cast<size_t>(p - der.data());
  if (consumed != der.size()) {
    return fail(kKeyTrailingBytes, fmt::format("SubjectPublicKeyInfo ends at byte {} of {}", consumed, der.size()));
  }
  return from_evp(std::move(pkey));
}

std::expected<PublicKey, Error> parse_public_key_pem(std::string_view pem) {
  static constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
  size_t start = 0;
  while (start < pem.size() && is_space(static_cast<uint8_t>(pem[start]))) ++start;
  if (pem.substr(start, kBegin.size()) != kBegin) {
    return fail(kKeyMalformed, "not a \"-----BEGIN PUBLIC KEY-----\" PEM block");
  }
  if (pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return fail(kKeyMalformed, "PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(kKeyMalformed, "cannot allocate a BIO");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return fail(kKeyMalformed, "the PUBLIC KEY PEM block does not decode");
  // Only whitespace may follow the block: a second key or other data is not silently ignored.
  std::array<uint8_t, 256> rest{};
  for (;;) {
    const int n = BIO_read(bio.get(), rest.data(), static_cast<int>(rest.size()));
    if (n <= 0) break;
    const auto chunk = std::span<const uint8_t>(rest.data(), static_cast<size_t>(n));
    if (!std::all_of(chunk.begin(), chunk.end(), is_space)) {
      return fail(kKeyTrailingBytes, "data follows the PUBLIC KEY PEM block");
    }
  }
  return from_evp(std::move(pkey));
}

std::expected<PublicKey, Error> parse_public_key_rsa(std::span<const uint8_t> modulus,
                                                     std::span<const uint8_t> exponent) {
  if (modulus.empty() || exponent.empty()) return fail(kKeyMalformed, "RSA key with an empty modulus or exponent");
  if (modulus.size() > 1024 || exponent.size() > 1024) return fail(kKeyUnsupported, "RSA key of more than 8192 bits");
  auto built = build_rsa(modulus, exponent);
  if (!built) return std::unexpected(built.error());
  return PublicKeyAccess::make(std::move(*built));
}

std::expected<PublicKey, Error> load_public_key(std::span<const uint8_t> bytes) {
  size_t start = 0;
  while (start < bytes.size() && is_space(bytes[start])) ++start;
  if (bytes.size() - start >= 5 && bytes[start] == '-' && bytes[start + 1] == '-' && bytes[start + 2] == '-' &&
      bytes[start + 3] == '-' && bytes[start + 4] == '-') {
    std::string pem(bytes.begin(), bytes.end());
    return parse_public_key_pem(pem);
  }
  ByteReader r(bytes);
  uint16_t prefix = 0;
  if (!r.read_u16_be(prefix)) return fail(kKeyMalformed, fmt::format("public key of {} bytes", bytes.size()));
  // TPM2B_PUBLIC: the prefix is the size of what follows. With extra bytes after it, it is
  // still recognised by the object type that follows the prefix: in a TPMT_PUBLIC that position
  // holds nameAlg, and no hash algorithm id is also an object type id (Part 2, Table 9).
  uint16_t second = 0;
  if (prefix == r.remaining() || (prefix != 0 && prefix < r.remaining() && r.read_u16_be(second) && is_object_type(second))) {
    return parse_tpm2b_public(bytes);
  }
  // A TPMT_PUBLIC starts with its type (0x0001, 0x0023, ...), a TPM2B_PUBLIC with a size far
  // below 0x3000: a leading SEQUENCE tag (0x30) is DER.
  if (bytes[0] == 0x30) return parse_public_key_der(bytes);
  return parse_tpmt_public(bytes);
}

}  // namespace attestd::evidence::tpm
