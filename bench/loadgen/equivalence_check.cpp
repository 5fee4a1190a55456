// Issue 4: "a test checks that such a quote and a swtpm quote go through the same verifier path".
//
// Given swtpm's EK, AKs (RSA and ECC), quotes and PCR file over the real sb-shim-grub log, this
// makes the load generator's software host and quotes over the same log and checks, with the very
// calls attestd's attestations handler makes (tpm::load_public_key of the TPM2B_PUBLIC, then
// tpm::verify_quote):
//   - both kinds of quote verify, under the same nonce and the same PCR values;
//   - both TPMS_ATTEST decode to the same shape (magic, type, selection, sizes) and, since both
//     TPMs hold the same PCRs, to the same pcrDigest, and are of the same length byte for byte;
//   - the simulated AK and EK public areas equal swtpm's in everything but the key itself;
//   - the simulated EK certificate passes attestd's EK validation, the AK and EK its enrollment
//     checks, and the simulated TPM2_ActivateCredential answers attestd's make_credential.
// Prints PASS/FAIL lines; exits 1 on any failure.
//
// usage: loadgen_equivalence_check EVENTLOG NONCE_HEX SWTPM_EK_PUB PCR_FILE
//          RSA_AK_PUB RSA_QUOTE RSA_SIG ECC_AK_PUB ECC_QUOTE ECC_SIG
#include <tss2/tss2_mu.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include "attestd/evidence/tpm/attest.h"
#include "attestd/evidence/tpm/credential.h"
#include "attestd/evidence/tpm/ek_certificate.h"
#include "attestd/evidence/tpm/enrollment.h"
#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/x509/certificate.h"
#include "sim_host.h"

namespace {

using namespace attestd::loadgen;
namespace ev = attestd::evidence;
namespace tpm = attestd::evidence::tpm;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "PASS: " : "FAIL: ") << what << '\n';
  if (!ok) ++failures;
}

// The public area with its unique field emptied and re-marshalled: what two keys made from the
// same template have in common (type, nameAlg, attributes, authPolicy, parameters).
Bytes template_of(const Bytes& tpm2b_public) {
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b_public.data(), tpm2b_public.size(), &off, &pub) != TSS2_RC_SUCCESS ||
      off != tpm2b_public.size()) {
    throw std::runtime_error("TPM2B_PUBLIC does not decode");
  }
  std::memset(&pub.publicArea.unique, 0, sizeof(pub.publicArea.unique));
  Bytes out(sizeof(TPMT_PUBLIC) + 16);
  off = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub.publicArea, out.data(), out.size(), &off) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("TPMT_PUBLIC marshal");
  }
  out.resize(off);
  return out;
}

ev::PcrValues pcr_values(const PcrSet& set) {
  ev::PcrValues out;
  for (size_t i = 0; i < set.indices.size(); ++i) out[ev::HashAlg::sha256][set.indices[i]] = ev::Digest(set.values[i]);
  return out;
}

// The verifier path of POST /v1/attestations (verifier/service/attestations_api.cpp, verify_tpm).
tpm::QuoteVerification service_path(const Bytes& ak_public, const Bytes& attest, const Bytes& sig,
                                    const Bytes& nonce, const ev::PcrValues& pcrs) {
  auto ak = tpm::load_public_key(ak_public);
  if (!ak) {
    tpm::QuoteVerification v;
    v.reasons.push_back(ak.error());
    return v;
  }
  return tpm::verify_quote(*ak, attest, sig, nonce, pcrs);
}

std::string reasons_of(const tpm::QuoteVerification& v) {
  std::string out;
  for (const auto& r : v.reasons) out += std::string(r.id) + " (" + r.message + ") ";
  return out;
}

void compare_quotes(const std::string& kind, AkKind ak_kind, const Bytes& swtpm_ak, const Bytes& swtpm_quote,
                    const Bytes& swtpm_sig, const Bytes& nonce, const ev::PcrValues& swtpm_pcrs, const PcrSet& golden) {
  const SimHost host = SimHost::generate(ak_kind);
  const Quote sim = host.quote(nonce, golden);

  const auto v_swtpm = service_path(swtpm_ak, swtpm_quote, swtpm_sig, nonce, swtpm_pcrs);
  const auto v_sim = service_path(host.ak_public(), sim.attest, sim.signature, nonce, pcr_values(golden));
  check(v_swtpm.valid, kind + ": swtpm quote verifies through load_public_key + verify_quote " + reasons_of(v_swtpm));
  check(v_sim.valid, kind + ": software quote verifies through load_public_key + verify_quote " + reasons_of(v_sim));

  const auto a = tpm::parse_attest(swtpm_quote);
  const auto b = tpm::parse_attest(sim.attest);
  check(a.has_value() && b.has_value(), kind + ": both TPMS_ATTEST decode");
  if (!a || !b) return;
  check(a->magic == b->magic && a->magic == tpm::kTpmGeneratedValue, kind + ": same magic (TPM_GENERATED_VALUE)");
  check(a->type == b->type && a->type == tpm::kStAttestQuote, kind + ": same type (TPM_ST_ATTEST_QUOTE)");
  const auto* qa = std::get_if<tpm::QuoteInfo>(&a->attested);
  const auto* qb = std::get_if<tpm::QuoteInfo>(&b->attested);
  check(qa != nullptr && qb != nullptr && qa->selections == qb->selections,
        kind + ": same PCR selection (sha256:0-9)");
  check(qa != nullptr && qb != nullptr && qa->pcr_digest == qb->pcr_digest,
        kind + ": same pcrDigest (both TPMs hold the log's PCRs)");
  check(a->qualified_signer.size() == b->qualified_signer.size(), kind + ": qualifiedSigner of the same size");
  check(a->extra_data == b->extra_data, kind + ": same extraData (the nonce)");
  check(a->clock.safe && b->clock.safe, kind + ": clockInfo.safe on both");
  check(swtpm_quote.size() == sim.attest.size(),
        kind + ": TPMS_ATTEST of the same length (" + std::to_string(swtpm_quote.size()) + " / " +
            std::to_string(sim.attest.size()) + " bytes)");
  check(swtpm_sig.size() == sim.signature.size(), kind + ": TPMT_SIGNATURE of the same length");
  check(template_of(swtpm_ak) == template_of(host.ak_public()),
        kind + ": AK public area equals tpm2_createak's but for the key");

  // Negative control: the software quote under another nonce fails the same way a real one does.
  Bytes other = nonce;
  other[0] ^= 1;
  const auto v_bad = service_path(host.ak_public(), sim.attest, sim.signature, other, pcr_values(golden));
  check(!v_bad.valid && !v_bad.reasons.empty() && v_bad.reasons.front().id == std::string_view("tpm.quote.nonce_mismatch"),
        kind + ": software quote under another nonce is tpm.quote.nonce_mismatch");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 11) {
    std::cerr << "usage: loadgen_equivalence_check EVENTLOG NONCE_HEX SWTPM_EK_PUB PCR_FILE RSA_AK RSA_QUOTE RSA_SIG "
                 "ECC_AK ECC_QUOTE ECC_SIG\n";
    return 2;
  }
  try {
    const Bytes log = read_file(argv[1]);
    const Bytes nonce = from_hex(argv[2]);
    const Bytes swtpm_ek = read_file(argv[3]);
    const PcrSet golden = replay_sha256(log, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});

    auto swtpm_pcrs = tpm::parse_tpm2_tools_pcr_file(read_file(argv[4]));
    check(swtpm_pcrs.has_value(), "swtpm PCR file decodes");
    if (!swtpm_pcrs) return 1;
    check(*swtpm_pcrs == pcr_values(golden), "swtpm's sha256:0-9 equal the evidence library's replay of the log");

    compare_quotes("rsa", AkKind::rsa2048, read_file(argv[5]), read_file(argv[6]), read_file(argv[7]), nonce,
                   *swtpm_pcrs, golden);
    compare_quotes("ecc", AkKind::p256, read_file(argv[8]), read_file(argv[9]), read_file(argv[10]), nonce,
                   *swtpm_pcrs, golden);

    // Enrollment: the simulated keys and certificate pass attestd's checks (enrollment_api.cpp).
    const SimHost host = SimHost::generate(AkKind::rsa2048);
    check(template_of(swtpm_ek) == template_of(host.ek_public()),
          "EK public area equals tpm2_createek's (template L-1) but for the key");
    const auto ak = tpm::parse_tpm2b_public(host.ak_public());
    check(ak.has_value() && tpm::check_attestation_key(*ak).valid, "software AK passes check_attestation_key");
    const auto ek = tpm::parse_ek_public(host.ek_public());
    check(ek.has_value() && tpm::check_endorsement_key(*ek).valid, "software EK passes check_endorsement_key");
    const TestCa ca = TestCa::generate();
    if (!ak || !ek) return 1;

    const auto root = ev::x509::parse_certificate_pem(ca.certificate_pem());
    const auto cert = tpm::parse_ek_certificate(ca.issue_ek_certificate(host.ek_key()));
    check(root.has_value() && cert.has_value(), "test CA and EK certificate decode");
    if (root && cert) {
      std::vector<ev::x509::Certificate> roots;
      roots.push_back(root->share());
      const auto at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
      const auto validation = tpm::validate_ek_certificate(*cert, roots, {}, at);
      std::string why;
      for (const auto& r : validation.reasons) why += std::string(r.id) + " ";
      check(validation.valid, "EK certificate validates to the test CA " + why);
      check(tpm::check_ek_certificate_key(ek->key(), *cert).has_value(), "EK certificate certifies the EK");
      check(validation.claims.model == std::optional<std::string>("attestd-loadgen") && validation.claims.ek_eku,
            "EK certificate SAN and EKU read back");
    }
    const Bytes secret(32, 0x5c);
    const auto cred = tpm::make_credential(*ek, ak->name(), secret, tpm::system_random());
    check(cred.has_value(), "attestd's make_credential accepts the software EK");
    if (cred) {
      check(host.activate_credential(cred->credential_blob, cred->encrypted_secret) == secret,
            "software TPM2_ActivateCredential recovers attestd's secret");
    }
  } catch (const std::exception& e) {
    std::cout << "FAIL: " << e.what() << '\n';
    ++failures;
  }
  std::cout << failures << " failed\n";
  return failures == 0 ? 0 : 1;
}
