// Owning pointers for the OpenSSL objects attestd uses, so that every object is freed on every
// path. One set for every layer: evidence parts and the result signer share it.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace attestd::ossl {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT_free>>;
using StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OsslDeleter<free_x509_stack>>;
inline void free_ossl_string(char* s) { OPENSSL_free(s); }
using OsslStringPtr = std::unique_ptr<char, OsslDeleter<free_ossl_string>>;
inline void free_ossl_bytes(unsigned char* s) { OPENSSL_free(s); }
using OsslBytesPtr = std::unique_ptr<unsigned char, OsslDeleter<free_ossl_bytes>>;

// OpenSSL leaves the reasons of a failed operation in a per-thread queue; a failure on hostile
// input is an answer, not an error to keep, so the queue is emptied before returning.
inline void clear_errors() { ERR_clear_error(); }

}  // namespace attestd::ossl
