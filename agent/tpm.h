// The agent's TPM, through the tpm2-tss ESAPI with a TCTI chosen by configuration
// ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", ...).
//
// Keys: the EK is re-created from the standard template (TCG EK Credential Profile 2.0, templates
// L-1 RSA 2048 and L-2 ECC P-256; the same template tpm2_createek uses), so it is never stored.
// The AK is created once under the EK with tpm2_createak's attributes (restricted | sign |
// fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth; RSASSA-SHA256 or ECDSA-SHA256) and
// kept as a TPM2B_PUBLIC / TPM2B_PRIVATE file pair in the state directory: the private part is
// wrapped by the TPM under the EK and useless anywhere else, and a file pair needs no owner
// authorisation (unlike a persistent handle) and survives TPM resource-manager flushes. Each run
// loads it again under the EK, so the AK (and its Name) stay the same across runs.
//
// Every transient object and session is flushed on destruction (the swtpm and mssim TCTIs have no
// resource manager). Failures carry agent.tpm.* reason ids; every TPM command runs under a deadline
// (see deadline.h) so a TPM that never answers ends the process with a clear message, not a hang.
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
#include <vector>

#include "codec.h"
#include "deadline.h"
#include "error.h"

namespace attestd::agent {

enum class KeyAlg { rsa, ecc };

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
  std::expected<Bytes, Error> endorsement_key(KeyAlg alg);
  // The EK certificate from its NV index (0x01c00002 RSA, 0x01c0000a ECC); nullopt when the
  // index is not defined.
  std::expected<std::optional<Bytes>, Error> ek_certificate(KeyAlg alg);
  // Loads the AK kept in `state_dir` under the EK, or creates and saves it (mode 0600) when there
  // is none. Needs endorsement_key() first. Fails with agent.tpm.* or agent.ak.load_failed (the
  // files do not load under this TPM's EK: another TPM, or its endorsement hierarchy was cleared).
  std::expected<AkInfo, Error> attestation_key(const std::filesystem::path& state_dir, KeyAlg alg);
  // TPM2_ActivateCredential (Part 3, 12.5) for the loaded AK and the EK, under a policy session
  // with PolicySecret(endorsement) as the EK's authPolicy requires. Both inputs are marshalled
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
  std::expected<ESYS_TR, Error> ek_policy_session();
  void flush(ESYS_TR& handle);

  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
  ESYS_TR ek_ = ESYS_TR_NONE;
  ESYS_TR ak_ = ESYS_TR_NONE;
  KeyAlg ek_alg_ = KeyAlg::rsa;
};

}  // namespace attestd::agent
