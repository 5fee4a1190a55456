// TPMT_SIGNATURE decoding through libtss2-mu and signature verification with OpenSSL 3.
#include "attestd/evidence/tpm/signature.h"

#include <fmt/format.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <array>

#include "attestd/evidence/byte_reader.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/reasons.h"
#include "ossl.h"
#include "public_key_impl.h"

namespace attestd::evidence::tpm {

namespace {

using detail::BnPtr;
using detail::EcdsaSigPtr;
using detail::PkeyCtxPtr;

constexpr uint16_t kAlgRsassa = 0x0014;
constexpr uint16_t kAlgRsapss = 0x0016;
constexpr uint16_t kAlgEcdsa = 0x0018;

std::unexpected<Error> fail(std::string_view id, std::string message) {
  detail::clear_openssl_errors();
  return std::unexpected(Error{id, std::move(message)});
}

std::string_view scheme_name(SigScheme s) {
  switch (s) {
    case SigScheme::rsassa: return "RSASSA";
    case SigScheme::rsapss: return "RSAPSS";
    case SigScheme::ecdsa: return "ECDSA";
  }
  return "unknown";
}

std::optional<size_t> scheme_slot(SigScheme s) {
  switch (s) {
    case SigScheme::rsassa: return 0;
    case SigScheme::rsapss: return 1;
    case SigScheme::ecdsa: return 2;
  }
  return std::nullopt;
}

std::optional<size_t> hash_slot(HashAlg h) {
  switch (h) {
    case HashAlg::sha1: return 0;
    case HashAlg::sha256: return 1;
    case HashAlg::sha384: return 2;
    case HashAlg::sha512: return 3;
    case HashAlg::sm3_256: return std::nullopt;
  }
  return std::nullopt;
}

// A verification context with padding, digest and salt length set (see public_key_impl.h).
PkeyCtxPtr make_verify_template(EVP_PKEY* pkey, SigScheme scheme, HashAlg hash) {
  const EVP_MD* md = evp_md(hash);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (md == nullptr || !ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return nullptr;
  if (scheme == SigScheme::rsassa) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) return nullptr;
  } else if (scheme == SigScheme::rsapss) {
    // TPMs sign PSS with MGF1 over the signature hash and either the largest salt the key allows
    // or a digest-sized one (TPM 2.0 Part 1, B.7): recover it from the signature (AUTO).
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1) {
      return nullptr;
    }
  }
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return nullptr;
  return ctx;
}

// A fresh context for this verification, duplicated from the key's prepared one.
PkeyCtxPtr verify_context(const PublicKey& key, SigScheme scheme, HashAlg hash) {
  const auto& impl = PublicKeyAccess::impl(key);
  const auto s = scheme_slot(scheme);
  const auto h = hash_slot(hash);
  if (!s || !h) return nullptr;
  const size_t slot = *s * kHashSlots + *h;
  std::call_once(impl.verify_once[slot], [&] {
    impl.verify_template[slot] = make_verify_template(impl.pkey.get(), scheme, hash);
  });
  const EVP_PKEY_CTX* tmpl = impl.verify_template[slot].get();
  if (tmpl == nullptr) return nullptr;
  return PkeyCtxPtr(EVP_PKEY_CTX_dup(tmpl));
}

// ECDSA r, s as DER Ecdsa-Sig-Value (RFC 3279, 2.2.3), the form OpenSSL verifies. At most
// 2 x (66 + header) bytes for the curves we accept; r and s too long for them fail earlier.
std::expected<std::vector<uint8_t>, Error> ecdsa_der(std::span<const uint8_t> r_bytes, std::span<const uint8_t> s_bytes) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(r_bytes.data(), static_cast<int>(r_bytes.size()), nullptr));
  BnPtr s(BN_bin2bn(s_bytes.data(), static_cast<int>(s_bytes.size()), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(kSignatureInvalid, "cannot encode the ECDSA signature");
  }
  // ECDSA_SIG_set0 took ownership.
  (void)r.release();
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return fail(kSignatureInvalid, "cannot encode the ECDSA signature");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return fail(kSignatureInvalid, "cannot encode the ECDSA signature");
  return der;
}

}  // namespace

std::expected<Signature, Error> parse_tpmt_signature(std::span<const uint8_t> bytes) {
  // TPMT_SIGNATURE (Part 2, Table 217): sigAlg selects the TPMU_SIGNATURE member (Table 216).
  // An algorithm we do not verify is reported as such before decoding its union member.
  ByteReader r(bytes);
  uint16_t sig_alg = 0;
  if (!r.read_u16_be(sig_alg)) {
    return fail(kSignatureMalformed, fmt::format("TPMT_SIGNATURE of {} bytes", bytes.size()));
  }
  if (sig_alg != kAlgRsassa && sig_alg != kAlgRsapss && sig_alg != kAlgEcdsa) {
    return fail(kSignatureUnsupported,
                fmt::format("signature algorithm 0x{:04x} (only RSASSA, RSAPSS and ECDSA)", sig_alg));
  }
  TPMT_SIGNATURE sig{};
  size_t offset = 0;
  const TSS2_RC rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(bytes.data(), bytes.size(), &offset, &sig);
  if (rc != TSS2_RC_SUCCESS) {
    return fail(kSignatureMalformed,
                fmt::format("TPMT_SIGNATURE of {} bytes does not decode (tss2-mu rc 0x{:x})", bytes.size(), rc));
  }
  if (offset != bytes.size()) {
    return fail(kSignatureTrailingBytes, fmt::format("TPMT_SIGNATURE ends at byte {} of {}", offset, bytes.size()));
  }
  // TPMS_SCHEME_HASH.hashAlg of every member we accept sits first (Tables 214/215).
  const uint16_t hash_id = sig.signature.any.hashAlg;
  const auto hash = hash_alg_from_tpm_id(hash_id);
  if (!hash || *hash == HashAlg::sm3_256) {
    return fail(kSignatureUnsupported,
                fmt::format("signature hash 0x{:04x} (only SHA-1, SHA-256, SHA-384, SHA-512)", hash_id));
  }
  Signature out;
  out.hash = *hash;
  if (sig_alg == kAlgEcdsa) {
    // TPMS_SIGNATURE_ECC (Table 215).
    const auto& e = sig.signature.ecdsa;
    if (e.signatureR.size == 0 || e.signatureS.size == 0) {
      return fail(kSignatureMalformed, fmt::format("ECDSA signature with r of {} and s of {} bytes",
                                                   e.signatureR.size, e.signatureS.size));
    }
    out.scheme = SigScheme::ecdsa;
    out.ecdsa_r.assign(e.signatureR.buffer, e.signatureR.buffer + e.signatureR.size);
    out.ecdsa_s.assign(e.signatureS.buffer, e.signatureS.buffer + e.signatureS.size);
  } else {
    // TPMS_SIGNATURE_RSA (Table 214).
    const auto& s = sig_alg == kAlgRsassa ? sig.signature.rsassa : sig.signature.rsapss;
    if (s.sig.size == 0) return fail(kSignatureMalformed, "RSA signature of 0 bytes");
    out.scheme = sig_alg == kAlgRsassa ? SigScheme::rsassa : SigScheme::rsapss;
    out.rsa.assign(s.sig.buffer, s.sig.buffer + s.sig.size);
  }
  return out;
}

Signature raw_rsa_signature(std::span<const uint8_t> sig, SigScheme scheme, HashAlg hash) {
  Signature out;
  out.scheme = scheme;
  out.hash = hash;
  out.rsa.assign(sig.begin(), sig.end());
  return out;
}

std::expected<void, Error> verify_signature_digest(const PublicKey& key, std::span<const uint8_t> digest,
                                                   const Signature& sig) {
  const bool rsa_sig = sig.scheme == SigScheme::rsassa || sig.scheme == SigScheme::rsapss;
  if (rsa_sig != (key.type() == KeyType::rsa)) {
    return fail(kSignatureKeyMismatch, fmt::format("{} signature for an {} key", scheme_name(sig.scheme),
                                                   key.type() == KeyType::rsa ? "RSA" : "ECC"));
  }
  if (!hash_slot(sig.hash)) {
    return fail(kSignatureUnsupported, fmt::format("signature hash {}", hash_alg_name(sig.hash)));
  }
  // A TPM signs only with keys whose TPMA_OBJECT.sign is SET (Part 2, Table 31), and with the
  // scheme fixed in their public area when there is one (Part 2, Tables 180/183; Part 3, 18.4.2
  // TPM_RC_SCHEME): anything else did not come from that key in a TPM.
  if (const auto attrs = key.object_attributes(); attrs && (*attrs & kObjectSign) == 0) {
    return fail(kSignatureSchemeNotAllowed,
                fmt::format("the key's TPMA_OBJECT 0x{:08x} has sign CLEAR: it cannot sign", *attrs));
  }
  if (const auto fixed = key.scheme(); fixed && (fixed->scheme != sig.scheme || fixed->hash != sig.hash)) {
    return fail(kSignatureSchemeNotAllowed,
                fmt::format("signature is {}-{} but the key is restricted to {}-{}", scheme_name(sig.scheme),
                            hash_alg_name(sig.hash), scheme_name(fixed->scheme), hash_alg_name(fixed->hash)));
  }
  if (digest.size() != digest_size(sig.hash)) {
    return fail(kSignatureInvalid, fmt::format("digest of {} bytes for {}", digest.size(), hash_alg_name(sig.hash)));
  }

  std::vector<uint8_t> der;
  std::span<const uint8_t> sig_bytes;
  if (rsa_sig) {
    sig_bytes = sig.rsa;
  } else {
    // r and s are integers modulo the group order: longer than the field cannot be valid.
    const size_t max_len = key.bits() / 8;
    if (sig.ecdsa_r.size() > max_len + 1 || sig.ecdsa_s.size() > max_len + 1) {
      return fail(kSignatureInvalid, fmt::format("ECDSA r of {} and s of {} bytes for a {}-bit curve",
                                                 sig.ecdsa_r.size(), sig.ecdsa_s.size(), key.bits()));
    }
    auto encoded = ecdsa_der(sig.ecdsa_r, sig.ecdsa_s);
    if (!encoded) return std::unexpected(encoded.error());
    der = std::move(*encoded);
    sig_bytes = der;
  }

  PkeyCtxPtr ctx = verify_context(key, sig.scheme, sig.hash);
  if (!ctx) return fail(kSignatureInvalid, "cannot set up the verification");
  if (EVP_PKEY_verify(ctx.get(), sig_bytes.data(), sig_bytes.size(), digest.data(), digest.size()) != 1) {
    return fail(kSignatureInvalid, fmt::format("{}-{} signature does not verify with the {}-bit {} key",
                                               scheme_name(sig.scheme), hash_alg_name(sig.hash), key.bits(),
                                               key.type() == KeyType::rsa ? "RSA" : "ECC"));
  }
  return {};
}

std::expected<void, Error> verify_signature(const PublicKey& key, std::span<const uint8_t> message,
                                            const Signature& sig) {
  if (!hash_slot(sig.hash)) {
    return fail(kSignatureUnsupported, fmt::format("signature hash {}", hash_alg_name(sig.hash)));
  }
  const Digest digest = hash(sig.hash, message);
  return verify_signature_digest(key, digest.bytes(), sig);
}

}  // namespace attestd::evidence::tpm
