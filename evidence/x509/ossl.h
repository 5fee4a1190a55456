// Internal: owning pointers for the OpenSSL objects of the X.509 code, so that every object is
// freed on every path.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace attestd::evidence::x509::detail {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT_free>>;
using StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OsslDeleter<free_x509_stack>>;
inline void free_ossl_string(char* s) { OPENSSL_free(s); }
using OsslStringPtr = std::unique_ptr<char, OsslDeleter<free_ossl_string>>;
inline void free_ossl_string_u(unsigned char* s) { OPENSSL_free(s); }
using OsslBytesPtr = std::unique_ptr<unsigned char, OsslDeleter<free_ossl_string_u>>;

// OpenSSL leaves the reasons of a failed operation in a per-thread queue; a failure on hostile
// input is an answer, not an error to keep, so the queue is emptied before returning.
inline void clear_openssl_errors() { ERR_clear_error(); }

}  // namespace attestd::evidence::x509::detail
