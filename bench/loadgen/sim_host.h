// Simulated TPM hosts for the load generator (issue 4, bench/): software keys whose public areas,
// Names, EK certificates, credential activation and quotes are byte for byte what a TPM 2.0 and
// tpm2-tools produce, so that attestd cannot tell them from swtpm or hardware except by speed.
//
//   AK   TPMT_PUBLIC as `tpm2_createak -G rsa -g sha256 -s rsassa` (or `-G ecc -s ecdsa`) makes it:
//        nameAlg SHA-256, restricted|sign|fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth,
//        empty authPolicy, symmetric NULL, scheme RSASSA/ECDSA with SHA-256.
//   EK   TCG EK Credential Profile 2.x, Annex B, template L-1 (RSA-2048, AES-128-CFB,
//        adminWithPolicy with PolicySecret(TPM_RH_ENDORSEMENT)).
//   EK certificate  X.509 v3 from a test CA made at startup, with the profile's extensions.
//   Activation      TPM2_ActivateCredential (TPM 2.0 Part 1 §24, Part 3 §12.5) in software.
//   Quote           TPMS_ATTEST of TPM2_Quote (Part 2, Table 131) signed like Part 3 §18.4 does.
//
// Bench code: failures throw std::runtime_error naming the step; nothing here parses hostile
// bytes except what attestd sends back, and that through libtss2-mu's checked unmarshalling.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attestd::loadgen {

using Bytes = std::vector<uint8_t>;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

enum class AkKind { rsa2048, p256 };

// TPM_ALG_ID and handle values the simulation writes (TPM 2.0 Part 2, Tables 9 and 28).
inline constexpr uint16_t kAlgSha256 = 0x000B;
inline constexpr uint16_t kAlgRsassa = 0x0014;
inline constexpr uint16_t kAlgEcdsa = 0x0018;
inline constexpr uint32_t kRhEndorsement = 0x4000000B;
// TPMA_OBJECT of tpm2_createak (tpm2-tools 5.x): see enrollment.h kTpm2ToolsAkAttributes.
inline constexpr uint32_t kAkAttributes = 0x00050072;
// TCG EK template L-1 attributes: fixedTPM|fixedParent|sensitiveDataOrigin|adminWithPolicy|
// restricted|decrypt.
inline constexpr uint32_t kEkAttributes = 0x000300B2;
// What swtpm reports as firmwareVersion (libtpms 0.9: 2019-10-23, 0x00163636).
inline constexpr uint64_t kFirmwareVersion = 0x2019102300163636;

std::string to_hex(std::span<const uint8_t> bytes);
// Throws on anything that is not an even number of hex digits.
Bytes from_hex(std::string_view hex);
// Standard base64 with padding, no line breaks (what attestd's codec accepts).
std::string base64_encode(std::span<const uint8_t> bytes);
// Throws on malformed input.
Bytes base64_decode(std::string_view text);
Bytes read_file(const std::string& path);

// The sha256 PCRs a quote covers, with the values the event log replays to.
struct PcrSet {
  std::vector<uint32_t> indices;  // ascending
  std::vector<Bytes> values;      // SHA-256 values, same order
  Bytes pcr_digest;               // SHA-256(values concatenated): TPMS_QUOTE_INFO.pcrDigest
  // {"0": "<hex>", ...}: the body of "pcrs": {"sha256": ...} in an attestation.
  [[nodiscard]] std::string json_bank() const;
};

// Replays `event_log` with the evidence library (parse_event_log + replay_pcrs, the calls the
// service makes) and takes sha256 PCRs `indices`. Throws if the log does not parse or replay.
PcrSet replay_sha256(std::span<const uint8_t> event_log, std::vector<uint32_t> indices);

// A TPM manufacturer CA for EK certificates, generated at startup (ECDSA P-256).
class TestCa {
 public:
  static TestCa generate();
  [[nodiscard]] std::string certificate_pem() const;
  // DER EK certificate for `ek` as the TCG EK Credential Profile 2.x describes: empty subject,
  // critical subjectAltName directoryName with tcg-at-tpmManufacturer/Model/Version,
  // basicConstraints CA:FALSE, keyUsage keyEncipherment, extendedKeyUsage tcg-kp-EKCertificate.
  [[nodiscard]] Bytes issue_ek_certificate(EVP_PKEY* ek) const;

 private:
  Pkey key_;
  X509Ptr cert_;
};

struct Quote {
  Bytes attest;     // marshalled TPMS_ATTEST (what `tpm2_quote -m` writes)
  Bytes signature;  // marshalled TPMT_SIGNATURE (what `tpm2_quote -s` writes)
};

class SimHost {
 public:
  // New EK (RSA-2048) and AK keys. Throws on key generation failure.
  static SimHost generate(AkKind ak_kind);

  [[nodiscard]] EVP_PKEY* ek_key() const { return ek_.get(); }
  [[nodiscard]] EVP_PKEY* ak_key() const { return ak_.get(); }
  [[nodiscard]] AkKind ak_kind() const { return ak_kind_; }
  // TPM2B_PUBLIC as `tpm2_createak -u` / `tpm2_createek -u` write them.
  [[nodiscard]] const Bytes& ak_public() const { return ak_public_; }
  [[nodiscard]] const Bytes& ek_public() const { return ek_public_; }
  // Name = nameAlg || SHA-256(TPMT_PUBLIC) (Part 1 §16).
  [[nodiscard]] const Bytes& ak_name() const { return ak_name_; }
  [[nodiscard]] const Bytes& ek_name() const { return ek_name_; }
  // Qualified Name of the AK under the EK: QN(EK) = H(TPM_RH_ENDORSEMENT || Name(EK)),
  // QN(AK) = H(QN(EK) || Name(AK)) (Part 1 §16), what a TPM puts in qualifiedSigner.
  [[nodiscard]] const Bytes& qualified_signer() const { return qualified_signer_; }

  // TPM2_ActivateCredential: recovers the seed with RSA-OAEP(SHA-256, label "IDENTITY\0") under
  // the EK private key, checks the outer HMAC (KDFa "INTEGRITY"), decrypts encIdentity with
  // AES-128-CFB (KDFa "STORAGE", context Name(AK)) and returns the credential. The arguments are
  // the TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET with their size prefixes. Throws when the HMAC
  // does not verify (TPM_RC_INTEGRITY) or anything does not decode.
  [[nodiscard]] Bytes activate_credential(std::span<const uint8_t> credential_blob,
                                          std::span<const uint8_t> encrypted_secret) const;

  // TPM2_Quote over sha256 `pcrs` with qualifyingData `nonce`: clockInfo.clock grows with real
  // time, safe = YES. Thread-safe.
  [[nodiscard]] Quote quote(std::span<const uint8_t> nonce, const PcrSet& pcrs) const;

 private:
  SimHost() = default;
  AkKind ak_kind_ = AkKind::rsa2048;
  Pkey ek_, ak_;
  Bytes ak_public_, ek_public_, ak_name_, ek_name_, qualified_signer_;
  std::chrono::steady_clock::time_point started_{};
  uint64_t clock_base_ = 0;
  uint32_t reset_count_ = 0;
};

}  // namespace attestd::loadgen
