// SHA-256 of stored blobs (trust roots, documents), for de-duplication and audit details.
#pragma once

#include <span>

#include "attestd/store/error.h"
#include "attestd/store/records.h"

namespace attestd::store::sqlite {

// internal only when OpenSSL fails.
Result<Sha256> sha256(std::span<const uint8_t> data);

}  // namespace attestd::store::sqlite
