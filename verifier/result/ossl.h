// Internal: owning pointers for the OpenSSL objects of the result layer, so that every object is
// freed on every path, and the digest fetched once per process.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace attestd::result::detail {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;
inline void free_ossl_bytes(unsigned char* p) { OPENSSL_free(p); }
using OsslBytesPtr = std::unique_ptr<unsigned char, OsslDeleter<free_ossl_bytes>>;

// SHA-256, fetched once: EVP_get_digestbyname/implicit fetches would look the provider up on
// every signature, which shows in the EAR signing cost.
const EVP_MD* sha256();

// OpenSSL queues the reasons of a failure per thread; a failure on hostile input is an answer, not
// an error to keep, so the queue is emptied before returning.
inline void clear_errors() { ERR_clear_error(); }

}  // namespace attestd::result::detail
