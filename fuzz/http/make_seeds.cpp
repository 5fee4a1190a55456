// Writes the seed corpus of http_attestation_fuzz and the outcome each seed must get.
//
//   make_seeds SOURCE_DIR SHARED_TESTDATA OUT_CORPUS_DIR OUT_OUTCOMES_TSV
//
// Built only in the ordinary build (target http_attestation_make_seeds); run by hand when the
// harness's world changes, and commit its output (fuzz/corpus/http_attestation_fuzz/ and
// fuzz/http/seed_outcomes.tsv) together with this file:
//   build/fuzz/http/http_attestation_make_seeds . ../shared/testdata
//       fuzz/corpus/http_attestation_fuzz fuzz/http/seed_outcomes.tsv  (one command line)
//
// Each seed is byte 0 (encodings, harness.h) followed by an attestation body. The TPM evidence is
// made the way a TPM makes it: a TPMS_ATTEST of TPM2_Quote (TPM 2.0 Part 2, Table 131) over the
// sha256 PCRs 0-9 of the real vmboot boot (samples/sb-shim-grub/pcrs.json, whose event log is
// samples/sb-shim-grub/eventlog.bin), marshalled by libtss2-mu and signed with the fixed AKs of
// fixed_inputs.h (Part 3 §18.4: the AK signs SHA-256 of the TPMS_ATTEST). The GPU evidence is the
// real H100 report of ../shared/testdata/go-nvtrust (its nonce is kNonce). The expected outcome of
// each seed is written here by hand from what the service promises, not recorded from a run.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attestd/result/binding.h"
#include "attestd/result/jwk.h"
#include "fixed_inputs.h"

namespace {

using Bytes = std::vector<uint8_t>;
using attestd::fuzz_http::kNonce;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Bytes from_hex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    fail("not hex");
  };
  std::string digits;
  for (char c : hex) {
    if (c != '\n' && c != '\r' && c != ' ') digits.push_back(c);
  }
  if (digits.size() % 2 != 0) fail("odd hex");
  for (size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(digits[i]) * 16 + nibble(digits[i + 1])));
  }
  return out;
}

std::string base64(const Bytes& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey load_key(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Pkey key(bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr);
  BIO_free(bio);
  if (!key) fail("fixed AK does not load");
  return key;
}

template <class T, class F>
Bytes marshal(const T& value, F f) {
  Bytes out(4096);
  size_t offset = 0;
  if (f(&value, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) fail("marshal");
  out.resize(offset);
  return out;
}

struct Pcrs {
  nlohmann::json bank;  // {"0": "<hex>", ...} for sha256 0-9
  Bytes digest;         // SHA-256 of the values in selection order: pcrDigest
};

Pcrs vmboot_pcrs(const std::filesystem::path& source_dir) {
  const auto all = nlohmann::json::parse(read_text(source_dir / "samples/sb-shim-grub/pcrs.json"));
  Pcrs p;
  Bytes concatenated;
  for (int i = 0; i <= 9; ++i) {
    const std::string hex = all.at("sha256").at(std::to_string(i)).get<std::string>();
    p.bank[std::to_string(i)] = hex;
    const Bytes v = from_hex(hex);
    concatenated.insert(concatenated.end(), v.begin(), v.end());
  }
  p.digest.resize(32);
  EVP_Digest(concatenated.data(), concatenated.size(), p.digest.data(), nullptr, EVP_sha256(), nullptr);
  return p;
}

struct Quote {
  Bytes attest, signature;
};

// TPM2_Quote over sha256 PCRs 0-9 with qualifyingData `extra`, signed by `ak` (RSASSA or ECDSA,
// SHA-256), as tpm2_quote -m / -s write it.
Quote make_quote(EVP_PKEY* ak, const Bytes& extra, const Bytes& pcr_digest) {
  TPMS_ATTEST a{};
  a.magic = TPM2_GENERATED_VALUE;
  a.type = TPM2_ST_ATTEST_QUOTE;
  a.qualifiedSigner.size = 34;  // nameAlg sha256 ‖ digest: a plausible Name, not checked
  a.qualifiedSigner.name[0] = 0x00;
  a.qualifiedSigner.name[1] = 0x0b;
  std::memset(a.qualifiedSigner.name + 2, 0x51, 32);
  if (extra.size() > sizeof(a.extraData.buffer)) fail("extraData");
  a.extraData.size = static_cast<uint16_t>(extra.size());
  std::memcpy(a.extraData.buffer, extra.data(), extra.size());
  a.clockInfo.clock = 123456789;
  a.clockInfo.resetCount = 3;
  a.clockInfo.restartCount = 0;
  a.clockInfo.safe = 1;
  a.firmwareVersion = 0x2019102300163636;
  a.attested.quote.pcrSelect.count = 1;
  TPMS_PCR_SELECTION& sel = a.attested.quote.pcrSelect.pcrSelections[0];
  sel.hash = TPM2_ALG_SHA256;
  sel.sizeofSelect = 3;
  sel.pcrSelect[0] = 0xff;  // PCRs 0-7
  sel.pcrSelect[1] = 0x03;  // PCRs 8-9
  a.attested.quote.pcrDigest.size = 32;
  std::memcpy(a.attested.quote.pcrDigest.buffer, pcr_digest.data(), 32);

  Quote q;
  q.attest = marshal(a, Tss2_MU_TPMS_ATTEST_Marshal);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, ak) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, q.attest.data(), q.attest.size()) != 1) {
    fail("sign init");
  }
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, q.attest.data(), q.attest.size()) != 1) fail("sign");
  sig.resize(len);

  TPMT_SIGNATURE s{};
  if (EVP_PKEY_base_id(ak) == EVP_PKEY_RSA) {
    s.sigAlg = TPM2_ALG_RSASSA;
    s.signature.rsassa.hash = TPM2_ALG_SHA256;
    s.signature.rsassa.sig.size = static_cast<uint16_t>(sig.size());
    std::memcpy(s.signature.rsassa.sig.buffer, sig.data(), sig.size());
  } else {
    const uint8_t* p = sig.data();
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())),
                                                             ECDSA_SIG_free);
    if (!es) fail("ECDSA DER");
    s.sigAlg = TPM2_ALG_ECDSA;
    s.signature.ecdsa.hash = TPM2_ALG_SHA256;
    s.signature.ecdsa.signatureR.size = 32;
    s.signature.ecdsa.signatureS.size = 32;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), s.signature.ecdsa.signatureR.buffer, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), s.signature.ecdsa.signatureS.buffer, 32) != 32) {
      fail("ECDSA r/s");
    }
  }
  q.signature = marshal(s, Tss2_MU_TPMT_SIGNATURE_Marshal);
  return q;
}

// A byte field: base64 text in JSON, a byte string in CBOR (nlohmann binary).
nlohmann::json bytes_value(const Bytes& b, bool cbor) {
  return cbor ? nlohmann::json::binary(b) : nlohmann::json(base64(b));
}

struct Generator {
  std::filesystem::path out_dir;
  std::ofstream tsv;
  Pkey rsa_ak = load_key(attestd::fuzz_http::kRsaAkPem);
  Pkey ecc_ak = load_key(attestd::fuzz_http::kEccAkPem);
  Pcrs pcrs;
  Bytes event_log;
  Bytes gpu_report;
  std::string gpu_chain;
  nlohmann::json tee_jwk = nlohmann::json::parse(attestd::fuzz_http::kTeeJwk);

  Bytes bound_nonce() const {
    auto jwk = attestd::result::public_jwk_from_json(tee_jwk);
    if (!jwk) fail("tee JWK");
    return attestd::result::binding(kNonce, *jwk);
  }

  // The "tpm" member for host `host` quoting over `extra`.
  nlohmann::json tpm(std::string_view host, const Bytes& extra, bool cbor, bool with_log = true) const {
    const Quote q = make_quote(host == "vm-events" ? ecc_ak.get() : rsa_ak.get(), extra, pcrs.digest);
    nlohmann::json t = {{"quote", bytes_value(q.attest, cbor)},
                        {"signature", bytes_value(q.signature, cbor)},
                        {"pcrs", {{"sha256", pcrs.bank}}}};
    if (with_log) t["event_log"] = bytes_value(event_log, cbor);
    return t;
  }

  nlohmann::json gpu(bool cbor, std::string vendor = "nvidia") const {
    return {{"vendor", vendor}, {"report", bytes_value(gpu_report, cbor)}, {"certificate_chain", gpu_chain}};
  }

  void write_raw(const std::string& name, uint8_t mode, std::string_view body, const std::string& expected) {
    std::ofstream out(out_dir / name, std::ios::binary);
    out.put(static_cast<char>(mode));
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) fail("writing " + name);
    tsv << name << '\t' << expected << '\n';
  }

  // mode bit 0: CBOR body; bit 1: CBOR answer (harness.h).
  void write(const std::string& name, uint8_t mode, const nlohmann::json& body, const std::string& expected) {
    if ((mode & 1U) != 0) {
      const auto cbor = nlohmann::json::to_cbor(body);
      write_raw(name, mode, std::string_view(reinterpret_cast<const char*>(cbor.data()), cbor.size()), expected);
    } else {
      write_raw(name, mode, body.dump(), expected);
    }
  }
};

nlohmann::json attestation(std::string_view host, nlohmann::json tpm) {
  return {{"challenge_id", "c-" + std::string(host)}, {"host_id", host}, {"tpm", std::move(tpm)}};
}

void generate(Generator& g) {
  const Bytes nonce(kNonce.begin(), kNonce.end());
  const Bytes bound = g.bound_nonce();

  // ---- affirming: the whole path, EAR and key release
  g.write("affirming-json-pcr", 0, attestation("vm-pcr", g.tpm("vm-pcr", nonce, false)), "200 affirming");
  g.write("affirming-cbor-pcr", 3, attestation("vm-pcr", g.tpm("vm-pcr", nonce, true)), "200 affirming");
  g.write("affirming-json-events-ecc", 0, attestation("vm-events", g.tpm("vm-events", nonce, false)),
          "200 affirming");
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", bound, false));
    b["tee_public_key"] = g.tee_jwk;
    b["release"] = {"vmboot-disk-key", "gpu-only-key", "no-such-key"};
    g.write("affirming-json-pcr-key-release", 0, b,
            "200 affirming gpu-only-key=key.policy_denied no-such-key=key.not_found vmboot-disk-key=released");
  }
  {
    auto b = attestation("vm-events", g.tpm("vm-events", bound, true));
    b["tee_public_key"] = g.tee_jwk;
    b["release"] = {"vmboot-disk-key"};
    g.write("affirming-cbor-events-key-release", 1, b, "200 affirming vmboot-disk-key=released");
  }
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["release"] = {"vmboot-disk-key"};
    g.write("affirming-json-release-without-tee-key", 0, b, "200 affirming vmboot-disk-key=key.binding_missing");
  }

  // ---- verdicts that are not affirming
  g.write("contraindicated-json-no-event-log", 0, attestation("vm-pcr", g.tpm("vm-pcr", nonce, false, false)),
          "200 contraindicated [policy.evidence.event_log_missing]");
  {
    // The quote signs the plain nonce but the body binds a TEE key: a swapped key breaks the quote.
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["tee_public_key"] = g.tee_jwk;
    b["release"] = {"vmboot-disk-key"};
    g.write("contraindicated-json-tee-key-not-quoted", 0, b, "200 contraindicated [tpm.quote.nonce_mismatch] vmboot-disk-key=ear.not_affirming");
  }
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["tpm"]["pcrs"]["sha256"]["7"] = std::string(64, '0');  // not what the quote's pcrDigest covers
    g.write("contraindicated-json-pcr-not-quoted", 0, b,
            "200 contraindicated [eventlog.replay.pcr_mismatch tpm.quote.pcr_digest_mismatch]");
  }
  {
    Bytes other = nonce;
    other[0] ^= 0xff;
    g.write("contraindicated-json-wrong-nonce", 0, attestation("vm-pcr", g.tpm("vm-pcr", other, false)),
            "200 contraindicated [tpm.quote.nonce_mismatch]");
  }
  {
    // The ECC host's quote signed by the RSA AK: the signature is not the enrolled AK's.
    auto b = attestation("vm-events", g.tpm("vm-pcr", nonce, false));
    g.write("contraindicated-json-wrong-ak", 0, b, "200 contraindicated [tpm.quote.signature_invalid]");
  }
  {
    // A real H100 report bound to the nonce; its driver (545.00) is not the policy's 550.144.03.
    auto b = attestation("vm-gpu", g.tpm("vm-gpu", nonce, false));
    b["gpus"] = {g.gpu(false)};
    g.write("contraindicated-json-gpu-driver-not-golden", 0, b, "200 contraindicated [policy.golden.gpu_measurement_mismatch]");
  }
  {
    auto b = attestation("vm-gpu", g.tpm("vm-gpu", nonce, true));
    b["gpus"] = {g.gpu(true)};
    g.write("contraindicated-cbor-gpu-driver-not-golden", 1, b, "200 contraindicated [policy.golden.gpu_measurement_mismatch]");
  }
  g.write("none-json-no-policy", 0, attestation("vm-nopolicy", g.tpm("vm-nopolicy", nonce, false)), "200 none [policy.none]");

  // ---- refusals before any verdict (nothing recorded, challenge unused)
  g.write("refused-json-host-not-enrolled", 0, attestation("vm-untrusted", g.tpm("vm-untrusted", nonce, false)),
          "409 attestation.host_not_enrolled");
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["challenge_id"] = "c-vm-pcr-expired";
    g.write("refused-json-challenge-expired", 0, b, "410 attestation.challenge_expired");
    b["challenge_id"] = "c-vm-pcr-used";
    g.write("refused-json-challenge-consumed", 0, b, "409 attestation.challenge_consumed");
    b["challenge_id"] = "c-vm-events";  // another host's challenge
    g.write("refused-json-challenge-of-other-host", 0, b, "404 attestation.challenge_not_found");
  }
  {
    auto b = attestation("vm-missing", g.tpm("vm-pcr", nonce, false));
    g.write("refused-json-unknown-host", 0, b, "404 api.not_found");
  }
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", bound, false));
    b["tee_public_key"] = g.tee_jwk;
    b["tee_public_key"]["d"] = "AAAA";
    g.write("refused-json-tee-key-private", 0, b, "422 jwk.private_key");
  }
  {
    auto b = attestation("vm-gpu", g.tpm("vm-gpu", nonce, false));
    b["gpus"] = {g.gpu(false, "amd")};
    g.write("refused-json-gpu-vendor", 0, b, "422 gpu.vendor_unsupported");
  }
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["tpm"].erase("quote");
    g.write("refused-json-quote-missing", 0, b, "400 api.body_invalid");
  }
  {
    auto b = attestation("vm-pcr", g.tpm("vm-pcr", nonce, false));
    b["release"] = "vmboot-disk-key";  // not an array
    g.write("refused-json-release-not-array", 0, b, "400 api.body_invalid");
  }
  g.write_raw("refused-json-malformed", 0, R"({"challenge_id": "c-vm-pcr", "host_id": )", "400 http.body.malformed_json");
  g.write_raw("refused-cbor-malformed", 1, "\xa2\x6c" "challenge_id", "400 http.body.malformed_cbor");
  g.write_raw("refused-json-not-object", 0, "[1, 2, 3]", "400 api.body_invalid");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR SHARED_TESTDATA OUT_CORPUS_DIR OUT_OUTCOMES_TSV\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path source_dir = argv[1], shared = argv[2];
    Generator g;
    g.out_dir = argv[3];
    std::filesystem::create_directories(g.out_dir);
    g.tsv.open(argv[4]);
    if (!g.tsv) fail(std::string("cannot write ") + argv[4]);
    g.tsv << "# seed\texpected outcome (written by make_seeds.cpp; checked by fuzz_http.seed_outcomes)\n";
    g.pcrs = vmboot_pcrs(source_dir);
    const std::string log = read_text(source_dir / "samples/sb-shim-grub/eventlog.bin");
    g.event_log.assign(log.begin(), log.end());
    g.gpu_report = from_hex(read_text(shared / "go-nvtrust/pkg/gonvtrust/mocks/attestationReport.txt"));
    g.gpu_chain = read_text(shared / "go-nvtrust/pkg/gonvtrust/mocks/gpuAkCertChain.txt");
    generate(g);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
