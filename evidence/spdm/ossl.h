// Internal: owning pointers for the OpenSSL objects the SPDM code uses, so that every object is
// freed on every path.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace attestd::evidence::spdm::detail {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;

}  // namespace attestd::evidence::spdm::detail
