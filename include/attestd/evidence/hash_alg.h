// Hash algorithms that TPM banks, event logs and quotes name, with their TPM_ALG_ID values
// (TPM 2.0 Part 2, Table 9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace attestd::evidence {

enum class HashAlg : uint16_t {
  sha1 = 0x0004,
  sha256 = 0x000B,
  sha384 = 0x000C,
  sha512 = 0x000D,
  sm3_256 = 0x0012,
};

inline constexpr size_t kMaxDigestSize = 64;

// The algorithm for a TPM_ALG_ID, or nullopt for an id that is not a hash we support.
std::optional<HashAlg> hash_alg_from_tpm_id(uint16_t id);
// The algorithm for a name such as "sha256" (as tpm2-tools and our JSON spell it).
std::optional<HashAlg> hash_alg_from_name(std::string_view name);
std::string_view hash_alg_name(HashAlg alg);
size_t digest_size(HashAlg alg);

}  // namespace attestd::evidence
