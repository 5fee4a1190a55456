// Enrollment checks of AK and EK attributes (TPM 2.0 Part 2, Table 31) and of the recovered secret.
#include "attestd/evidence/tpm/enrollment.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <string>

#include "attestd/evidence/tpm/enroll_reasons.h"

namespace attestd::evidence::tpm {

namespace {

void add(KeyCheck& check, std::string_view id, std::string message) {
  check.reasons.push_back(Error{id, std::move(message)});
}

// Names the clear bits among fixedTPM / fixedParent.
std::string missing_fixed(uint32_t attrs) {
  std::string out;
  if ((attrs & kObjectFixedTpm) == 0) out = "fixedTPM";
  if ((attrs & kObjectFixedParent) == 0) out += out.empty() ? "fixedParent" : " and fixedParent";
  return out;
}

}  // namespace

KeyCheck check_attestation_key(const PublicKey& ak) {
  KeyCheck check;
  const auto attrs_opt = ak.object_attributes();
  if (!ak.from_tpm() || !attrs_opt) {
    add(check, kAkNotTpmPublic,
        "the AK was given as a PEM/DER public key: enrollment needs its TPM2B_PUBLIC (attributes and Name)");
    return check;
  }
  const uint32_t attrs = *attrs_opt;
  if (!ak.name_alg() || ak.name().empty()) add(check, kAkNoNameAlg, "AK nameAlg is TPM_ALG_NULL: it has no Name");
  // Part 2, Table 31 and Part 1, 25 (attestation keys are restricted signing keys).
  if ((attrs & kObjectRestricted) == 0) {
    add(check, kAkNotRestricted, fmt::format("AK objectAttributes 0x{:08x}: restricted is clear", attrs));
  }
  if ((attrs & kObjectSign) == 0) {
    add(check, kAkNotSign, fmt::format("AK objectAttributes 0x{:08x}: sign is clear", attrs));
  }
  if ((attrs & kObjectDecrypt) != 0) {
    add(check, kAkDecrypt, fmt::format("AK objectAttributes 0x{:08x}: decrypt is set", attrs));
  }
  if ((attrs & kObjectFixedTpm) == 0 || (attrs & kObjectFixedParent) == 0) {
    add(check, kAkNotFixed, fmt::format("AK objectAttributes 0x{:08x}: {} clear", attrs, missing_fixed(attrs)));
  }
  if ((attrs & kObjectSensitiveDataOrigin) == 0) {
    add(check, kAkNotSensitiveDataOrigin,
        fmt::format("AK objectAttributes 0x{:08x}: sensitiveDataOrigin is clear (the key was imported)", attrs));
  }
  check.valid = check.reasons.empty();
  return check;
}

KeyCheck check_endorsement_key(const EkPublic& ek) {
  KeyCheck check;
  const uint32_t attrs = ek.key().object_attributes().value_or(0);
  if ((attrs & kObjectFixedTpm) == 0 || (attrs & kObjectFixedParent) == 0) {
    add(check, kEkNotFixed, fmt::format("EK objectAttributes 0x{:08x}: {} clear", attrs, missing_fixed(attrs)));
  }
  check.valid = check.reasons.empty();
  return check;
}

std::expected<void, Error> check_activation(std::span<const uint8_t> expected_secret,
                                            std::span<const uint8_t> presented) {
  if (expected_secret.empty() || presented.size() != expected_secret.size() ||
      CRYPTO_memcmp(expected_secret.data(), presented.data(), expected_secret.size()) != 0) {
    return std::unexpected(Error{kActivationMismatch,
                                 fmt::format("the presented secret ({} bytes) is not the credential's secret",
                                             presented.size())});
  }
  return {};
}

}  // namespace attestd::evidence::tpm
