// Internal: the shared OpenSSL owning pointers (attestd/evidence/ossl_ptr.h), visible to the
// SPDM code as detail::*.
#pragma once

#include "attestd/evidence/ossl_ptr.h"

namespace attestd::evidence::spdm::detail {

using namespace attestd::ossl;
inline void clear_openssl_errors() { attestd::ossl::clear_errors(); }

}  // namespace attestd::evidence::spdm::detail
