// The agent's TPM, through the tpm2-tss ESAPI with a TCTI chosen by configuration
// ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", ...).
//
// Keys: the EK is re-created from a standard template (TCG EK Credential Profile 2.x, Annex B:
// L-1 RSA 2048, L-2 ECC P-256, H-3 ECC P-384; the templates tpm2_createek -G rsa|ecc|ecc384 uses),
// so it is never stored.
// The AK is created once under the EK with tpm2_createak's attributes (restricted | sign |
// fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth; RSASSA-SHA256 or ECDSA-SHA256) and
// kept as a TPM2B_PUBLIC / TPM2B_PRIVATE file pair in the state directory: the private part is
// wrapped by the TPM under the EK and useless anywhere else, and a file pair needs no owner
// authorisation (unlike a persistent handle) and survives TPM resource-manager flushes. Each run
// loads it again under the EK, so the AK (and its Name) stay the same across runs.
//
// Every transient object and session is flushed on destruction (the swtpm and mssim TCTIs have no
// resource manager). Failures carry agent.tpm.* reason ids; every TPM command runs under a deadline
// (see deadline.h) so a TPM that never answers ends the process (under `run`, the worker that the
// loop replaces) with a clear message, not a hang.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <chrono>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec.h"
#include "deadline.h"
#include "error.h"

namespace attestd::agent {

enum class KeyAlg { rsa, ecc };

// The EK templates the agent derives its EK from (TCG EK Credential Profile 2.x, Annex B). The
// low-range ones (nameAlg SHA-256, AES-128-CFB) are authorised by PolicySecret(endorsement) only;
// the high-range H-3 (nameAlg SHA-384, AES-256-CFB) also sets userWithAuth with an empty authValue.
enum class EkTemplate { rsa2048, ecc_p256, ecc_p384 };
// "rsa"/"rsa2048", "ecc"/"ecc256", "ecc384" as tpm2_createek -G spells them; nullopt otherwise.
std::optional<EkTemplate> parse_ek_template(std::string_view name);
// TCG EK Credential Profile 2.x, 2.2.1.4/2.2.1.5: where the manufacturer stores the EK certificate
// of each template (0x01c00002 L-1, 0x01c0000a L-2, 0x01c00016 H-3).
TPM2_HANDLE ek_certificate_index(EkTemplate ek);

struct AkInfo {
  Bytes public_area;  // TPM2B_PUBLIC as marshalled (what the service's ak_public takes)
  Bytes name;         // nameAlg ‖ H(TPMT_PUBLIC)
  bool created = false;
};

// One quote with the PCR values it covers, ready for POST /v1/attestations.
// bank name ("sha1", "sha256", ...) → PCR index → value
using PcrMap = std::map<std::string, std::map<unsigned, Bytes>>;

struct QuoteResult {
  Bytes attest;     // TPMS_ATTEST (tpm2_quote -m)
  Bytes signature;  // TPMT_SIGNATURE marshalled (tpm2_quote -s)
  PcrMap pcrs;      // the values the quote covers
};

class Tpm {
 public:
  // Connects through the TCTI. Fails with agent.tpm.unreachable.
  static std::expected<std::unique_ptr<Tpm>, Error> open(const std::string& tcti);
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  // Creates the EK from its template (once per Tpm) and returns its TPM2B_PUBLIC.
  std::expected<Bytes, Error> endorsement_key(EkTemplate ek);
  // The EK certificate from the template's NV index (ek_certificate_index); nullopt when the
  // index is not defined.
  std::expected<std::optional<Bytes>, Error> ek_certificate(EkTemplate ek);
  // Loads the AK kept in `state_dir` under the EK, or creates and saves it (mode 0600) when there
  // is none. Needs endorsement_key() first. Fails with agent.tpm.* or agent.ak.load_failed (the
  // files do not load under this TPM's EK: another TPM, or its endorsement hierarchy was cleared).
  std::expected<AkInfo, Error> attestation_key(const std::filesystem::path& state_dir, KeyAlg alg);
  // TPM2_ActivateCredential (Part 3, 12.5) for the loaded AK and the EK, authorised for the EK as
  // its template allows (ek_authorization). Both inputs are marshalled
  // with their size prefix. Fails with agent.tpm.activate_failed.
  std::expected<Bytes, Error> activate_credential(const Bytes& credential_blob, const Bytes& encrypted_secret);
  // The PCR banks the TPM has allocated (TPM2_GetCapability PCRS) that attestd knows.
  std::expected<std::vector<std::string>, Error> allocated_banks();
  // TPM2_Quote with qualifyingData = binding over `pcrs` in every allocated bank, and the PCR values.
  // Fails with agent.tpm.* (agent.tpm.pcrs_unstable when the PCRs change during three attempts).
  std::expected<QuoteResult, Error> quote(const Bytes& binding, const std::vector<unsigned>& pcrs);

 private:
  Tpm(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}
  using PcrValues = PcrMap;
  std::expected<PcrValues, Error> read_pcrs(const std::vector<std::string>& banks, const std::vector<unsigned>& pcrs);
  // The USER-role authorisation for the EK (as a parent, for ActivateCredential): a policy session
  // with PolicySecret(endorsement) for the low-range templates, the empty password for H-3.
  // end_ek_authorization() flushes the session, if one was started.
  std::expected<ESYS_TR, Error> ek_authorization();
  void end_ek_authorization(ESYS_TR& auth);
  void flush(ESYS_TR& handle);

  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
  ESYS_TR ek_ = ESYS_TR_NONE;
  ESYS_TR ak_ = ESYS_TR_NONE;
  EkTemplate ek_template_ = EkTemplate::rsa2048;
};

}  // namespace attestd::agent
