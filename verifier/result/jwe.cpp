// JWE compact serialization (RFC 7516) with RSA-OAEP-256 or ECDH-ES+A256KW and A256GCM (RFC 7518).
#include "attestd/result/jwe.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "ossl.h"

namespace attestd::result {
namespace {

using namespace detail;

constexpr size_t kCekSize = 32;      // A256GCM: 256-bit key (RFC 7518 §5.3)
constexpr size_t kIvSize = 12;       // 96-bit IV (RFC 7518 §5.3)
constexpr size_t kTagSize = 16;      // 128-bit tag (RFC 7518 §5.3)
constexpr size_t kWrapOverhead = 8;  // AES Key Wrap adds one 64-bit block (RFC 3394 §2.2.1)
constexpr std::string_view kEnc = "A256GCM";
constexpr std::string_view kAlgRsa = "RSA-OAEP-256";
constexpr std::string_view kAlgEcdh = "ECDH-ES+A256KW";

// A buffer of secret bytes that is wiped however the function leaves.
template <size_t N>
struct Secret {
  std::array<uint8_t, N> bytes{};
  Secret() = default;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Error crypto(std::string_view what) {
  clear_errors();
  return Error{kJweCryptoError, fmt::format("JWE: {} failed", what)};
}

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;

// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 7518 §4.3).
std::expected<std::vector<uint8_t>, Error> rsa_oaep_256(EVP_PKEY* pkey, std::span<const uint8_t> cek) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return std::unexpected(crypto("RSA-OAEP-256 setup"));
  }
  size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, cek.data(), cek.size()) != 1) {
    return std::unexpected(crypto("RSA-OAEP-256 size"));
  }
  std::vector<uint8_t> out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, cek.data(), cek.size()) != 1) {
    return std::unexpected(crypto("RSA-OAEP-256"));
  }
  out.resize(len);
  return out;
}

// Concat KDF (NIST SP 800-56A §5.8.1) as RFC 7518 §4.6.2 profiles it, for one 256-bit output,
// which with SHA-256 is a single round: SHA-256(00000001 ‖ Z ‖ OtherInfo), where OtherInfo =
// len32(AlgorithmID) ‖ AlgorithmID ‖ len32(apu)=0 ‖ len32(apv)=0 ‖ keydatalen32=256.
bool concat_kdf(std::span<const uint8_t> z, std::array<uint8_t, 32>& out) {
  std::vector<uint8_t> input;
  input.reserve(4 + z.size() + 4 + kAlgEcdh.size() + 12);
  const auto be32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<uint8_t>(v >> shift));
  };
  be32(1);
  input.insert(input.end(), z.begin(), z.end());
  be32(static_cast<uint32_t>(kAlgEcdh.size()));
  input.insert(input.end(), kAlgEcdh.begin(), kAlgEcdh.end());
  be32(0);    // PartyUInfo: apu absent
  be32(0);    // PartyVInfo: apv absent
  be32(256);  // SuppPubInfo: keydatalen in bits
  unsigned int len = 0;
  const bool ok = EVP_Digest(input.data(), input.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 && len == 32;
  OPENSSL_cleanse(input.data(), input.size());
  return ok;
}

// AES-256 Key Wrap (RFC 3394) of the CEK under kek.
std::expected<std::vector<uint8_t>, Error> aes_key_wrap(std::span<const uint8_t, 32> kek,
                                                        std::span<const uint8_t> cek) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return std::unexpected(crypto("key wrap context"));
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) != 1) {
    return std::unexpected(crypto("key wrap init"));
  }
  std::vector<uint8_t> out(cek.size() + kWrapOverhead);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, cek.data(), static_cast<int>(cek.size())) != 1 ||
      static_cast<size_t>(len) != out.size()) {
    return std::unexpected(crypto("key wrap"));
  }
  return out;
}

struct EcdhResult {
  nlohmann::json epk;
  std::vector<uint8_t> wrapped;
};

// ECDH-ES+A256KW (RFC 7518 §4.6): an ephemeral key on the recipient's curve, Z from ECDH, the KEK
// from the Concat KDF, the CEK wrapped under it.
std::expected<EcdhResult, Error> ecdh_es_a256kw(const PublicJwk& recipient, std::span<const uint8_t> cek) {
  const char* curve = recipient.type() == JwkType::kEcP256 ? "P-256" : "P-384";
  PkeyPtr eph(EVP_EC_gen(curve));
  if (!eph) return std::unexpected(crypto("ephemeral key generation"));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), recipient.pkey()) != 1) {
    return std::unexpected(crypto("ECDH setup"));
  }
  size_t zlen = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &zlen) != 1 || zlen > 66) return std::unexpected(crypto("ECDH size"));
  Secret<66> z;
  if (EVP_PKEY_derive(ctx.get(), z.bytes.data(), &zlen) != 1) return std::unexpected(crypto("ECDH"));
  Secret<32> kek;
  if (!concat_kdf(std::span<const uint8_t>(z.bytes.data(), zlen), kek.bytes)) {
    return std::unexpected(crypto("Concat KDF"));
  }
  auto wrapped = aes_key_wrap(kek.bytes, cek);
  if (!wrapped) return std::unexpected(std::move(wrapped.error()));
  // The epk member (RFC 7518 §4.6.1.1): our own fresh key needs no validation, only its public
  // coordinates, each the full coordinate size (RFC 7518 §6.2.1.2).
  const size_t coordinate = recipient.type() == JwkType::kEcP256 ? 32 : 48;
  std::array<uint8_t, 48> xy[2]{};
  const char* params[2] = {OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y};
  for (int i = 0; i < 2; ++i) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(eph.get(), params[i], &raw) != 1) return std::unexpected(crypto("epk export"));
    BnPtr bn(raw);
    if (BN_bn2binpad(bn.get(), xy[i].data(), static_cast<int>(coordinate)) < 0) {
      return std::unexpected(crypto("epk encoding"));
    }
  }
  nlohmann::json epk = {{"kty", "EC"},
                        {"crv", curve},
                        {"x", base64url_encode(std::span<const uint8_t>(xy[0].data(), coordinate))},
                        {"y", base64url_encode(std::span<const uint8_t>(xy[1].data(), coordinate))}};
  return EcdhResult{std::move(epk), std::move(*wrapped)};
}

bool printable_ascii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string_view jwe_alg_for(JwkType type) { return type == JwkType::kRsa ? kAlgRsa : kAlgEcdh; }

std::expected<std::string, Error> encrypt_jwe(const PublicJwk& recipient, std::string_view kid,
                                              std::span<const uint8_t> plaintext) {
  if (kid.empty() || kid.size() > 256 || !printable_ascii(kid)) {
    return std::unexpected(Error{kJweInputInvalid, "JWE: kid must be 1..256 printable ASCII characters"});
  }
  if (plaintext.size() > kMaxJwePlaintext) {
    return std::unexpected(Error{kJweInputInvalid, fmt::format("JWE: plaintext of {} bytes exceeds {}",
                                                               plaintext.size(), kMaxJwePlaintext)});
  }
  Secret<kCekSize> cek;
  std::array<uint8_t, kIvSize> iv{};
  if (RAND_bytes(cek.bytes.data(), kCekSize) != 1 || RAND_bytes(iv.data(), kIvSize) != 1) {
    return std::unexpected(crypto("random bytes"));
  }

  nlohmann::json header = {{"alg", jwe_alg_for(recipient.type())}, {"enc", kEnc}, {"kid", kid}};
  std::vector<uint8_t> encrypted_key;
  if (recipient.type() == JwkType::kRsa) {
    auto wrapped = rsa_oaep_256(recipient.pkey(), cek.bytes);
    if (!wrapped) return std::unexpected(std::move(wrapped.error()));
    encrypted_key = std::move(*wrapped);
  } else {
    auto agreed = ecdh_es_a256kw(recipient, cek.bytes);
    if (!agreed) return std::unexpected(std::move(agreed.error()));
    header["epk"] = std::move(agreed->epk);
    encrypted_key = std::move(agreed->wrapped);
  }
  // RFC 7516 §5.1 steps 13-15: the AAD is the encoded protected header exactly as transmitted.
  const std::string encoded_header = base64url_encode(header.dump());

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kIvSize), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, cek.bytes.data(), iv.data()) != 1) {
    return std::unexpected(crypto("A256GCM setup"));
  }
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(encoded_header.data()),
                        static_cast<int>(encoded_header.size())) != 1) {
    return std::unexpected(crypto("A256GCM AAD"));
  }
  std::vector<uint8_t> ciphertext(plaintext.size());
  size_t produced = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ciphertext.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) !=
        1) {
      return std::unexpected(crypto("A256GCM"));
    }
    produced = static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ciphertext.data() + produced, &len) != 1) {
    return std::unexpected(crypto("A256GCM final"));
  }
  std::array<uint8_t, kTagSize> tag{};
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag.data()) != 1) {
    return std::unexpected(crypto("A256GCM tag"));
  }
  return fmt::format("{}.{}.{}.{}.{}", encoded_header, base64url_encode(encrypted_key), base64url_encode(iv),
                     base64url_encode(ciphertext), base64url_encode(tag));
}

}  // namespace attestd::result
