// Internal: owning pointers for the OpenSSL objects of the result layer, so that every object is
// freed on every path, and the digest fetched once per process.
#pragma once

#include "attestd/evidence/ossl_ptr.h"

namespace attestd::result::detail {

using namespace attestd::ossl;

const EVP_MD* sha256();

// OpenSSL queues the reasons of a failure per thread; a failure on hostile input is an answer, not
// an error to keep, so the queue is emptied before returning.
using attestd::ossl::clear_errors;

}  // namespace attestd::result::detail
