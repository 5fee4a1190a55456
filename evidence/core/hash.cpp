#include "attestd/evidence/hash.h"

#include <openssl/evp.h>

#include <array>

namespace attestd::evidence {

namespace {

const char* openssl_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1: return "SHA1";
    case HashAlg::sha256: return "SHA2-256";
    case HashAlg::sha384: return "SHA2-384";
    case HashAlg::sha512: return "SHA2-512";
    case HashAlg::sm3_256: return "SM3";
  }
  return nullptr;
}

size_t slot(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1: return 0;
    case HashAlg::sha256: return 1;
    case HashAlg::sha384: return 2;
    case HashAlg::sha512: return 3;
    case HashAlg::sm3_256: return 4;
  }
  return 0;
}

// Explicit fetches avoid the implicit-fetch cost of EVP_sha256() on every call in OpenSSL 3.
struct FetchedDigests {
  std::array<EVP_MD*, 5> mds{};
  FetchedDigests() {
    for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512, HashAlg::sm3_256}) {
      mds[slot(alg)] = EVP_MD_fetch(nullptr, openssl_name(alg), nullptr);
    }
  }
  ~FetchedDigests() {
    for (EVP_MD* md : mds) EVP_MD_free(md);
  }
};

}  // namespace

const EVP_MD* evp_md(HashAlg alg) {
  static const FetchedDigests digests;
  return digests.mds[slot(alg)];
}

Digest hash(HashAlg alg, std::span<const uint8_t> data) {
  const EVP_MD* md = evp_md(alg);
  if (md == nullptr) return {};
  std::array<uint8_t, kMaxDigestSize> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
  return Digest(std::span<const uint8_t>(out.data(), len));
}

Digest extend(HashAlg alg, const Digest& pcr, std::span<const uint8_t> digest) {
  // Both halves fit on the stack: at most 2 x 64 bytes.
  std::array<uint8_t, 2 * kMaxDigestSize> buf{};
  const size_t a = pcr.size();
  const size_t b = std::min(digest.size(), kMaxDigestSize);
  std::copy_n(pcr.bytes().begin(), a, buf.begin());
  std::copy_n(digest.begin(), b, buf.begin() + static_cast<std::ptrdiff_t>(a));
  return hash(alg, std::span<const uint8_t>(buf.data(), a + b));
}

Hasher::Hasher(HashAlg alg) : ctx_(EVP_MD_CTX_new()), ok_(false) {
  const EVP_MD* md = evp_md(alg);
  ok_ = ctx_ != nullptr && md != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) == 1;
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

void Hasher::update(std::span<const uint8_t> data) {
  if (ok_) ok_ = EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1;
}

Digest Hasher::finish() {
  std::array<uint8_t, kMaxDigestSize> out{};
  unsigned int len = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1) return {};
  ok_ = false;
  return Digest(std::span<const uint8_t>(out.data(), len));
}

}  // namespace attestd::evidence
