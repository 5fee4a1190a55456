// Host enrollment checks on the keys themselves: the AK a host wants trusted and the EK a credential
// is made to (TPMA_OBJECT, TPM 2.0 Part 2, Table 31), and the final comparison of the secret the
// host recovered with TPM2_ActivateCredential. The EK certificate is in ek_certificate.h, the
// credential itself in credential.h.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/tpm/credential.h"
#include "attestd/evidence/tpm/public_key.h"

namespace attestd::evidence::tpm {

// TPMA_OBJECT bits besides those public_key.h names (Part 2, Table 31).
inline constexpr uint32_t kObjectUserWithAuth = 1u << 6;
inline constexpr uint32_t kObjectAdminWithPolicy = 1u << 7;

// What tpm2_createak sets (tpm2-tools 5.x): restricted | sign | fixedTPM | fixedParent |
// sensitiveDataOrigin | userWithAuth.
inline constexpr uint32_t kTpm2ToolsAkAttributes = kObjectRestricted | kObjectSign | kObjectFixedTpm |
                                                   kObjectFixedParent | kObjectSensitiveDataOrigin |
                                                   kObjectUserWithAuth;

struct KeyCheck {
  bool valid = false;          // true only when reasons is empty
  std::vector<Error> reasons;  // every failure, in the order of the checks below
};

// Checks that `ak` can serve as an attestation key: a TPM object (TPM2B_PUBLIC / TPMT_PUBLIC, not
// PEM) with a Name, that only signs what the TPM itself produced and never leaves it. Reasons:
//   tpm.enroll.ak_not_tpm_public                 PEM/DER key: no attributes, no Name
//   tpm.enroll.ak_no_name_alg                    nameAlg TPM_ALG_NULL
//   tpm.enroll.ak_not_restricted                 restricted clear (Part 1, 25: a restricted
//                                                signing key refuses digests that look like TPM
//                                                attestations, so quotes cannot be forged)
//   tpm.enroll.ak_not_sign                       sign clear
//   tpm.enroll.ak_decrypt                        decrypt set (a restricted key may not both sign
//                                                and decrypt, Part 2, Table 31)
//   tpm.enroll.ak_not_fixed                      fixedTPM or fixedParent clear (Part 1, 25:
//                                                the key could be duplicated to another TPM)
//   tpm.enroll.ak_not_sensitive_data_origin      sensitiveDataOrigin clear (imported private key)
// userWithAuth, adminWithPolicy, noDA and the rest are not judged: tpm2_createak sets userWithAuth
// with an empty authValue, which is what credential activation and quoting with it need.
KeyCheck check_attestation_key(const PublicKey& ak);

// Checks the EK beyond what parse_ek_public already required (restricted, decrypt, AES-CFB, a
// nameAlg): fixedTPM and fixedParent must be set (TCG EK Credential Profile 2.x, Annex B: every EK
// template sets them), or the EK could live outside the TPM and activation would prove nothing.
// Reasons: tpm.ek.not_fixed.
KeyCheck check_endorsement_key(const EkPublic& ek);

// Compares the secret the host returns with the one the credential carried, in constant time for
// equal lengths (CRYPTO_memcmp); the length itself is not secret. Fails with
// tpm.enroll.activation_mismatch. Spans are only read during the call.
std::expected<void, Error> check_activation(std::span<const uint8_t> expected_secret,
                                            std::span<const uint8_t> presented);

}  // namespace attestd::evidence::tpm
