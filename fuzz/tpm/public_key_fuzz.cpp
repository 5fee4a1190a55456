// Fuzzes load_public_key (PEM, TPM2B_PUBLIC, TPMT_PUBLIC, DER SubjectPublicKeyInfo) and
// verification with the keys it accepts. Properties: an accepted key is consistent (type, size,
// curve, Name length) and does not accept a signature of zeros.
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/signature.h"
#include "fuzz_keys.h"

using namespace attestd::evidence;
using namespace attestd::evidence::tpm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto key = load_public_key(std::span<const uint8_t>(data, size));
  if (!key) {
    fuzz::check(!key.error().message.empty());
    return 0;
  }
  fuzz::check(key->evp() != nullptr);
  if (key->type() == KeyType::rsa) {
    fuzz::check(key->bits() >= 2048 && key->bits() <= 4096 && !key->curve().has_value());
  } else {
    fuzz::check(key->curve().has_value() && (key->bits() == 256 || key->bits() == 384));
  }
  if (key->name_alg()) {
    fuzz::check(key->from_tpm() && key->name().size() == 2 + digest_size(*key->name_alg()));
  } else {
    fuzz::check(key->name().empty());
  }

  static const uint8_t kMessage[] = {'q', 'u', 'o', 't', 'e'};
  Signature sig;
  if (key->type() == KeyType::rsa) {
    sig = raw_rsa_signature(std::vector<uint8_t>(key->bits() / 8, 0), SigScheme::rsassa, HashAlg::sha256);
  } else {
    sig.scheme = SigScheme::ecdsa;
    sig.ecdsa_r.assign(32, 0x01);
    sig.ecdsa_s.assign(32, 0x01);
  }
  if (const auto fixed = key->scheme()) {
    sig.scheme = fixed->scheme;
    sig.hash = fixed->hash;
  }
  fuzz::check(!verify_signature(*key, kMessage, sig).has_value());
  return 0;
}
