// Helpers shared by the TPM tests: reading the shared real evidence, decoding its encodings,
// and generating fresh keys with OpenSSL for synthetic TPM structures.
#pragma once

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::evidence::tpm::testing {

using Bytes = std::vector<uint8_t>;

inline std::filesystem::path shared(std::string_view rel) { return std::filesystem::path(ATTESTD_SHARED_TESTDATA) / rel; }
inline std::filesystem::path local(std::string_view rel) { return std::filesystem::path(ATTESTD_TEST_DATA) / rel; }

inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string read_text(const std::filesystem::path& path) {
  const Bytes b = read_bytes(path);
  return std::string(b.begin(), b.end());
}

inline nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_text(path)); }

inline Bytes hex(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  const auto b = from_hex(text);
  if (!b) throw std::runtime_error("bad hex: " + std::string(text));
  return Bytes(b->begin(), b->end());
}

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Base64 (RFC 4648 section 4) and base64url (section 5), padding optional.
inline Bytes base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const int v = value(c);
    if (v < 0) throw std::runtime_error("bad base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

// {"sha1": {"0": hex}}, {"bank": "sha1", "pcrs": {"0": hex}}, or a list of SHA-256 PCR 0..n.
inline PcrValues pcrs_from_json(const nlohmann::json& doc) {
  PcrValues out;
  auto add_bank = [&](HashAlg alg, const nlohmann::json& bank) {
    if (bank.is_array()) {
      for (uint32_t i = 0; i < bank.size(); ++i) out[alg][i] = Digest(hex(bank[i].get<std::string>()));
      return;
    }
    for (const auto& [k, v] : bank.items()) out[alg][static_cast<uint32_t>(std::stoul(k))] = Digest(hex(v.get<std::string>()));
  };
  if (doc.is_array()) {
    add_bank(HashAlg::sha256, doc);
  } else if (doc.contains("bank")) {
    add_bank(*hash_alg_from_name(doc["bank"].get<std::string>()), doc["pcrs"]);
  } else {
    for (const auto& [name, bank] : doc.items()) {
      if (const auto alg = hash_alg_from_name(name)) add_bank(*alg, bank);
    }
  }
  return out;
}

// OpenSSL objects in tests.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline Pkey generate_rsa(unsigned bits) { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits))); }
inline Pkey generate_ec(const char* group) { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group)); }

// Left-pads a big-endian integer to `size` bytes.
inline Bytes bn_bytes(const EVP_PKEY* key, const char* param, size_t size) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) throw std::runtime_error("no param");
  Bytes out(size);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(size)) < 0) throw std::runtime_error("too big");
  BN_free(bn);
  return out;
}

inline Bytes der_spki(const EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  Bytes out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

inline std::string pem_spki(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

// TPM_ALG_ID values used by the tests.
inline constexpr uint16_t kAlgRsa = 0x0001, kAlgKeyedHash = 0x0008, kAlgNull = 0x0010, kAlgRsassa = 0x0014,
                          kAlgRsapss = 0x0016, kAlgEcdsa = 0x0018, kAlgEcc = 0x0023, kAlgHmac = 0x0005,
                          kAlgEcdaa = 0x001A;

// AK-like attributes: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign.
inline constexpr uint32_t kAkAttributes = 0x00050072;

// A TPMT_PUBLIC for a generated key. `scheme` TPM_ALG_NULL leaves the scheme open.
inline TPMT_PUBLIC tpmt_for(const EVP_PKEY* key, uint16_t scheme, uint16_t scheme_hash,
                            uint32_t attributes = kAkAttributes) {
  TPMT_PUBLIC pub{};
  pub.nameAlg = 0x000B;
  pub.objectAttributes = attributes;
  if (EVP_PKEY_is_a(key, "RSA")) {
    pub.type = kAlgRsa;
    pub.parameters.rsaDetail.symmetric.algorithm = kAlgNull;
    pub.parameters.rsaDetail.scheme.scheme = scheme;
    pub.parameters.rsaDetail.scheme.details.anySig.hashAlg = scheme_hash;
    pub.parameters.rsaDetail.keyBits = static_cast<uint16_t>(EVP_PKEY_get_bits(key));
    pub.parameters.rsaDetail.exponent = 0;
    const Bytes n = bn_bytes(key, OSSL_PKEY_PARAM_RSA_N, static_cast<size_t>(EVP_PKEY_get_bits(key) / 8));
    pub.unique.rsa.size = static_cast<uint16_t>(n.size());
    std::copy(n.begin(), n.end(), pub.unique.rsa.buffer);
  } else {
    pub.type = kAlgEcc;
    const int bits = EVP_PKEY_get_bits(key);
    const size_t len = static_cast<size_t>((bits + 7) / 8);
    pub.parameters.eccDetail.symmetric.algorithm = kAlgNull;
    pub.parameters.eccDetail.scheme.scheme = scheme;
    pub.parameters.eccDetail.scheme.details.anySig.hashAlg = scheme_hash;
    pub.parameters.eccDetail.curveID = bits == 256 ? 0x0003 : 0x0004;
    pub.parameters.eccDetail.kdf.scheme = kAlgNull;
    const Bytes x = bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, len);
    const Bytes y = bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, len);
    pub.unique.ecc.x.size = static_cast<uint16_t>(len);
    pub.unique.ecc.y.size = static_cast<uint16_t>(len);
    std::copy(x.begin(), x.end(), pub.unique.ecc.x.buffer);
    std::copy(y.begin(), y.end(), pub.unique.ecc.y.buffer);
  }
  return pub;
}

inline Bytes marshal_tpmt_public(const TPMT_PUBLIC& pub) {
  Bytes buf(sizeof(TPMT_PUBLIC) + 16);
  size_t off = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) throw std::runtime_error("marshal");
  buf.resize(off);
  return buf;
}

inline Bytes marshal_attest(const TPMS_ATTEST& a) {
  Bytes buf(sizeof(TPMS_ATTEST) + 16);
  size_t off = 0;
  if (Tss2_MU_TPMS_ATTEST_Marshal(&a, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) throw std::runtime_error("marshal");
  buf.resize(off);
  return buf;
}

inline Bytes marshal_signature(const TPMT_SIGNATURE& s) {
  Bytes buf(sizeof(TPMT_SIGNATURE) + 16);
  size_t off = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(&s, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) throw std::runtime_error("marshal");
  buf.resize(off);
  return buf;
}

inline const char* ossl_md_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1: return "SHA1";
    case HashAlg::sha256: return "SHA256";
    case HashAlg::sha384: return "SHA384";
    case HashAlg::sha512: return "SHA512";
    default: return "SM3";
  }
}

// Independent of the library: OpenSSL's one-shot digest by name.
inline Bytes digest_of(HashAlg alg, std::span<const uint8_t> data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  EVP_MD* md = EVP_MD_fetch(nullptr, ossl_md_name(alg), nullptr);
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  EVP_MD_free(md);
  out.resize(len);
  return out;
}

// Signs `message` with `key` as a TPM would for `scheme` / `hash` and returns the TPMT_SIGNATURE.
// `pss_salt` is the salt length for RSAPSS (RSA_PSS_SALTLEN_MAX or RSA_PSS_SALTLEN_DIGEST).
inline TPMT_SIGNATURE sign_tpm(EVP_PKEY* key, std::span<const uint8_t> message, uint16_t scheme, HashAlg hash,
                               int pss_salt = RSA_PSS_SALTLEN_DIGEST) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit_ex(ctx, &pctx, ossl_md_name(hash), nullptr, nullptr, key, nullptr) != 1) {
    throw std::runtime_error("sign init");
  }
  if (scheme == kAlgRsapss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, message.data(), message.size());
  Bytes sig(len);
  if (EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) != 1) throw std::runtime_error("sign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);

  TPMT_SIGNATURE out{};
  out.sigAlg = scheme;
  if (scheme == kAlgEcdsa) {
    const uint8_t* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    const size_t n = static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8);
    out.signature.ecdsa.hash = static_cast<uint16_t>(hash);
    out.signature.ecdsa.signatureR.size = static_cast<uint16_t>(n);
    out.signature.ecdsa.signatureS.size = static_cast<uint16_t>(n);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), out.signature.ecdsa.signatureR.buffer, static_cast<int>(n));
    BN_bn2binpad(ECDSA_SIG_get0_s(es), out.signature.ecdsa.signatureS.buffer, static_cast<int>(n));
    ECDSA_SIG_free(es);
  } else {
    auto& rsa = scheme == kAlgRsassa ? out.signature.rsassa : out.signature.rsapss;
    rsa.hash = static_cast<uint16_t>(hash);
    rsa.sig.size = static_cast<uint16_t>(sig.size());
    std::copy(sig.begin(), sig.end(), rsa.sig.buffer);
  }
  return out;
}

}  // namespace attestd::evidence::tpm::testing
