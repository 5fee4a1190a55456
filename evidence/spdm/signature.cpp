// SPDM transcript signatures with OpenSSL 3 (FORMATS-SPDM.md sections 5.2 and 5.4).
#include "attestd/evidence/spdm/signature.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>

#include "attestd/evidence/hash.h"
#include "attestd/evidence/spdm/algorithms.h"
#include "attestd/evidence/spdm/constants.h"
#include "attestd/evidence/spdm/reasons.h"
#include "ossl.h"

namespace attestd::evidence::spdm {

namespace {

std::unexpected<Error> fail(std::string_view id, std::string message) {
  ERR_clear_error();
  return std::unexpected(Error{id, std::move(message)});
}

enum class Scheme { ecdsa, rsassa, rsapss };

struct AsymInfo {
  Scheme scheme;
  int key_bits;
};

std::optional<AsymInfo> asym_info(uint32_t sel) {
  switch (sel) {
    case kAsymRsassa2048: return AsymInfo{Scheme::rsassa, 2048};
    case kAsymRsapss2048: return AsymInfo{Scheme::rsapss, 2048};
    case kAsymRsassa3072: return AsymInfo{Scheme::rsassa, 3072};
    case kAsymRsapss3072: return AsymInfo{Scheme::rsapss, 3072};
    case kAsymRsassa4096: return AsymInfo{Scheme::rsassa, 4096};
    case kAsymRsapss4096: return AsymInfo{Scheme::rsapss, 4096};
    case kAsymEcdsaP256: return AsymInfo{Scheme::ecdsa, 256};
    case kAsymEcdsaP384: return AsymInfo{Scheme::ecdsa, 384};
    case kAsymEcdsaP521: return AsymInfo{Scheme::ecdsa, 521};
    default: return std::nullopt;
  }
}

// DER Ecdsa-Sig-Value (RFC 3279 2.2.3) from r||s, each big-endian and zero-padded to the field
// size (DSP0274 1.2 clause 15; FORMATS-SPDM.md section 5.4). Largest: P-521, 2 x (66 + 3) + 3.
constexpr size_t kMaxEcdsaDer = 160;

std::optional<size_t> ecdsa_der(std::span<const uint8_t> raw, std::array<uint8_t, kMaxEcdsaDer>& out) {
  const size_t half = raw.size() / 2;
  detail::EcdsaSigPtr sig(ECDSA_SIG_new());
  detail::BnPtr r(BN_bin2bn(raw.data(), static_cast<int>(half), nullptr));
  detail::BnPtr s(BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  // ECDSA_SIG_set0 took ownership.
  (void)r.release();
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0 || static_cast<size_t>(len) > out.size()) return std::nullopt;
  uint8_t* p = out.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return static_cast<size_t>(len);
}

}  // namespace

std::vector<uint8_t> signing_context_message(uint8_t version, std::string_view context,
                                             std::span<const uint8_t> transcript_hash) {
  // DSP0274 1.2 clause 15: "dmtf-spdm-v" major "." minor ".*", 16 bytes, four times.
  std::array<char, 16> unit{'d', 'm', 't', 'f', '-', 's', 'p', 'd', 'm', '-', 'v', '1', '.', '2', '.', '*'};
  unit[11] = static_cast<char>('0' + (version >> 4));
  unit[13] = static_cast<char>('0' + (version & 0x0F));
  std::vector<uint8_t> m;
  m.reserve(kCombinedPrefixSize + kPaddedContextSize + transcript_hash.size());
  for (int i = 0; i < 4; ++i) m.insert(m.end(), unit.begin(), unit.end());
  const size_t ctx_len = std::min(context.size(), kPaddedContextSize);
  m.insert(m.end(), kPaddedContextSize - ctx_len, 0x00);
  m.insert(m.end(), context.begin(), context.begin() + static_cast<std::ptrdiff_t>(ctx_len));
  m.insert(m.end(), transcript_hash.begin(), transcript_hash.end());
  return m;
}

std::expected<void, Error> verify_transcript_signature(EVP_PKEY* key, const SignatureParams& params,
                                                       std::span<const std::span<const uint8_t>> transcript,
                                                       std::span<const uint8_t> signature) {
  const auto info = asym_info(params.base_asym);
  if (!info) {
    return fail(kAlgorithmUnsupported,
                fmt::format("BaseAsymSel 0x{:x} ({}) is not verified", params.base_asym, base_asym_name(params.base_asym)));
  }
  const EVP_MD* md = evp_md(params.base_hash);
  if (md == nullptr) return fail(kAlgorithmUnsupported, "the BaseHash algorithm is not available");
  if (key == nullptr) return fail(kKeyMismatch, "no responder key");

  // The key must be the kind BaseAsymSel names (libspdm checks the leaf's key type likewise).
  const int id = EVP_PKEY_get_base_id(key);
  const int bits = EVP_PKEY_get_bits(key);
  const bool type_ok = info->scheme == Scheme::ecdsa ? id == EVP_PKEY_EC : (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS);
  if (!type_ok || bits != info->key_bits) {
    return fail(kKeyMismatch, fmt::format("BaseAsymSel is {} but the key is a {}-bit {}", base_asym_name(params.base_asym),
                                          bits, id == EVP_PKEY_EC ? "EC key" : (id == EVP_PKEY_RSA ? "RSA key" : "key")));
  }
  const size_t want = *signature_size(params.base_asym);
  if (signature.size() != want) {
    return fail(kMeasurementsSignatureInvalid,
                fmt::format("signature of {} bytes, {} needs {}", signature.size(), base_asym_name(params.base_asym), want));
  }

  std::array<uint8_t, kMaxEcdsaDer> der{};
  std::span<const uint8_t> sig_bytes = signature;
  if (info->scheme == Scheme::ecdsa) {
    const auto len = ecdsa_der(signature, der);
    if (!len) return fail(kMeasurementsSignatureInvalid, "cannot encode the ECDSA signature");
    sig_bytes = std::span<const uint8_t>(der.data(), *len);
  }

  const SigningRecipe recipe = params.recipe != SigningRecipe::by_version
                                   ? params.recipe
                                   : (params.version >= kVersion12 ? SigningRecipe::signing_context
                                                                   : SigningRecipe::hash_of_transcript);
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1) {
    return fail(kMeasurementsSignatureInvalid, "cannot set up the verification");
  }
  if (info->scheme == Scheme::rsapss) {
    // libspdm signs RSAPSS with MGF1 over the same hash and a digest-sized salt.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return fail(kMeasurementsSignatureInvalid, "cannot set up RSAPSS");
    }
  } else if (info->scheme == Scheme::rsassa) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return fail(kMeasurementsSignatureInvalid, "cannot set up RSASSA");
    }
  }

  bool updated = true;
  if (recipe == SigningRecipe::hash_of_transcript) {
    // 1.0/1.1: the signature is over Hash(L1L2): OpenSSL hashes the transcript itself.
    for (auto piece : transcript) updated = updated && EVP_DigestVerifyUpdate(ctx.get(), piece.data(), piece.size()) == 1;
  } else {
    // 1.2+: over Hash(M), M = prefix || context || Hash(L1L2) (double hashing is correct).
    Hasher h(params.base_hash);
    for (auto piece : transcript) h.update(piece);
    const Digest th = h.finish();
    const auto m = signing_context_message(params.version, params.context, th.bytes());
    updated = EVP_DigestVerifyUpdate(ctx.get(), m.data(), m.size()) == 1;
  }
  if (!updated || EVP_DigestVerifyFinal(ctx.get(), sig_bytes.data(), sig_bytes.size()) != 1) {
    return fail(kMeasurementsSignatureInvalid,
                fmt::format("{} signature does not verify over the {} transcript ({} recipe)",
                            base_asym_name(params.base_asym), version_name(params.version),
                            recipe == SigningRecipe::hash_of_transcript ? "1.0/1.1 Hash(L1L2)"
                                                                        : "1.2+ signing-context"));
  }
  return {};
}

}  // namespace attestd::evidence::spdm
