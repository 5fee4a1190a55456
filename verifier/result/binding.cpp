#include "attestd/result/binding.h"

#include "ossl.h"

namespace attestd::result {

std::vector<uint8_t> binding(std::span<const uint8_t> nonce, const PublicJwk& tee_key) {
  // DESIGN §1: SHA-256(nonce ‖ RFC 7638 thumbprint as raw bytes).
  std::vector<uint8_t> out(32);
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  const auto& tp = tee_key.thumbprint();
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), detail::sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), nonce.data(), nonce.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), tp.data(), tp.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 ||
      len != out.size()) {
    // Only memory exhaustion gets here; an empty binding matches no evidence, so the attestation
    // fails closed.
    detail::clear_errors();
    return {};
  }
  return out;
}

std::vector<uint8_t> binding(std::span<const uint8_t> nonce) { return {nonce.begin(), nonce.end()}; }

std::vector<uint8_t> binding(std::span<const uint8_t> nonce, const PublicJwk* tee_key) {
  return tee_key != nullptr ? binding(nonce, *tee_key) : binding(nonce);
}

}  // namespace attestd::result
