// Hashing through OpenSSL with the message digests fetched once per process.
#pragma once

#include <span>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash_alg.h"

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace attestd::evidence {

// The OpenSSL digest for alg, fetched once; nullptr if this OpenSSL lacks it (sm3 may be absent).
const EVP_MD* evp_md(HashAlg alg);

// H(data). An algorithm OpenSSL lacks yields an empty Digest.
Digest hash(HashAlg alg, std::span<const uint8_t> data);

// PCR extend: H(pcr || digest) (TPM 2.0 Part 1, 17.2).
Digest extend(HashAlg alg, const Digest& pcr, std::span<const uint8_t> digest);

// Incremental hashing for data that arrives in pieces.
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::span<const uint8_t> data);
  Digest finish();

 private:
  EVP_MD_CTX* ctx_;
  bool ok_;
};

}  // namespace attestd::evidence
