#include "sim_host.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <tss2/tss2_mu.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "attestd/evidence/eventlog/event_log.h"
#include "attestd/evidence/eventlog/replay.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/credential.h"

namespace attestd::loadgen {

namespace {

namespace ev = evidence;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* p) const { sk_ASN1_OBJECT_pop_free(p, ASN1_OBJECT_free); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

// Marshals with a libtss2-mu function; the buffer is sized from the unmarshalled C struct, which
// is always larger than its wire form.
template <typename T, typename Fn>
Bytes marshal(const T& value, Fn fn, const char* what) {
  Bytes buf(sizeof(T) + 64);
  size_t off = 0;
  if (fn(&value, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) fail(std::string("marshal ") + what);
  buf.resize(off);
  return buf;
}

Bytes sha256(std::span<const uint8_t> data) {
  const ev::Digest d = ev::hash(ev::HashAlg::sha256, data);
  return Bytes(d.bytes().begin(), d.bytes().end());
}

// nameAlg (u16 BE) || digest.
Bytes name_of(std::span<const uint8_t> digest) {
  // Sized up front: growing a two-byte vector trips a GCC 12 -Warray-bounds false positive.
  Bytes out(2 + digest.size());
  out[0] = static_cast<uint8_t>(kAlgSha256 >> 8);
  out[1] = static_cast<uint8_t>(kAlgSha256 & 0xff);
  std::copy(digest.begin(), digest.end(), out.begin() + 2);
  return out;
}

Bytes bn_param(EVP_PKEY* key, const char* param, size_t pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) fail(std::string("key parameter ") + param);
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  Bytes out(pad);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(pad)) < 0) fail(std::string("key parameter size ") + param);
  return out;
}

template <typename Buffer>
void put(Buffer& dst, std::span<const uint8_t> src, const char* what) {
  if (src.size() > sizeof(dst.buffer)) fail(std::string("too large for its TPM2B: ") + what);
  dst.size = static_cast<uint16_t>(src.size());
  std::memcpy(dst.buffer, src.data(), src.size());
}

// tpm2_createak -G rsa -g sha256 -s rsassa / -G ecc -g sha256 -s ecdsa (tpm2-tools 5.x,
// tpm2_createak.c: the template's attributes, empty authPolicy, NULL symmetric).
TPMT_PUBLIC ak_template(EVP_PKEY* key, AkKind kind) {
  TPMT_PUBLIC p{};
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = kAkAttributes;
  if (kind == AkKind::rsa2048) {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    p.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.rsaDetail.keyBits = 2048;
    p.parameters.rsaDetail.exponent = 0;  // 0 means 65537 (Part 2, Table 186)
    put(p.unique.rsa, bn_param(key, OSSL_PKEY_PARAM_RSA_N, 256), "AK modulus");
  } else {
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    put(p.unique.ecc.x, bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32), "AK x");
    put(p.unique.ecc.y, bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32), "AK y");
  }
  return p;
}

// TCG EK Credential Profile 2.x, Annex B, template L-1 (what `tpm2_createek -G rsa` creates).
TPMT_PUBLIC ek_template(EVP_PKEY* key) {
  // PolicySecret(TPM_RH_ENDORSEMENT) under SHA-256: the low-range templates' authPolicy.
  static const Bytes policy = from_hex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
  TPMT_PUBLIC p{};
  p.type = TPM2_ALG_RSA;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = kEkAttributes;
  put(p.authPolicy, policy, "EK authPolicy");
  p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
  p.parameters.rsaDetail.symmetric.keyBits.aes = 128;
  p.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.rsaDetail.keyBits = 2048;
  p.parameters.rsaDetail.exponent = 0;
  put(p.unique.rsa, bn_param(key, OSSL_PKEY_PARAM_RSA_N, 256), "EK modulus");
  return p;
}

Bytes tpm2b_public(const TPMT_PUBLIC& p) {
  TPM2B_PUBLIC pub{};
  pub.publicArea = p;
  return marshal(pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "TPM2B_PUBLIC");
}

Pkey keygen(const char* type, AkKind kind) {
  Pkey k(kind == AkKind::rsa2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, size_t{2048})
                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, type, "P-256"));
  if (!k) fail(std::string("key generation ") + type);
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail(std::string("certificate extension ") + value);
}

X509Ptr new_certificate(EVP_PKEY* subject_key, long validity_seconds) {
  X509Ptr cert(X509_new());
  if (!cert) fail("X509_new");
  std::array<uint8_t, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) fail("RAND_bytes");
  serial[0] &= 0x7f;  // a positive INTEGER (RFC 5280 4.1.2.2)
  serial[0] |= 0x01;
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  const bool ok = bn && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
                  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds) != nullptr &&
                  X509_set_pubkey(cert.get(), subject_key) == 1;
  if (!ok) fail("certificate fields");
  return cert;
}

Bytes der_of(X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) fail("i2d_X509");
  Bytes out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::vector<uint8_t> kdfa_or_throw(std::span<const uint8_t> key, std::string_view label,
                                   std::span<const uint8_t> context, uint32_t bits) {
  auto out = evidence::tpm::kdfa(ev::HashAlg::sha256, key, label, context, {}, bits);
  if (!out) fail("KDFa: " + out.error().message);
  return std::move(*out);
}

}  // namespace

// ---- small codecs ------------------------------------------------------------------------------

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Bytes from_hex(std::string_view hex) {
  auto nibble = [&](char c) -> uint8_t {
    if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<uint8_t>(c - 'A' + 10);
    fail("not hex: " + std::string(hex));
  };
  if (hex.size() % 2 != 0) fail("odd-length hex: " + std::string(hex));
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>((nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]));
  }
  return out;
}

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Bytes base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) fail("base64 length");
  Bytes out(text.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) fail("base64");
  // EVP_DecodeBlock keeps the zero bytes the padding stands for.
  size_t len = static_cast<size_t>(n);
  if (text.ends_with("==")) len -= 2;
  else if (text.ends_with("=")) len -= 1;
  out.resize(len);
  return out;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open " + path);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---- PCRs --------------------------------------------------------------------------------------

std::string PcrSet::json_bank() const {
  std::string out = "{";
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i != 0) out += ',';
    out += '"' + std::to_string(indices[i]) + "\":\"" + to_hex(values[i]) + '"';
  }
  return out + "}";
}

PcrSet replay_sha256(std::span<const uint8_t> event_log, std::vector<uint32_t> indices) {
  auto log = ev::eventlog::parse_event_log(event_log);
  if (!log) fail("event log does not parse: " + log.error().message);
  const auto replay = ev::eventlog::replay_pcrs(*log);
  if (!replay.reasons.empty()) fail("event log does not replay: " + replay.reasons.front().message);
  const auto bank = replay.pcrs.find(ev::HashAlg::sha256);
  if (bank == replay.pcrs.end()) fail("event log has no sha256 bank");
  PcrSet out;
  Bytes concat;
  for (uint32_t i : indices) {
    const auto v = bank->second.find(i);
    if (v == bank->second.end()) fail("event log does not extend PCR " + std::to_string(i));
    out.values.emplace_back(v->second.bytes().begin(), v->second.bytes().end());
    concat.insert(concat.end(), out.values.back().begin(), out.values.back().end());
  }
  out.indices = std::move(indices);
  // Part 3 §18.4.1: pcrDigest = H_signHash(PCR values in selection order).
  out.pcr_digest = sha256(concat);
  return out;
}

// ---- test CA -----------------------------------------------------------------------------------

TestCa TestCa::generate() {
  TestCa ca;
  ca.key_ = keygen("EC", AkKind::p256);
  ca.cert_ = new_certificate(ca.key_.get(), 30L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(ca.cert_.get());
  const auto cn = reinterpret_cast<const unsigned char*>("attestd loadgen TPM CA");
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(ca.cert_.get(), name) != 1) {
    fail("CA name");
  }
  add_ext(ca.cert_.get(), ca.cert_.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.cert_.get(), ca.cert_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.cert_.get(), ca.cert_.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.cert_.get(), ca.key_.get(), EVP_sha256()) <= 0) fail("CA self-signature");
  return ca;
}

std::string TestCa::certificate_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) fail("CA PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Bytes TestCa::issue_ek_certificate(EVP_PKEY* ek) const {
  X509Ptr cert = new_certificate(ek, 30L * 24 * 3600);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get())) != 1) fail("EK issuer");
  // Subject stays empty; the TPM's identity is the SAN directoryName (EK profile "Subject Alternative
  // Name"), values as swtpm writes them except the model.
  std::unique_ptr<X509_NAME, NameFree> dir(X509_NAME_new());
  for (auto [oid, value] : {std::pair{"2.23.133.2.1", "id:00001014"}, std::pair{"2.23.133.2.2", "attestd-loadgen"},
                            std::pair{"2.23.133.2.3", "id:20191023"}}) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
    const int ok = obj != nullptr ? X509_NAME_add_entry_by_OBJ(dir.get(), obj, MBSTRING_UTF8,
                                                               reinterpret_cast<const unsigned char*>(value), -1, -1, 0)
                                  : 0;
    ASN1_OBJECT_free(obj);
    if (ok != 1) fail("EK SAN attribute");
  }
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (!names || gn == nullptr) fail("GENERAL_NAME");
  GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dir.release());
  if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
    GENERAL_NAME_free(gn);
    fail("GENERAL_NAMES");
  }
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> eku(sk_ASN1_OBJECT_new_null());
  ASN1_OBJECT* kp = OBJ_txt2obj("2.23.133.8.1", 1);
  if (!eku || kp == nullptr || sk_ASN1_OBJECT_push(eku.get(), kp) == 0) {
    ASN1_OBJECT_free(kp);
    fail("EK extendedKeyUsage");
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 1, X509V3_ADD_DEFAULT) != 1 ||
      X509_add1_ext_i2d(cert.get(), NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    fail("EK SAN / EKU");
  }
  add_ext(cert.get(), cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), cert_.get(), NID_key_usage, "critical,keyEncipherment");
  add_ext(cert.get(), cert_.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) <= 0) fail("EK certificate signature");
  return der_of(cert.get());
}

// ---- host --------------------------------------------------------------------------------------

SimHost SimHost::generate(AkKind ak_kind) {
  SimHost h;
  h.ak_kind_ = ak_kind;
  h.ek_ = keygen("RSA", AkKind::rsa2048);
  h.ak_ = ak_kind == AkKind::rsa2048 ? keygen("RSA", AkKind::rsa2048) : keygen("EC", AkKind::p256);
  const TPMT_PUBLIC ek = ek_template(h.ek_.get());
  const TPMT_PUBLIC ak = ak_template(h.ak_.get(), ak_kind);
  h.ek_public_ = tpm2b_public(ek);
  h.ak_public_ = tpm2b_public(ak);
  h.ek_name_ = name_of(sha256(marshal(ek, Tss2_MU_TPMT_PUBLIC_Marshal, "EK TPMT_PUBLIC")));
  h.ak_name_ = name_of(sha256(marshal(ak, Tss2_MU_TPMT_PUBLIC_Marshal, "AK TPMT_PUBLIC")));
  // Part 1 §16: the QN of a primary is H(hierarchy handle || Name); of a child H(QN(parent) || Name).
  Bytes qn_in{static_cast<uint8_t>(kRhEndorsement >> 24), static_cast<uint8_t>(kRhEndorsement >> 16),
              static_cast<uint8_t>(kRhEndorsement >> 8), static_cast<uint8_t>(kRhEndorsement)};
  qn_in.insert(qn_in.end(), h.ek_name_.begin(), h.ek_name_.end());
  Bytes ek_qn = name_of(sha256(qn_in));
  ek_qn.insert(ek_qn.end(), h.ak_name_.begin(), h.ak_name_.end());
  h.qualified_signer_ = name_of(sha256(ek_qn));
  // A TPM's clock counts milliseconds since its last TPM2_Clear; give each host its own history.
  std::array<uint8_t, 8> r{};
  if (RAND_bytes(r.data(), static_cast<int>(r.size())) != 1) fail("RAND_bytes");
  h.clock_base_ = 1'000'000 + ((uint64_t{r[0]} << 24 | uint64_t{r[1]} << 16 | uint64_t{r[2]} << 8 | uint64_t{r[3]}) & 0x3fffffff);
  h.reset_count_ = static_cast<uint32_t>(r[4] % 16u);
  h.started_ = std::chrono::steady_clock::now();
  return h;
}

Bytes SimHost::activate_credential(std::span<const uint8_t> credential_blob,
                                   std::span<const uint8_t> encrypted_secret) const {
  // Part 3 §12.5.2: inputs are TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET.
  TPM2B_ENCRYPTED_SECRET enc{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(encrypted_secret.data(), encrypted_secret.size(), &off, &enc) !=
          TSS2_RC_SUCCESS ||
      off != encrypted_secret.size()) {
    fail("TPM2B_ENCRYPTED_SECRET does not decode");
  }
  // Part 1 B.10.3: seed = RSA-OAEP-decrypt(EK, label "IDENTITY\0", hash = MGF1 hash = nameAlg).
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek_.get(), nullptr));
  static constexpr uint8_t kLabel[] = {'I', 'D', 'E', 'N', 'T', 'I', 'T', 'Y', 0};
  void* label = OPENSSL_memdup(kLabel, sizeof(kLabel));
  Bytes seed(256);
  size_t seed_len = seed.size();
  bool ok = ctx && label != nullptr && EVP_PKEY_decrypt_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) == 1;
  if (ok && EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, static_cast<int>(sizeof(kLabel))) == 1) {
    label = nullptr;  // owned by ctx now
    ok = EVP_PKEY_decrypt(ctx.get(), seed.data(), &seed_len, enc.secret, enc.size) == 1;
  } else {
    ok = false;
  }
  OPENSSL_free(label);
  if (!ok) fail("RSA-OAEP decryption of the credential seed failed");
  seed.resize(seed_len);

  // TPMS_ID_OBJECT: TPM2B_DIGEST integrityHMAC || encIdentity.
  TPM2B_ID_OBJECT id{};
  off = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credential_blob.data(), credential_blob.size(), &off, &id) != TSS2_RC_SUCCESS ||
      off != credential_blob.size()) {
    fail("TPM2B_ID_OBJECT does not decode");
  }
  TPM2B_DIGEST integrity{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(id.credential, id.size, &off, &integrity) != TSS2_RC_SUCCESS) {
    fail("integrityHMAC does not decode");
  }
  const std::span<const uint8_t> enc_identity(id.credential + off, id.size - off);

  // Part 1 §24.5: HMAC_nameAlg(KDFa(seed, "INTEGRITY", -, -, 256), encIdentity || Name(AK)).
  const auto hmac_key = kdfa_or_throw(seed, "INTEGRITY", {}, 256);
  Bytes hmac_in(enc_identity.begin(), enc_identity.end());
  hmac_in.insert(hmac_in.end(), ak_name_.begin(), ak_name_.end());
  std::array<uint8_t, 32> mac{};
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, hmac_key.data(), hmac_key.size(), hmac_in.data(),
                hmac_in.size(), mac.data(), mac.size(), &mac_len) == nullptr ||
      mac_len != mac.size()) {
    fail("HMAC");
  }
  if (integrity.size != mac.size() || CRYPTO_memcmp(integrity.buffer, mac.data(), mac.size()) != 0) {
    fail("credential integrity check failed (TPM_RC_INTEGRITY): wrong EK or AK Name");
  }

  // Part 1 §24.4: AES-128-CFB(KDFa(seed, "STORAGE", Name(AK), -, 128), IV 0) over TPM2B_DIGEST.
  const auto sym_key = kdfa_or_throw(seed, "STORAGE", ak_name_, 128);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> c(EVP_CIPHER_CTX_new());
  const uint8_t iv[16] = {};
  Bytes plain(enc_identity.size() + 16);
  int n1 = 0;
  int n2 = 0;
  if (!c || EVP_DecryptInit_ex(c.get(), EVP_aes_128_cfb128(), nullptr, sym_key.data(), iv) != 1 ||
      EVP_DecryptUpdate(c.get(), plain.data(), &n1, enc_identity.data(), static_cast<int>(enc_identity.size())) != 1 ||
      EVP_DecryptFinal_ex(c.get(), plain.data() + n1, &n2) != 1) {
    fail("AES-128-CFB decryption of encIdentity failed");
  }
  plain.resize(static_cast<size_t>(n1 + n2));
  TPM2B_DIGEST credential{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(plain.data(), plain.size(), &off, &credential) != TSS2_RC_SUCCESS ||
      off != plain.size()) {
    fail("decrypted credential is not a TPM2B_DIGEST");
  }
  return Bytes(credential.buffer, credential.buffer + credential.size);
}

Quote SimHost::quote(std::span<const uint8_t> nonce, const PcrSet& pcrs) const {
  TPMS_ATTEST a{};
  a.magic = TPM2_GENERATED_VALUE;
  a.type = TPM2_ST_ATTEST_QUOTE;
  // TPM2B_NAME calls its array `name`, not `buffer`.
  if (qualified_signer_.size() > sizeof(a.qualifiedSigner.name)) fail("qualifiedSigner too large");
  a.qualifiedSigner.size = static_cast<uint16_t>(qualified_signer_.size());
  std::memcpy(a.qualifiedSigner.name, qualified_signer_.data(), qualified_signer_.size());
  put(a.extraData, nonce, "extraData (nonce)");
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
  a.clockInfo.clock = clock_base_ + static_cast<uint64_t>(elapsed);
  a.clockInfo.resetCount = reset_count_;
  a.clockInfo.restartCount = 0;
  a.clockInfo.safe = 1;  // YES
  a.firmwareVersion = kFirmwareVersion;
  TPMS_PCR_SELECTION& sel = a.attested.quote.pcrSelect.pcrSelections[0];
  a.attested.quote.pcrSelect.count = 1;
  sel.hash = TPM2_ALG_SHA256;
  sel.sizeofSelect = 3;  // PCRs 0-23 (Part 2, TPMS_PCR_SELECT: PCR_SELECT_MIN)
  for (uint32_t i : pcrs.indices) sel.pcrSelect[i / 8] = static_cast<uint8_t>(sel.pcrSelect[i / 8] | (1u << (i % 8)));
  put(a.attested.quote.pcrDigest, pcrs.pcr_digest, "pcrDigest");

  Quote q;
  q.attest = marshal(a, Tss2_MU_TPMS_ATTEST_Marshal, "TPMS_ATTEST");

  // Part 3 §18.4: the AK signs H_sha256(TPMS_ATTEST) with its scheme.
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, ak_.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, q.attest.data(), q.attest.size()) != 1) {
    fail("quote signature init");
  }
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, q.attest.data(), q.attest.size()) != 1) fail("quote signature");
  sig.resize(len);

  TPMT_SIGNATURE s{};
  if (ak_kind_ == AkKind::rsa2048) {
    s.sigAlg = TPM2_ALG_RSASSA;
    s.signature.rsassa.hash = TPM2_ALG_SHA256;
    put(s.signature.rsassa.sig, sig, "RSASSA signature");
  } else {
    // The TPM gives r and s as TPM2B_ECC_PARAMETER, each the size of the curve's field.
    const uint8_t* p = sig.data();
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    if (!es) fail("ECDSA signature DER");
    s.sigAlg = TPM2_ALG_ECDSA;
    s.signature.ecdsa.hash = TPM2_ALG_SHA256;
    s.signature.ecdsa.signatureR.size = 32;
    s.signature.ecdsa.signatureS.size = 32;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), s.signature.ecdsa.signatureR.buffer, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), s.signature.ecdsa.signatureS.buffer, 32) != 32) {
      fail("ECDSA r/s");
    }
  }
  q.signature = marshal(s, Tss2_MU_TPMT_SIGNATURE_Marshal, "TPMT_SIGNATURE");
  return q;
}

}  // namespace attestd::loadgen
