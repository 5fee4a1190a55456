// NVIDIA report verification with a cached leaf key against its floor, one raw OpenSSL ECDSA
// P-384 verify of a precomputed digest (what `openssl speed ecdsap384` measures). Target:
// BM_NvidiaReportVerify at >= 0.9 of BM_RawEcdsaP384Verify's rate on one core. Also: the same
// with hashing included in the floor, cold verification (PEM leaf parse included), and an SPDM
// 1.2 spdm-emu transcript.
#include <benchmark/benchmark.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "attestd/evidence/hash.h"
#include "attestd/evidence/nvidia/report.h"
#include "attestd/evidence/spdm/cert_chain.h"
#include "attestd/evidence/spdm/measurements_verification.h"
#include "attestd/evidence/spdm/public_key.h"
#include "attestd/evidence/spdm/transcript.h"

namespace {

namespace ev = attestd::evidence;
namespace nv = attestd::evidence::nvidia;
namespace spdm = attestd::evidence::spdm;
using Bytes = std::vector<uint8_t>;

const std::filesystem::path kShared = ATTESTD_SHARED_TESTDATA;
const std::filesystem::path kSamples = kShared / "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples";

Bytes read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Report {
  Bytes report;
  Bytes chain_pem;
  spdm::PkeyPtr key;
  Bytes nonce;
  Report() {
    report = *nv::decode_report(read(kSamples / "hopperAttestationReport.txt"));
    chain_pem = read(kSamples / "hopperCertChain.txt");
    key = std::move(*spdm::first_public_key_from_pem(chain_pem));
    const auto n = ev::from_hex("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb");
    nonce.assign(n->begin(), n->end());
  }
};

const Report& report() {
  static const Report r;
  return r;
}

void BM_NvidiaReportVerify(benchmark::State& state) {
  const auto& r = report();
  for (auto _ : state) {
    auto v = nv::verify_nvidia_report(r.report, r.key.get(), r.nonce);
    if (!v.valid) state.SkipWithError("report did not verify");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_NvidiaReportVerify);

// The floor: one EVP_PKEY_verify of the report's signature over its precomputed SHA-384 digest.
void BM_RawEcdsaP384Verify(benchmark::State& state) {
  const auto& r = report();
  const auto parsed = nv::parse_report(r.report);
  const ev::Digest digest = ev::hash(ev::HashAlg::sha384, parsed->signed_bytes);
  const auto sig = parsed->response.signature;
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig.data(), 48, nullptr), BN_bin2bn(sig.data() + 48, 48, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(es, &der);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, r.key.get(), nullptr);
  EVP_PKEY_verify_init(ctx);
  for (auto _ : state) {
    const int ok = EVP_PKEY_verify(ctx, der, static_cast<size_t>(der_len), digest.bytes().data(), digest.size());
    if (ok != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
  EVP_PKEY_CTX_free(ctx);
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
}
BENCHMARK(BM_RawEcdsaP384Verify);

// Floor including the SHA-384 of the ~4 KB signed bytes (EVP_DigestVerify).
void BM_RawEcdsaP384DigestVerify(benchmark::State& state) {
  const auto& r = report();
  const auto parsed = nv::parse_report(r.report);
  const auto sig = parsed->response.signature;
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig.data(), 48, nullptr), BN_bin2bn(sig.data() + 48, 48, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(es, &der);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, ev::evp_md(ev::HashAlg::sha384), nullptr, r.key.get());
    const int ok = EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len), parsed->signed_bytes.data(),
                                    parsed->signed_bytes.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
}
BENCHMARK(BM_RawEcdsaP384DigestVerify);

// Cold: hex decode, PEM leaf parse, verification.
void BM_NvidiaReportVerifyCold(benchmark::State& state) {
  const Bytes text = read(kSamples / "hopperAttestationReport.txt");
  const auto& r = report();
  for (auto _ : state) {
    auto bytes = nv::decode_report(text);
    auto key = spdm::first_public_key_from_pem(r.chain_pem);
    auto v = nv::verify_nvidia_report(*bytes, key->get(), r.nonce);
    if (!v.valid) state.SkipWithError("report did not verify");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_NvidiaReportVerifyCold);

// SPDM 1.2 (VCA + signing-context prefix) transcript of spdm-emu, cached leaf key.
void BM_Spdm12TranscriptVerify(benchmark::State& state) {
  const auto dir = kShared / "spdm-emu/v12_p384_all";
  const Bytes vca = read(dir / "vca.bin");
  const Bytes req = read(dir / "signed0_get_measurements.bin");
  const Bytes rsp = read(dir / "signed0_measurements.bin");
  const Bytes chain_bytes = read(dir / "cert_chain_slot0.bin");
  const auto chain = spdm::parse_cert_chain(chain_bytes, ev::HashAlg::sha384);
  const auto key = spdm::leaf_public_key(*chain);
  spdm::Transcript t;
  t.vca.emplace_back(vca);
  t.exchanges.push_back({req, rsp});
  const Bytes nonce(req.begin() + 4, req.begin() + 36);
  spdm::MeasurementsVerifyOptions o;
  o.expected_nonce = nonce;
  for (auto _ : state) {
    auto v = spdm::verify_measurements(t, key->get(), o);
    if (!v.valid) state.SkipWithError("transcript did not verify");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Spdm12TranscriptVerify);

}  // namespace
