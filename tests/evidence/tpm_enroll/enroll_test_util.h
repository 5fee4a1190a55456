// Helpers of the enrollment tests: test data, deterministic randomness, EK public areas marshalled
// with Tss2_MU around OpenSSL-generated keys, and an independent TPM2_ActivateCredential written
// directly on OpenSSL primitives (RSA-OAEP decryption, ECDH, KBKDF, SSKDF, HMAC, AES-CFB), so that
// attestd's make_credential is checked against code it does not share.
#pragma once

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/tpm/credential.h"

namespace attestd::evidence::tpm::enroll_testing {

using Bytes = std::vector<uint8_t>;

inline std::filesystem::path shared(std::string_view rel) { return std::filesystem::path(ATTESTD_SHARED_TESTDATA) / rel; }
inline std::filesystem::path local(std::string_view rel) {
  return std::filesystem::path(ATTESTD_ENROLL_TEST_DATA) / rel;
}

inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
inline std::string read_text(const std::filesystem::path& path) {
  const Bytes b = read_bytes(path);
  return std::string(b.begin(), b.end());
}
inline Bytes hex(std::string_view text) {
  const auto b = from_hex(text);
  if (!b) throw std::runtime_error("bad hex: " + std::string(text));
  return Bytes(b->begin(), b->end());
}
inline Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Deterministic "randomness": SHA-256(seed || counter) blocks. Records how many bytes it gave.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(std::string_view seed) : seed_(seed) {}
  bool fill(std::span<uint8_t> out) override {
    for (auto& b : out) {
      if (pos_ == block_.size()) next_block();
      b = block_[pos_++];
    }
    given_ += out.size();
    return true;
  }
  [[nodiscard]] size_t given() const { return given_; }

 private:
  void next_block() {
    Bytes in(seed_.begin(), seed_.end());
    for (int i = 0; i < 4; ++i) in.push_back(static_cast<uint8_t>(counter_ >> (24 - 8 * i)));
    ++counter_;
    const Digest d = hash(HashAlg::sha256, in);
    block_.assign(d.bytes().begin(), d.bytes().end());
    pos_ = 0;
  }
  std::string seed_;
  uint32_t counter_ = 0;
  Bytes block_;
  size_t pos_ = 0;
  size_t given_ = 0;
};

// Gives `budget` bytes, then fails.
class FailingRandom final : public RandomSource {
 public:
  explicit FailingRandom(size_t budget) : budget_(budget) {}
  bool fill(std::span<uint8_t> out) override {
    if (out.size() > budget_) return false;
    budget_ -= out.size();
    std::fill(out.begin(), out.end(), uint8_t{0x5a});
    return true;
  }

 private:
  size_t budget_;
};

// Gives only 0xFF bytes: never a valid P-256/P-384 private key (>= the group order).
class AllOnesRandom final : public RandomSource {
 public:
  bool fill(std::span<uint8_t> out) override {
    std::fill(out.begin(), out.end(), uint8_t{0xff});
    return true;
  }
};

inline Pkey rsa_key(unsigned bits) {
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!k) throw std::runtime_error("RSA keygen");
  return k;
}
inline Pkey ec_key(const char* curve) {
  Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  if (!k) throw std::runtime_error("EC keygen");
  return k;
}

inline Bytes bn_param(EVP_PKEY* k, const char* name, size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("bn param");
  const size_t len = pad != 0 ? pad : static_cast<size_t>(BN_num_bytes(bn));
  Bytes out(len);
  BN_bn2binpad(bn, out.data(), static_cast<int>(len));
  BN_free(bn);
  return out;
}

// TCG EK template attributes (EK Credential Profile 2.x, Annex B, templates L-1/L-2):
// fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt.
inline constexpr uint32_t kEkTemplateAttributes = 0x000300B2;
// PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256, the low-range templates' authPolicy.
inline constexpr std::string_view kEkPolicySha256 = "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";

inline uint16_t tpm_alg(HashAlg alg) { return static_cast<uint16_t>(alg); }

// A TPMT_PUBLIC of an EK around an OpenSSL key, from the TCG templates with the given nameAlg and
// AES key size.
inline TPMT_PUBLIC ek_tpmt(EVP_PKEY* key, HashAlg name_alg, uint16_t aes_bits, uint32_t attributes = kEkTemplateAttributes) {
  TPMT_PUBLIC p{};
  p.nameAlg = tpm_alg(name_alg);
  p.objectAttributes = attributes;
  const Bytes policy = hex(kEkPolicySha256);
  p.authPolicy.size = static_cast<uint16_t>(policy.size());
  std::memcpy(p.authPolicy.buffer, policy.data(), policy.size());
  TPMT_SYM_DEF_OBJECT sym{};
  sym.algorithm = TPM2_ALG_AES;
  sym.keyBits.aes = aes_bits;
  sym.mode.aes = TPM2_ALG_CFB;
  if (EVP_PKEY_is_a(key, "RSA")) {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric = sym;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    p.parameters.rsaDetail.keyBits = static_cast<uint16_t>(EVP_PKEY_get_bits(key));
    p.parameters.rsaDetail.exponent = 0;
    const Bytes n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
    p.unique.rsa.size = static_cast<uint16_t>(n.size());
    std::memcpy(p.unique.rsa.buffer, n.data(), n.size());
  } else {
    const size_t field = static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8);
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric = sym;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    p.parameters.eccDetail.curveID = field == 32 ? TPM2_ECC_NIST_P256 : TPM2_ECC_NIST_P384;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    const Bytes x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, field);
    const Bytes y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, field);
    p.unique.ecc.x.size = static_cast<uint16_t>(field);
    p.unique.ecc.y.size = static_cast<uint16_t>(field);
    std::memcpy(p.unique.ecc.x.buffer, x.data(), field);
    std::memcpy(p.unique.ecc.y.buffer, y.data(), field);
  }
  return p;
}

inline Bytes marshal_tpm2b_public(const TPMT_PUBLIC& p) {
  TPM2B_PUBLIC pub{};
  pub.publicArea = p;
  Bytes out(sizeof(TPM2B_PUBLIC));
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &off) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("TPM2B_PUBLIC marshal");
  }
  out.resize(off);
  return out;
}

inline TPMT_PUBLIC unmarshal_tpm2b_public(const Bytes& bytes) {
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &off, &pub) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("TPM2B_PUBLIC unmarshal");
  }
  return pub.publicArea;
}

// An AK Name from a hash algorithm and a fixed digest pattern.
inline Bytes fake_name(HashAlg alg, uint8_t fill = 0xA5) {
  Bytes n{static_cast<uint8_t>(tpm_alg(alg) >> 8), static_cast<uint8_t>(tpm_alg(alg))};
  n.resize(2 + digest_size(alg), fill);
  return n;
}

// ---- OpenSSL-only reference of the TPM's side ----------------------------------------------------

inline const char* md_name(HashAlg alg) { return EVP_MD_get0_name(evp_md(alg)); }

// SP 800-108 counter-mode KBKDF with HMAC, as OpenSSL implements it: HMAC(key, [i]_32 || label ||
// 0x00 || context || [L]_32) — the TPM's KDFa with context = contextU || contextV.
inline Bytes openssl_kbkdf(HashAlg alg, const Bytes& key, std::string_view label, const Bytes& context, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  std::string label_s(label);
  Bytes ctx_bytes = context;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, const_cast<char*>("counter"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, const_cast<char*>("HMAC"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md_name(alg)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, label_s.data(), label_s.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ctx_bytes.data(), ctx_bytes.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(out_len);
  const int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) throw std::runtime_error("KBKDF");
  return out;
}

// SP 800-56C one-step KDF with a hash, as OpenSSL implements it: H([i]_32 || Z || FixedInfo) — the
// TPM's KDFe with FixedInfo = use || 0x00 || partyU || partyV.
inline Bytes openssl_sskdf(HashAlg alg, const Bytes& z, const Bytes& fixed_info, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SSKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  Bytes info = fixed_info;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md_name(alg)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(z.data()), z.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(out_len);
  const int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (rc != 1) throw std::runtime_error("SSKDF");
  return out;
}

inline Bytes identity_label() { return Bytes{'I', 'D', 'E', 'N', 'T', 'I', 'T', 'Y', 0}; }

// The seed a TPM recovers from TPM2B_ENCRYPTED_SECRET with the EK private key.
inline Bytes recover_seed(EVP_PKEY* ek_priv, HashAlg alg, const TPMT_PUBLIC& ek_pub, const Bytes& tpm2b_secret) {
  TPM2B_ENCRYPTED_SECRET enc{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(tpm2b_secret.data(), tpm2b_secret.size(), &off, &enc) != TSS2_RC_SUCCESS ||
      off != tpm2b_secret.size()) {
    throw std::runtime_error("TPM2B_ENCRYPTED_SECRET");
  }
  if (EVP_PKEY_is_a(ek_priv, "RSA")) {
    // Part 1, B.10.3 with OpenSSL's own OAEP.
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, ek_priv, nullptr);
    const Bytes label = identity_label();
    void* label_copy = OPENSSL_memdup(label.data(), label.size());
    Bytes out(512);
    size_t out_len = out.size();
    const bool ok = EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, evp_md(alg)) == 1 &&
                    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, evp_md(alg)) == 1 &&
                    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label_copy, static_cast<int>(label.size())) == 1 &&
                    EVP_PKEY_decrypt(ctx, out.data(), &out_len, enc.secret, enc.size) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) throw std::runtime_error("OAEP decryption");
    out.resize(out_len);
    return out;
  }
  // Part 1, C.6.4 with OpenSSL's ECDH and SSKDF.
  TPMS_ECC_POINT point{};
  off = 0;
  if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(enc.secret, enc.size, &off, &point) != TSS2_RC_SUCCESS || off != enc.size) {
    throw std::runtime_error("TPMS_ECC_POINT");
  }
  Bytes pub{0x04};
  pub.insert(pub.end(), point.x.buffer, point.x.buffer + point.x.size);
  pub.insert(pub.end(), point.y.buffer, point.y.buffer + point.y.size);
  char group[64] = {};
  size_t group_len = 0;
  EVP_PKEY_get_utf8_string_param(ek_priv, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_len);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* peer = nullptr;
  EVP_PKEY_fromdata_init(from);
  EVP_PKEY_fromdata(from, &peer, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(from);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (peer == nullptr) throw std::runtime_error("ephemeral point");
  EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new_from_pkey(nullptr, ek_priv, nullptr);
  Bytes z(64);
  size_t z_len = z.size();
  const bool ok = EVP_PKEY_derive_init(dctx) == 1 && EVP_PKEY_derive_set_peer(dctx, peer) == 1 &&
                  EVP_PKEY_derive(dctx, z.data(), &z_len) == 1;
  EVP_PKEY_CTX_free(dctx);
  EVP_PKEY_free(peer);
  if (!ok) throw std::runtime_error("ECDH");
  z.resize(z_len);
  Bytes fixed = identity_label();
  fixed.insert(fixed.end(), point.x.buffer, point.x.buffer + point.x.size);
  fixed.insert(fixed.end(), ek_pub.unique.ecc.x.buffer, ek_pub.unique.ecc.x.buffer + ek_pub.unique.ecc.x.size);
  return openssl_sskdf(alg, z, fixed, digest_size(alg));
}

// TPM2_ActivateCredential (Part 3, 12.5) on OpenSSL primitives: the recovered credential, or
// nullopt when the outer HMAC does not verify (TPM_RC_INTEGRITY).
inline std::optional<Bytes> software_activate(EVP_PKEY* ek_priv, const TPMT_PUBLIC& ek_pub, const Bytes& ak_name,
                                              const Credential& cred) {
  const auto alg = *hash_alg_from_tpm_id(ek_pub.nameAlg);
  const uint16_t aes_bits = EVP_PKEY_is_a(ek_priv, "RSA") ? ek_pub.parameters.rsaDetail.symmetric.keyBits.aes
                                                          : ek_pub.parameters.eccDetail.symmetric.keyBits.aes;
  const Bytes seed = recover_seed(ek_priv, alg, ek_pub, cred.encrypted_secret);

  TPM2B_ID_OBJECT id{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(cred.credential_blob.data(), cred.credential_blob.size(), &off, &id) !=
          TSS2_RC_SUCCESS ||
      off != cred.credential_blob.size()) {
    throw std::runtime_error("TPM2B_ID_OBJECT");
  }
  TPM2B_DIGEST integrity{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(id.credential, id.size, &off, &integrity) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("integrityHMAC");
  }
  const Bytes enc_identity(id.credential + off, id.credential + id.size);

  const Bytes hmac_key = openssl_kbkdf(alg, seed, "INTEGRITY", {}, digest_size(alg));
  Bytes hmac_in = enc_identity;
  hmac_in.insert(hmac_in.end(), ak_name.begin(), ak_name.end());
  Bytes mac(64);
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, md_name(alg), nullptr, hmac_key.data(), hmac_key.size(), hmac_in.data(),
                hmac_in.size(), mac.data(), mac.size(), &mac_len) == nullptr) {
    throw std::runtime_error("HMAC");
  }
  mac.resize(mac_len);
  if (Bytes(integrity.buffer, integrity.buffer + integrity.size) != mac) return std::nullopt;

  const Bytes sym_key = openssl_kbkdf(alg, seed, "STORAGE", ak_name, aes_bits / 8);
  const EVP_CIPHER* cipher = aes_bits == 128 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128();
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  const uint8_t iv[16] = {};
  Bytes plain(enc_identity.size() + 16);
  int n1 = 0;
  int n2 = 0;
  const bool ok = EVP_DecryptInit_ex(c, cipher, nullptr, sym_key.data(), iv) == 1 &&
                  EVP_DecryptUpdate(c, plain.data(), &n1, enc_identity.data(), static_cast<int>(enc_identity.size())) == 1 &&
                  EVP_DecryptFinal_ex(c, plain.data() + n1, &n2) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) throw std::runtime_error("AES-CFB");
  plain.resize(static_cast<size_t>(n1 + n2));
  TPM2B_DIGEST credential{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(plain.data(), plain.size(), &off, &credential) != TSS2_RC_SUCCESS ||
      off != plain.size()) {
    throw std::runtime_error("credential TPM2B_DIGEST");
  }
  return Bytes(credential.buffer, credential.buffer + credential.size);
}

}  // namespace attestd::evidence::tpm::enroll_testing
