#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence {

std::optional<HashAlg> hash_alg_from_tpm_id(uint16_t id) {
  switch (static_cast<HashAlg>(id)) {
    case HashAlg::sha1:
    case HashAlg::sha256:
    case HashAlg::sha384:
    case HashAlg::sha512:
    case HashAlg::sm3_256:
      return static_cast<HashAlg>(id);
  }
  return std::nullopt;
}

std::optional<HashAlg> hash_alg_from_name(std::string_view name) {
  if (name == "sha1") return HashAlg::sha1;
  if (name == "sha256") return HashAlg::sha256;
  if (name == "sha384") return HashAlg::sha384;
  if (name == "sha512") return HashAlg::sha512;
  if (name == "sm3_256") return HashAlg::sm3_256;
  return std::nullopt;
}

std::string_view hash_alg_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1: return "sha1";
    case HashAlg::sha256: return "sha256";
    case HashAlg::sha384: return "sha384";
    case HashAlg::sha512: return "sha512";
    case HashAlg::sm3_256: return "sm3_256";
  }
  return "unknown";
}

size_t digest_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1: return 20;
    case HashAlg::sha256: return 32;
    case HashAlg::sha384: return 48;
    case HashAlg::sha512: return 64;
    case HashAlg::sm3_256: return 32;
  }
  return 0;
}

}  // namespace attestd::evidence
