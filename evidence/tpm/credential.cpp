// TPM2_MakeCredential in software (TPM 2.0 Part 1, 24; Part 3, 12.6), marshalled with libtss2-mu.
#include "attestd/evidence/tpm/credential.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/enroll_reasons.h"
#include "ossl.h"

namespace attestd::evidence::tpm {

namespace {

using detail::BnPtr;
using detail::PkeyCtxPtr;

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, detail::OsslDeleter<EVP_CIPHER_CTX_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, detail::OsslDeleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, detail::OsslDeleter<EC_POINT_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, detail::OsslDeleter<BN_CTX_free>>;
// A private scalar: wiped when freed.
using SecretBnPtr = std::unique_ptr<BIGNUM, detail::OsslDeleter<BN_clear_free>>;

// TPM_ALG_ID (Part 2, Table 9) and the TPMT_PUBLIC parts read here.
constexpr uint16_t kAlgRsa = 0x0001;
constexpr uint16_t kAlgAes = 0x0006;
constexpr uint16_t kAlgEcc = 0x0023;
constexpr uint16_t kAlgCfb = 0x0043;
constexpr uint16_t kAlgNull = 0x0010;

// Labels of Part 1, 24.4 / 24.5 and B.10.3 / C.6.4; the terminating 0x00 is part of each label.
constexpr std::string_view kLabelIdentity = "IDENTITY";
constexpr std::string_view kLabelStorage = "STORAGE";
constexpr std::string_view kLabelIntegrity = "INTEGRITY";

constexpr uint32_t kMaxKdfBits = 8192;
// Attempts at drawing an ECC private key in [1, n-1]; for P-256/P-384 one almost always suffices.
constexpr int kMaxScalarDraws = 64;

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_openssl_errors();
  return std::unexpected(Error{id, std::move(message)});
}

// Bytes that hold key material: wiped when they go out of scope.
class SecretBytes {
 public:
  explicit SecretBytes(size_t n) : bytes_(n) {}
  explicit SecretBytes(std::vector<uint8_t> v) : bytes_(std::move(v)) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  std::span<uint8_t> span() { return bytes_; }
  [[nodiscard]] std::span<const uint8_t> span() const { return bytes_; }
  [[nodiscard]] size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

void append_u32_be(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }

// Label with its terminating 0x00 (Part 1, 11.4.10.2: "If Label is not present, or does not end in
// 0x00, a 0x00 octet is added").
void append_label(std::vector<uint8_t>& out, std::string_view label) {
  for (char c : label) out.push_back(static_cast<uint8_t>(c));
  if (label.empty() || label.back() != '\0') out.push_back(0x00);
}

const char* digest_name(HashAlg alg) {
  const EVP_MD* md = evp_md(alg);
  return md == nullptr ? nullptr : EVP_MD_get0_name(md);
}

std::expected<void, Error> hmac(HashAlg alg, std::span<const uint8_t> key, std::span<const uint8_t> data,
                                std::span<uint8_t> out) {
  const char* name = digest_name(alg);
  size_t out_len = 0;
  if (name == nullptr ||
      EVP_Q_mac(nullptr, "HMAC", nullptr, name, nullptr, key.data(), key.size(), data.data(), data.size(), out.data(),
                out.size(), &out_len) == nullptr ||
      out_len != out.size()) {
    return fail(kCredentialCryptoFailed, fmt::format("HMAC-{} failed", hash_alg_name(alg)));
  }
  return {};
}

std::expected<void, Error> check_kdf_bits(HashAlg alg, uint32_t bits) {
  if (bits == 0 || bits % 8 != 0 || bits > kMaxKdfBits) {
    return fail(kCredentialCryptoFailed, fmt::format("KDF output of {} bits (a multiple of 8, 8..{})", bits, kMaxKdfBits));
  }
  if (evp_md(alg) == nullptr) return fail(kCredentialCryptoFailed, fmt::format("{} is not available", hash_alg_name(alg)));
  return {};
}

// MGF1 (RFC 8017, B.2.1) with hash `alg`.
std::vector<uint8_t> mgf1(HashAlg alg, std::span<const uint8_t> seed, size_t len) {
  std::vector<uint8_t> out;
  out.reserve(len + kMaxDigestSize);
  std::vector<uint8_t> block(seed.begin(), seed.end());
  block.resize(seed.size() + 4);
  for (uint32_t counter = 0; out.size() < len; ++counter) {
    block[seed.size()] = static_cast<uint8_t>(counter >> 24);
    block[seed.size() + 1] = static_cast<uint8_t>(counter >> 16);
    block[seed.size() + 2] = static_cast<uint8_t>(counter >> 8);
    block[seed.size() + 3] = static_cast<uint8_t>(counter);
    append(out, hash(alg, block).bytes());
  }
  out.resize(len);
  return out;
}

// RSAES-OAEP encryption (RFC 8017, 7.1.1) of `message` to the EK with hash `alg` for both the label
// hash and MGF1, label "IDENTITY\0" (Part 1, B.10.3). The OAEP seed comes from `rng`, so that a test
// can repeat the computation; the RSA step is the raw public-key operation.
std::expected<std::vector<uint8_t>, Error> oaep_encrypt(const EkPublic& ek, HashAlg alg, std::span<const uint8_t> message,
                                                        RandomSource& rng) {
  const size_t k = ek.rsa_modulus().size();
  const size_t h_len = digest_size(alg);
  if (message.size() + 2 * h_len + 2 > k) {
    return fail(kCredentialCryptoFailed, fmt::format("{}-byte seed does not fit RSA-OAEP in a {}-byte modulus",
                                                     message.size(), k));
  }
  std::vector<uint8_t> label;
  append_label(label, kLabelIdentity);
  // DB = lHash || PS || 0x01 || M, of k - hLen - 1 bytes.
  SecretBytes db(k - h_len - 1);
  const Digest l_hash = hash(alg, label);
  std::ranges::copy(l_hash.bytes(), db.span().begin());
  db.span()[db.size() - message.size() - 1] = 0x01;
  std::ranges::copy(message, db.span().end() - static_cast<std::ptrdiff_t>(message.size()));

  SecretBytes seed(h_len);
  if (!rng.fill(seed.span())) return fail(kCredentialRandomFailed, "no random bytes for the OAEP seed");
  const std::vector<uint8_t> db_mask = mgf1(alg, seed.span(), db.size());
  for (size_t i = 0; i < db.size(); ++i) db.span()[i] ^= db_mask[i];
  const std::vector<uint8_t> seed_mask = mgf1(alg, db.span(), h_len);
  for (size_t i = 0; i < h_len; ++i) seed.span()[i] ^= seed_mask[i];

  // EM = 0x00 || maskedSeed || maskedDB
  SecretBytes em(k);
  std::ranges::copy(seed.span(), em.span().begin() + 1);
  std::ranges::copy(db.span(), em.span().begin() + 1 + static_cast<std::ptrdiff_t>(h_len));

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek.key().evp(), nullptr));
  std::vector<uint8_t> out(k);
  size_t out_len = out.size();
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, em.span().data(), em.size()) != 1 || out_len != k) {
    return fail(kCredentialCryptoFailed, "RSA encryption of the seed failed");
  }
  return out;
}

struct SharedSeed {
  std::vector<uint8_t> seed;
  std::vector<uint8_t> encrypted_secret;  // TPMU_ENCRYPTED_SECRET contents (without the TPM2B size)
};

std::expected<SharedSeed, Error> rsa_seed(const EkPublic& ek, RandomSource& rng) {
  // Part 1, B.10.3: the seed has the size of the nameAlg digest.
  SharedSeed out;
  out.seed.resize(digest_size(ek.name_alg()));
  if (!rng.fill(out.seed)) return fail(kCredentialRandomFailed, "no random bytes for the seed");
  auto encrypted = oaep_encrypt(ek, ek.name_alg(), out.seed, rng);
  if (!encrypted) {
    OPENSSL_cleanse(out.seed.data(), out.seed.size());
    return std::unexpected(encrypted.error());
  }
  out.encrypted_secret = std::move(*encrypted);
  return out;
}

std::vector<uint8_t> bn_bytes(const BIGNUM* bn, size_t len) {
  std::vector<uint8_t> out(len);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(len)) != static_cast<int>(len)) out.clear();
  return out;
}

// One-pass ECDH, C(1, 1, ECC CDH) (Part 1, C.6.4; SP 800-56A 6.2.2.2): an ephemeral key d_e, Q_e on
// the EK's curve; Z = x(d_e * Q_EK); seed = KDFe(nameAlg, Z, "IDENTITY", x(Q_e), x(Q_EK), digest bits);
// the encrypted secret is the marshalled TPMS_ECC_POINT Q_e.
std::expected<SharedSeed, Error> ecc_seed(const EkPublic& ek, RandomSource& rng) {
  const bool p256 = ek.key().curve() == EccCurve::p256;
  const size_t field = p256 ? 32 : 48;
  EcGroupPtr group(EC_GROUP_new_by_curve_name(p256 ? NID_X9_62_prime256v1 : NID_secp384r1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (!group || !bn_ctx) return fail(kCredentialCryptoFailed, "cannot set up the ECC group");
  const BIGNUM* order = EC_GROUP_get0_order(group.get());

  // d_e uniformly in [1, n-1] by rejection sampling of field-sized draws.
  SecretBnPtr d(BN_new());
  if (!d) return fail(kCredentialCryptoFailed, "cannot allocate the ephemeral key");
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  bool drawn = false;
  for (int attempt = 0; attempt < kMaxScalarDraws && !drawn; ++attempt) {
    SecretBytes draw(field);
    if (!rng.fill(draw.span())) return fail(kCredentialRandomFailed, "no random bytes for the ephemeral ECC key");
    if (BN_bin2bn(draw.span().data(), static_cast<int>(field), d.get()) == nullptr) {
      return fail(kCredentialCryptoFailed, "cannot decode the ephemeral ECC key");
    }
    drawn = !BN_is_zero(d.get()) && BN_cmp(d.get(), order) < 0;
  }
  if (!drawn) return fail(kCredentialRandomFailed, "the random source gave no usable ECC private key");

  // Q_EK from the TPMT_PUBLIC (checked on the curve when the key was parsed).
  BnPtr ek_x(BN_bin2bn(ek.ecc_x().data(), static_cast<int>(ek.ecc_x().size()), nullptr));
  BnPtr ek_y(BN_bin2bn(ek.ecc_y().data(), static_cast<int>(ek.ecc_y().size()), nullptr));
  EcPointPtr q_ek(EC_POINT_new(group.get()));
  EcPointPtr q_e(EC_POINT_new(group.get()));
  EcPointPtr shared(EC_POINT_new(group.get()));
  if (!ek_x || !ek_y || !q_ek || !q_e || !shared ||
      EC_POINT_set_affine_coordinates(group.get(), q_ek.get(), ek_x.get(), ek_y.get(), bn_ctx.get()) != 1 ||
      EC_POINT_is_on_curve(group.get(), q_ek.get(), bn_ctx.get()) != 1) {
    return fail(kCredentialCryptoFailed, "cannot load the EK point");
  }
  if (EC_POINT_mul(group.get(), q_e.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_mul(group.get(), shared.get(), nullptr, q_ek.get(), d.get(), bn_ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(group.get(), shared.get()) == 1) {
    return fail(kCredentialCryptoFailed, "ECDH with the EK failed");
  }
  BnPtr qe_x(BN_new()), qe_y(BN_new());
  SecretBnPtr z_x(BN_new());
  if (!qe_x || !qe_y || !z_x ||
      EC_POINT_get_affine_coordinates(group.get(), q_e.get(), qe_x.get(), qe_y.get(), bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group.get(), shared.get(), z_x.get(), nullptr, bn_ctx.get()) != 1) {
    return fail(kCredentialCryptoFailed, "cannot read the ECDH points");
  }
  // Coordinates and Z as the TPM writes them: big-endian, padded to the field size.
  const std::vector<uint8_t> x_e = bn_bytes(qe_x.get(), field);
  const std::vector<uint8_t> y_e = bn_bytes(qe_y.get(), field);
  SecretBytes z(bn_bytes(z_x.get(), field));
  if (x_e.empty() || y_e.empty() || z.size() != field) return fail(kCredentialCryptoFailed, "ECC coordinate too long");

  auto seed = kdfe(ek.name_alg(), z.span(), kLabelIdentity, x_e, ek.ecc_x(),
                   static_cast<uint32_t>(digest_size(ek.name_alg()) * 8));
  if (!seed) return std::unexpected(seed.error());

  // TPMS_ECC_POINT (Part 2, Table 172).
  TPMS_ECC_POINT point{};
  point.x.size = static_cast<UINT16>(field);
  point.y.size = static_cast<UINT16>(field);
  std::ranges::copy(x_e, point.x.buffer);
  std::ranges::copy(y_e, point.y.buffer);
  SharedSeed out;
  out.encrypted_secret.resize(sizeof(TPMS_ECC_POINT));
  size_t offset = 0;
  if (Tss2_MU_TPMS_ECC_POINT_Marshal(&point, out.encrypted_secret.data(), out.encrypted_secret.size(), &offset) !=
      TSS2_RC_SUCCESS) {
    return fail(kCredentialCryptoFailed, "cannot marshal the ephemeral point");
  }
  out.encrypted_secret.resize(offset);
  out.seed = std::move(*seed);
  return out;
}

const EVP_CIPHER* aes_cfb(uint16_t bits) {
  switch (bits) {
    case 128:
      return EVP_aes_128_cfb128();
    case 192:
      return EVP_aes_192_cfb128();
    case 256:
      return EVP_aes_256_cfb128();
    default:
      return nullptr;
  }
}

// AES-CFB with a zero IV (Part 1, 24.4: "the IV is zero"); CFB is a stream mode, so the output has
// the input's length.
std::expected<std::vector<uint8_t>, Error> aes_cfb_encrypt(uint16_t bits, std::span<const uint8_t> key,
                                                           std::span<const uint8_t> plain) {
  const EVP_CIPHER* cipher = aes_cfb(bits);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::array<uint8_t, 16> iv{};
  std::vector<uint8_t> out(plain.size() + 16);
  int len = 0;
  int final_len = 0;
  if (cipher == nullptr || !ctx || key.size() * 8 != bits ||
      EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    return fail(kCredentialCryptoFailed, fmt::format("AES-{}-CFB encryption failed", bits));
  }
  out.resize(static_cast<size_t>(len + final_len));
  if (out.size() != plain.size()) return fail(kCredentialCryptoFailed, "AES-CFB changed the length");
  return out;
}

std::expected<void, Error> check_name(std::span<const uint8_t> name) {
  // Name = nameAlg (u16) || H_nameAlg(TPMT_PUBLIC) (Part 1, 16; Part 2, TPMU_NAME).
  ByteReader r(name);
  uint16_t alg_id = 0;
  if (!r.read_u16_be(alg_id)) {
    return fail(kCredentialAkNameMalformed, fmt::format("AK Name of {} bytes", name.size()));
  }
  const auto alg = hash_alg_from_tpm_id(alg_id);
  if (!alg) return fail(kCredentialAkNameMalformed, fmt::format("AK Name with hash algorithm 0x{:04x}", alg_id));
  if (r.remaining() != digest_size(*alg)) {
    return fail(kCredentialAkNameMalformed, fmt::format("AK Name with a {}-byte {} digest, {} expected", r.remaining(),
                                                        hash_alg_name(*alg), digest_size(*alg)));
  }
  return {};
}

// TPM2B_DIGEST marshalled: u16 BE size || bytes (at most 64).
std::vector<uint8_t> marshal_digest(std::span<const uint8_t> bytes) {
  TPM2B_DIGEST d{};
  d.size = static_cast<UINT16>(bytes.size());
  std::ranges::copy(bytes, d.buffer);
  std::vector<uint8_t> out(sizeof(TPM2B_DIGEST));
  size_t offset = 0;
  if (Tss2_MU_TPM2B_DIGEST_Marshal(&d, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) return {};
  out.resize(offset);
  OPENSSL_cleanse(&d, sizeof(d));
  return out;
}

class OpenSslRandom final : public RandomSource {
 public:
  bool fill(std::span<uint8_t> out) override {
    if (out.empty()) return true;
    if (out.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return false;
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
  }
};

}  // namespace

RandomSource& system_random() {
  static OpenSslRandom random;
  return random;
}

std::expected<std::vector<uint8_t>, Error> kdfa(HashAlg alg, std::span<const uint8_t> key, std::string_view label,
                                                std::span<const uint8_t> context_u,
                                                std::span<const uint8_t> context_v, uint32_t bits) {
  if (auto ok = check_kdf_bits(alg, bits); !ok) return std::unexpected(ok.error());
  const size_t want = bits / 8;
  const size_t h_len = digest_size(alg);
  std::vector<uint8_t> out;
  out.reserve(want + h_len);
  std::vector<uint8_t> block;
  std::array<uint8_t, kMaxDigestSize> k_i{};
  for (uint32_t counter = 1; out.size() < want; ++counter) {
    block.clear();
    append_u32_be(block, counter);
    append_label(block, label);
    append(block, context_u);
    append(block, context_v);
    append_u32_be(block, bits);
    if (auto ok = hmac(alg, key, block, std::span<uint8_t>(k_i.data(), h_len)); !ok) return std::unexpected(ok.error());
    append(out, std::span<const uint8_t>(k_i.data(), h_len));
  }
  OPENSSL_cleanse(k_i.data(), k_i.size());
  out.resize(want);
  return out;
}

std::expected<std::vector<uint8_t>, Error> kdfe(HashAlg alg, std::span<const uint8_t> z, std::string_view use,
                                                std::span<const uint8_t> party_u, std::span<const uint8_t> party_v,
                                                uint32_t bits) {
  if (auto ok = check_kdf_bits(alg, bits); !ok) return std::unexpected(ok.error());
  const size_t want = bits / 8;
  std::vector<uint8_t> out;
  out.reserve(want + kMaxDigestSize);
  std::vector<uint8_t> block;
  for (uint32_t counter = 1; out.size() < want; ++counter) {
    block.clear();
    append_u32_be(block, counter);
    append(block, z);
    append_label(block, use);
    append(block, party_u);
    append(block, party_v);
    const Digest d = hash(alg, block);
    if (d.size() != digest_size(alg)) return fail(kCredentialCryptoFailed, "KDFe hash failed");
    append(out, d.bytes());
  }
  OPENSSL_cleanse(block.data(), block.size());
  out.resize(want);
  return out;
}

std::expected<EkPublic, Error> parse_ek_public(std::span<const uint8_t> bytes) {
  // TPM2B_PUBLIC when the u16 prefix is the size of what follows (as load_public_key decides),
  // else a bare TPMT_PUBLIC.
  ByteReader r(bytes);
  uint16_t prefix = 0;
  const bool tpm2b = r.read_u16_be(prefix) && prefix == r.remaining();
  const std::span<const uint8_t> tpmt = tpm2b ? bytes.subspan(2) : bytes;
  auto key = tpm2b ? parse_tpm2b_public(bytes) : parse_tpmt_public(bytes);
  if (!key) return std::unexpected(key.error());

  // parse_tpm*_public accepted these bytes, so they decode; the symmetric definition and the raw
  // unique field are read from the same TPMT_PUBLIC (Part 2, Table 191).
  TPMT_PUBLIC pub{};
  size_t offset = 0;
  if (Tss2_MU_TPMT_PUBLIC_Unmarshal(tpmt.data(), tpmt.size(), &offset, &pub) != TSS2_RC_SUCCESS) {
    return fail(kCredentialCryptoFailed, "TPMT_PUBLIC does not decode a second time");
  }
  if (pub.nameAlg == kAlgNull || !key->name_alg()) {
    return fail(kEkNoNameAlg, "EK nameAlg is TPM_ALG_NULL: it has no Name and no KDF hash");
  }
  // Part 3, 12.6.1: "the key associated with handle shall be an asymmetric key with restricted and
  // decrypt SET" (TPM_RC_TYPE).
  const uint32_t attrs = pub.objectAttributes;
  if ((attrs & kObjectRestricted) == 0 || (attrs & kObjectDecrypt) == 0) {
    return fail(kEkNotStorageKey, fmt::format("EK objectAttributes 0x{:08x}: restricted and decrypt must both be set", attrs));
  }
  // TPMS_RSA_PARMS / TPMS_ECC_PARMS .symmetric (Part 2, Tables 180/183; TPMT_SYM_DEF_OBJECT).
  const TPMT_SYM_DEF_OBJECT& sym = pub.type == kAlgRsa ? pub.parameters.rsaDetail.symmetric
                                                       : pub.parameters.eccDetail.symmetric;
  if (sym.algorithm != kAlgAes || sym.mode.aes != kAlgCfb ||
      (sym.keyBits.aes != 128 && sym.keyBits.aes != 192 && sym.keyBits.aes != 256)) {
    return fail(kEkUnsupportedSymmetric,
                fmt::format("EK symmetric algorithm 0x{:04x} mode 0x{:04x} keyBits {}: only AES-CFB is supported",
                            sym.algorithm, sym.algorithm == kAlgAes ? sym.mode.aes : 0,
                            sym.algorithm == kAlgAes ? sym.keyBits.aes : 0));
  }

  EkPublic ek(std::move(*key), *hash_alg_from_tpm_id(pub.nameAlg), sym.keyBits.aes);
  if (pub.type == kAlgEcc) {
    ek.ecc_x_.assign(pub.unique.ecc.x.buffer, pub.unique.ecc.x.buffer + pub.unique.ecc.x.size);
    ek.ecc_y_.assign(pub.unique.ecc.y.buffer, pub.unique.ecc.y.buffer + pub.unique.ecc.y.size);
  } else {
    ek.rsa_n_.assign(pub.unique.rsa.buffer, pub.unique.rsa.buffer + pub.unique.rsa.size);
  }
  return ek;
}

std::expected<Credential, Error> make_credential(const EkPublic& ek, std::span<const uint8_t> ak_name,
                                                 std::span<const uint8_t> secret, RandomSource& rng) {
  if (auto ok = check_name(ak_name); !ok) return std::unexpected(ok.error());
  const HashAlg alg = ek.name_alg();
  const size_t h_len = digest_size(alg);
  // Part 3, 12.6.1: TPM_RC_SIZE when the credential is larger than the digest of the EK's nameAlg.
  if (secret.empty() || secret.size() > h_len) {
    return fail(kCredentialSecretSize,
                fmt::format("secret of {} bytes; 1..{} allowed with EK nameAlg {}", secret.size(), h_len, hash_alg_name(alg)));
  }

  // Seed and encrypted secret (Part 1, 24.1 and Annexes B.10.3 / C.6.4).
  auto shared = ek.key().type() == KeyType::rsa ? rsa_seed(ek, rng) : ecc_seed(ek, rng);
  if (!shared) return std::unexpected(shared.error());
  const SecretBytes seed(std::move(shared->seed));

  // Part 1, 24.4: symKey = KDFa(nameAlg, seed, "STORAGE", name, NULL, symmetric keyBits).
  auto sym_key = kdfa(alg, seed.span(), kLabelStorage, ak_name, {}, ek.symmetric_key_bits());
  if (!sym_key) return std::unexpected(sym_key.error());
  const SecretBytes sym(std::move(*sym_key));
  // encIdentity = CFB(symKey, 0, TPM2B_DIGEST(credential)): the size field is encrypted too.
  SecretBytes plain(marshal_digest(secret));
  if (plain.size() != 2 + secret.size()) return fail(kCredentialCryptoFailed, "cannot marshal the credential");
  auto enc_identity = aes_cfb_encrypt(ek.symmetric_key_bits(), sym.span(), plain.span());
  if (!enc_identity) return std::unexpected(enc_identity.error());

  // Part 1, 24.5: HMACkey = KDFa(nameAlg, seed, "INTEGRITY", NULL, NULL, digest bits);
  // outerHMAC = HMAC(HMACkey, encIdentity || name).
  auto hmac_key = kdfa(alg, seed.span(), kLabelIntegrity, {}, {}, static_cast<uint32_t>(h_len * 8));
  if (!hmac_key) return std::unexpected(hmac_key.error());
  const SecretBytes hkey(std::move(*hmac_key));
  std::vector<uint8_t> hmac_input = *enc_identity;
  append(hmac_input, ak_name);
  std::array<uint8_t, kMaxDigestSize> outer{};
  if (auto ok = hmac(alg, hkey.span(), hmac_input, std::span<uint8_t>(outer.data(), h_len)); !ok) {
    return std::unexpected(ok.error());
  }

  // Part 2, TPM2B_ID_OBJECT: TPMS_ID_OBJECT { integrityHMAC TPM2B_DIGEST, encIdentity }.
  const std::vector<uint8_t> integrity = marshal_digest(std::span<const uint8_t>(outer.data(), h_len));
  TPM2B_ID_OBJECT id{};
  if (integrity.size() + enc_identity->size() > sizeof(id.credential)) {
    return fail(kCredentialCryptoFailed, "credential blob larger than TPMS_ID_OBJECT");
  }
  id.size = static_cast<UINT16>(integrity.size() + enc_identity->size());
  std::ranges::copy(integrity, id.credential);
  std::ranges::copy(*enc_identity, id.credential + integrity.size());

  // Part 2, TPM2B_ENCRYPTED_SECRET: the OAEP ciphertext or the marshalled TPMS_ECC_POINT.
  TPM2B_ENCRYPTED_SECRET enc{};
  if (shared->encrypted_secret.size() > sizeof(enc.secret)) {
    return fail(kCredentialCryptoFailed, "encrypted secret larger than TPMU_ENCRYPTED_SECRET");
  }
  enc.size = static_cast<UINT16>(shared->encrypted_secret.size());
  std::ranges::copy(shared->encrypted_secret, enc.secret);

  Credential out;
  out.credential_blob.resize(sizeof(TPM2B_ID_OBJECT));
  out.encrypted_secret.resize(sizeof(TPM2B_ENCRYPTED_SECRET));
  size_t blob_len = 0;
  size_t secret_len = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, out.credential_blob.data(), out.credential_blob.size(), &blob_len) !=
          TSS2_RC_SUCCESS ||
      Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, out.encrypted_secret.data(), out.encrypted_secret.size(),
                                             &secret_len) != TSS2_RC_SUCCESS) {
    return fail(kCredentialCryptoFailed, "cannot marshal the credential");
  }
  out.credential_blob.resize(blob_len);
  out.encrypted_secret.resize(secret_len);
  return out;
}

std::vector<uint8_t> to_tpm2_tools_credential_file(const Credential& credential) {
  std::vector<uint8_t> out;
  out.reserve(kTpm2ToolsCredentialHeaderSize + credential.credential_blob.size() + credential.encrypted_secret.size());
  append_u32_be(out, kTpm2ToolsCredentialMagic);
  append_u32_be(out, kTpm2ToolsCredentialVersion);
  append(out, credential.credential_blob);
  append(out, credential.encrypted_secret);
  return out;
}

std::expected<Credential, Error> parse_tpm2_tools_credential_file(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  uint32_t magic = 0;
  uint32_t version = 0;
  if (!r.read_u32_be(magic) || !r.read_u32_be(version)) {
    return fail(kCredentialFileMalformed, fmt::format("credential file of {} bytes", bytes.size()));
  }
  if (magic != kTpm2ToolsCredentialMagic || version != kTpm2ToolsCredentialVersion) {
    return fail(kCredentialFileMalformed, fmt::format("header 0x{:08x} version {} (expected 0x{:08x} version {})", magic,
                                                      version, kTpm2ToolsCredentialMagic, kTpm2ToolsCredentialVersion));
  }
  const std::span<const uint8_t> rest = r.rest();
  TPM2B_ID_OBJECT id{};
  TPM2B_ENCRYPTED_SECRET enc{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(rest.data(), rest.size(), &offset, &id) != TSS2_RC_SUCCESS) {
    return fail(kCredentialFileMalformed, "TPM2B_ID_OBJECT does not decode");
  }
  const size_t blob_end = offset;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(rest.data(), rest.size(), &offset, &enc) != TSS2_RC_SUCCESS) {
    return fail(kCredentialFileMalformed, "TPM2B_ENCRYPTED_SECRET does not decode");
  }
  if (offset != rest.size()) {
    return fail(kCredentialFileMalformed, fmt::format("{} bytes after the TPM2B_ENCRYPTED_SECRET", rest.size() - offset));
  }
  Credential out;
  out.credential_blob.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(blob_end));
  out.encrypted_secret.assign(rest.begin() + static_cast<std::ptrdiff_t>(blob_end), rest.end());
  return out;
}

std::expected<IdObject, Error> parse_id_object(std::span<const uint8_t> tpm2b_id_object) {
  ByteReader r(tpm2b_id_object);
  uint16_t size = 0;
  ByteReader body;
  if (!r.read_u16_be(size) || !r.read_sub(size, body) || !r.empty()) {
    return fail(kCredentialFileMalformed, fmt::format("TPM2B_ID_OBJECT of {} bytes", tpm2b_id_object.size()));
  }
  uint16_t hmac_size = 0;
  std::span<const uint8_t> hmac_bytes;
  if (!body.read_u16_be(hmac_size) || hmac_size > kMaxDigestSize || !body.read_bytes(hmac_size, hmac_bytes)) {
    return fail(kCredentialFileMalformed, "TPMS_ID_OBJECT.integrityHMAC does not decode");
  }
  IdObject out;
  out.integrity_hmac.assign(hmac_bytes.begin(), hmac_bytes.end());
  out.enc_identity.assign(body.rest().begin(), body.rest().end());
  return out;
}

}  // namespace attestd::evidence::tpm
