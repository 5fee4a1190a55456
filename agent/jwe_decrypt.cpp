#include "jwe_decrypt.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <array>
#include <memory>
#include <vector>

namespace attestd::agent {

namespace {

constexpr size_t kCekSize = 32;     // A256GCM
constexpr size_t kGcmIvSize = 12;   // RFC 7518 §5.3: 96-bit IV
constexpr size_t kGcmTagSize = 16;  // 128-bit tag
constexpr size_t kP256CoordSize = 32;

Error malformed(std::string m) {
  return {"jwe.malformed", std::move(m)};
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// RFC 7518 §4.3: RSAES-OAEP with SHA-256 and MGF1 with SHA-256.
std::expected<Bytes, Error> unwrap_rsa_oaep(const EphemeralKey& key, const Bytes& encrypted_key) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len, encrypted_key.data(), encrypted_key.size()) != 1) {
    return std::unexpected(Error{"jwe.key_unwrap_failed", "RSA-OAEP-256 setup failed"});
  }
  Bytes cek(len);
  if (EVP_PKEY_decrypt(ctx.get(), cek.data(), &len, encrypted_key.data(), encrypted_key.size()) != 1) {
    return std::unexpected(Error{"jwe.key_unwrap_failed", "RSA-OAEP-256 refused the encrypted key"});
  }
  cek.resize(len);
  return cek;
}

std::optional<std::string> header_string(const nlohmann::json& h, const char* name) {
  const auto it = h.find(name);
  if (it == h.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The ephemeral public key of the header (RFC 7518 §4.6.1.1) as an OpenSSL key on P-256; OpenSSL
// checks the point is on the curve when it builds the key.
std::expected<Pkey, Error> epk_from_header(const nlohmann::json& header) {
  const auto it = header.find("epk");
  if (it == header.end() || !it->is_object()) return std::unexpected(malformed("ECDH-ES without an epk"));
  const auto kty = header_string(*it, "kty"), crv = header_string(*it, "crv");
  const auto x = header_string(*it, "x"), y = header_string(*it, "y");
  if (kty != "EC" || crv != "P-256" || !x || !y) {
    return std::unexpected(Error{"jwe.key_mismatch", "epk is not an EC P-256 public key"});
  }
  const auto xb = base64url_decode(*x), yb = base64url_decode(*y);
  if (!xb || !yb || xb->size() != kP256CoordSize || yb->size() != kP256CoordSize) {
    return std::unexpected(malformed("epk coordinates are not 32 bytes of base64url"));
  }
  std::array<uint8_t, 1 + 2 * kP256CoordSize> point{};
  point[0] = 0x04;  // SEC 1 §2.3.3 uncompressed point
  std::copy(xb->begin(), xb->end(), point.begin() + 1);
  std::copy(yb->begin(), yb->end(), point.begin() + 1 + kP256CoordSize);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  const bool ok = params != nullptr && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                  EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  Pkey epk(raw);
  if (!ok) return std::unexpected(Error{"jwe.key_mismatch", "epk is not a point on P-256"});
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, epk.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return std::unexpected(Error{"jwe.key_mismatch", "epk is not a point on P-256"});
  }
  return epk;
}

void append_be32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s & 0xff));
}

void append_length_prefixed(Bytes& out, std::span<const uint8_t> data) {
  append_be32(out, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

// RFC 7518 §4.6.2: Concat KDF (SP 800-56A §5.8.1) with SHA-256, one round for a 256-bit key:
//   SHA-256(00000001 ‖ Z ‖ len‖alg ‖ len‖apu ‖ len‖apv ‖ keydatalen)
Bytes concat_kdf(std::span<const uint8_t> z, std::string_view alg, std::span<const uint8_t> apu,
                 std::span<const uint8_t> apv) {
  Bytes input;
  append_be32(input, 1);
  input.insert(input.end(), z.begin(), z.end());
  append_length_prefixed(input, std::span(reinterpret_cast<const uint8_t*>(alg.data()), alg.size()));
  append_length_prefixed(input, apu);
  append_length_prefixed(input, apv);
  append_be32(input, kCekSize * 8);
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(input.data(), input.size(), out.data());
  return out;
}

std::expected<Bytes, Error> unwrap_ecdh_es_a256kw(const EphemeralKey& key, const nlohmann::json& header,
                                                  const Bytes& encrypted_key) {
  auto epk = epk_from_header(header);
  if (!epk) return std::unexpected(epk.error());
  Bytes apu, apv;
  for (auto [name, out] : {std::pair{"apu", &apu}, std::pair{"apv", &apv}}) {
    if (!header.contains(name)) continue;
    const auto text = header_string(header, name);
    auto decoded = text ? base64url_decode(*text) : std::nullopt;
    if (!decoded) return std::unexpected(malformed(std::string(name) + " is not base64url"));
    *out = std::move(*decoded);
  }
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey(), nullptr));
  size_t z_len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), epk->get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &z_len) != 1) {
    return std::unexpected(Error{"jwe.key_mismatch", "ECDH with the epk failed"});
  }
  Bytes z(z_len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &z_len) != 1) {
    return std::unexpected(Error{"jwe.key_mismatch", "ECDH with the epk failed"});
  }
  z.resize(z_len);
  const Bytes kek = concat_kdf(z, "ECDH-ES+A256KW", apu, apv);
  OPENSSL_cleanse(z.data(), z.size());

  // RFC 3394 AES key unwrap: the integrity check value fails on any other KEK or blob.
  if (encrypted_key.size() != kCekSize + 8) {
    return std::unexpected(Error{"jwe.key_unwrap_failed", "the wrapped key is not a wrapped 256-bit key"});
  }
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> c(EVP_CIPHER_CTX_new());
  Bytes cek(encrypted_key.size() + 8);
  int len = 0, final_len = 0;
  EVP_CIPHER_CTX_set_flags(c.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  const bool ok =
      EVP_DecryptInit_ex(c.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1 &&
      EVP_DecryptUpdate(c.get(), cek.data(), &len, encrypted_key.data(), static_cast<int>(encrypted_key.size())) == 1 &&
      EVP_DecryptFinal_ex(c.get(), cek.data() + len, &final_len) == 1;
  if (!ok) return std::unexpected(Error{"jwe.key_unwrap_failed", "AES key unwrap refused the encrypted key"});
  cek.resize(static_cast<size_t>(len + final_len));
  return cek;
}

}  // namespace

std::expected<Bytes, Error> jwe_decrypt(std::string_view compact, const EphemeralKey& key) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = compact.find('.', start);
    parts.push_back(compact.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 5) return std::unexpected(malformed("a compact JWE has five parts"));
  const auto header_bytes = base64url_decode(parts[0]);
  const auto encrypted_key = base64url_decode(parts[1]);
  const auto iv = base64url_decode(parts[2]);
  const auto ciphertext = base64url_decode(parts[3]);
  const auto tag = base64url_decode(parts[4]);
  if (!header_bytes || !encrypted_key || !iv || !ciphertext || !tag) {
    return std::unexpected(malformed("a part is not base64url"));
  }
  const auto header = nlohmann::json::parse(header_bytes->begin(), header_bytes->end(), nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return std::unexpected(malformed("the header is not a JSON object"));
  const auto alg = header_string(header, "alg"), enc = header_string(header, "enc");
  if (header.contains("zip") || header.contains("crit")) {
    return std::unexpected(Error{"jwe.header_unsupported", "zip and crit are not accepted"});
  }
  if (enc != "A256GCM") return std::unexpected(Error{"jwe.enc_unsupported", "only enc A256GCM is accepted"});
  if (iv->size() != kGcmIvSize || tag->size() != kGcmTagSize) {
    return std::unexpected(malformed("A256GCM needs a 96-bit IV and a 128-bit tag"));
  }

  std::expected<Bytes, Error> cek = std::unexpected(Error{});
  if (alg == "RSA-OAEP-256") {
    if (key.type() != EphemeralKeyType::rsa3072) {
      return std::unexpected(Error{"jwe.key_mismatch", "RSA-OAEP-256 to an EC key"});
    }
    cek = unwrap_rsa_oaep(key, *encrypted_key);
  } else if (alg == "ECDH-ES+A256KW") {
    if (key.type() != EphemeralKeyType::p256) {
      return std::unexpected(Error{"jwe.key_mismatch", "ECDH-ES+A256KW to an RSA key"});
    }
    cek = unwrap_ecdh_es_a256kw(key, header, *encrypted_key);
  } else {
    return std::unexpected(Error{"jwe.alg_unsupported", "only RSA-OAEP-256 and ECDH-ES+A256KW are accepted"});
  }
  if (!cek) return std::unexpected(cek.error());
  if (cek->size() != kCekSize) {
    OPENSSL_cleanse(cek->data(), cek->size());
    return std::unexpected(Error{"jwe.key_unwrap_failed", "the content key is not 256 bits"});
  }

  // RFC 7516 §5.2 step 14: AAD is the protected header exactly as transmitted.
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> c(EVP_CIPHER_CTX_new());
  Bytes plain(ciphertext->size() + kGcmTagSize);
  int len = 0, aad_len = 0, final_len = 0;
  Bytes tag_copy = *tag;
  const bool ok =
      c && EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmIvSize), nullptr) == 1 &&
      EVP_DecryptInit_ex(c.get(), nullptr, nullptr, cek->data(), iv->data()) == 1 &&
      EVP_DecryptUpdate(c.get(), nullptr, &aad_len, reinterpret_cast<const uint8_t*>(parts[0].data()),
                        static_cast<int>(parts[0].size())) == 1 &&
      EVP_DecryptUpdate(c.get(), plain.data(), &len, ciphertext->data(), static_cast<int>(ciphertext->size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize), tag_copy.data()) == 1 &&
      EVP_DecryptFinal_ex(c.get(), plain.data() + len, &final_len) == 1;
  OPENSSL_cleanse(cek->data(), cek->size());
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::unexpected(Error{"jwe.decrypt_failed", "the A256GCM tag does not verify"});
  }
  plain.resize(static_cast<size_t>(len + final_len));
  return plain;
}

}  // namespace attestd::agent
