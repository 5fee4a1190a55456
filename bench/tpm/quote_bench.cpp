// TPM quote verification against its floor, raw OpenSSL verification with the same key and
// signature. Target: verify_quote of an RSA-2048 RSASSA-SHA256 quote within 1.3x of the raw
// RSA-2048 verify (BM_RawRsa2048Verify).
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/tpm/attest.h"
#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/tpm/signature.h"

namespace {

namespace ev = attestd::evidence;
namespace tpm = attestd::evidence::tpm;
using Bytes = std::vector<uint8_t>;

Bytes read(const std::string& rel) {
  const auto path = std::filesystem::path(ATTESTD_SHARED_TESTDATA) / "vmboot/sb-shim-grub" / rel;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct QuoteData {
  tpm::PublicKey ak;
  Bytes msg, sig;
  Bytes nonce;
  ev::PcrValues pcrs;
};

QuoteData load(const std::string& ak, const std::string& stem) {
  auto key = tpm::load_public_key(read(ak));
  auto pcrs = tpm::parse_tpm2_tools_pcr_file(read(stem + ".pcrs"));
  if (!key || !pcrs) throw std::runtime_error("cannot load " + stem);
  std::string nonce_hex;
  {
    const Bytes n = read("nonce.hex");
    nonce_hex.assign(n.begin(), n.end());
    while (!nonce_hex.empty() && (nonce_hex.back() == '\n' || nonce_hex.back() == '\r')) nonce_hex.pop_back();
  }
  const auto nonce = ev::from_hex(nonce_hex);
  return QuoteData{std::move(*key), read(stem + ".msg"), read(stem + ".sig"), Bytes(nonce->begin(), nonce->end()),
                   std::move(*pcrs)};
}

const QuoteData& rsa() {
  static const QuoteData d = load("ak.pub", "quote");
  return d;
}
const QuoteData& ecc() {
  static const QuoteData d = load("ak_ecc.pub", "quote_ecc");
  return d;
}

// The whole verification from the bytes tpm2_quote wrote: TPMT_SIGNATURE and TPMS_ATTEST
// decoding, nonce, pcrDigest, clock and signature checks.
void BM_VerifyQuoteRsa2048(benchmark::State& state) {
  const auto& d = rsa();
  for (auto _ : state) {
    auto v = tpm::verify_quote(d.ak, d.msg, d.sig, d.nonce, d.pcrs);
    if (!v.valid) state.SkipWithError("quote did not verify");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_VerifyQuoteRsa2048);

void BM_VerifyQuoteEccP256(benchmark::State& state) {
  const auto& d = ecc();
  for (auto _ : state) {
    auto v = tpm::verify_quote(d.ak, d.msg, d.sig, d.nonce, d.pcrs);
    if (!v.valid) state.SkipWithError("quote did not verify");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_VerifyQuoteEccP256);

// The floor: OpenSSL's RSA-2048 PKCS#1 v1.5 verification of the same signature over the
// precomputed SHA-256 of the same message, with a context prepared once (the fastest OpenSSL
// allows: no hashing, no fetching, no allocation).
void BM_RawRsa2048Verify(benchmark::State& state) {
  const auto& d = rsa();
  const auto sig = tpm::parse_tpmt_signature(d.sig);
  const ev::Digest digest = ev::hash(ev::HashAlg::sha256, d.msg);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, d.ak.evp(), nullptr);
  EVP_PKEY_verify_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
  EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256());
  for (auto _ : state) {
    const int ok = EVP_PKEY_verify(ctx, sig->rsa.data(), sig->rsa.size(), digest.bytes().data(), digest.size());
    if (ok != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
  EVP_PKEY_CTX_free(ctx);
}
BENCHMARK(BM_RawRsa2048Verify);

// What straightforward OpenSSL 3 code does per call: a fresh EVP_DigestVerify context (algorithm
// fetches, parameter parsing) hashing the message.
void BM_RawRsa2048DigestVerifyFreshContext(benchmark::State& state) {
  const auto& d = rsa();
  const auto sig = tpm::parse_tpmt_signature(d.sig);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, d.ak.evp(), nullptr);
    const int ok = EVP_DigestVerify(ctx, sig->rsa.data(), sig->rsa.size(), d.msg.data(), d.msg.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_RawRsa2048DigestVerifyFreshContext);

// The ECDSA P-256 floor, likewise with a prepared context and a precomputed digest.
void BM_RawEcdsaP256Verify(benchmark::State& state) {
  const auto& d = ecc();
  const auto sig = tpm::parse_tpmt_signature(d.sig);
  const ev::Digest digest = ev::hash(ev::HashAlg::sha256, d.msg);
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(sig->ecdsa_r.data(), static_cast<int>(sig->ecdsa_r.size()), nullptr),
                 BN_bin2bn(sig->ecdsa_s.data(), static_cast<int>(sig->ecdsa_s.size()), nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(es, &der);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, d.ak.evp(), nullptr);
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
BENCHMARK(BM_RawEcdsaP256Verify);

// The once-per-AK cost that verify_quote does not pay: decoding the TPM2B_PUBLIC into an EVP_PKEY.
void BM_LoadAkTpm2bPublic(benchmark::State& state) {
  const Bytes ak = read("ak.pub");
  for (auto _ : state) {
    auto key = tpm::load_public_key(ak);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_LoadAkTpm2bPublic);

void BM_ParseAttest(benchmark::State& state) {
  const auto& d = rsa();
  for (auto _ : state) {
    auto a = tpm::parse_attest(d.msg);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ParseAttest);

void BM_ParsePcrFile(benchmark::State& state) {
  const Bytes file = read("quote_multibank.pcrs");
  for (auto _ : state) {
    auto p = tpm::parse_tpm2_tools_pcr_file(file);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ParsePcrFile);

}  // namespace
