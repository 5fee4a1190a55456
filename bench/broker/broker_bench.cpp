// What one key release costs on top of the attestation: wrapping a 32-byte secret as a JWE for
// each recipient type (RSA-OAEP-256 2048/3072, ECDH-ES+A256KW P-256/P-384), and opening the
// stored ciphertext under the KEK. Run: build/bench/broker/broker_bench
#include <openssl/evp.h>

#include <array>
#include <vector>

#include <benchmark/benchmark.h>

#include "attestd/broker/kek.h"
#include "attestd/evidence/ossl_ptr.h"
#include "attestd/result/jwe.h"
#include "attestd/result/jwk.h"

namespace {

using namespace attestd;

ossl::PkeyPtr make_key(int kind) {
  switch (kind) {
    case 0: return ossl::PkeyPtr(EVP_RSA_gen(2048));
    case 1: return ossl::PkeyPtr(EVP_RSA_gen(3072));
    case 2: return ossl::PkeyPtr(EVP_EC_gen("P-256"));
    default: return ossl::PkeyPtr(EVP_EC_gen("P-384"));
  }
}

void BM_EncryptJwe(benchmark::State& state) {
  const auto pkey = make_key(static_cast<int>(state.range(0)));
  const auto jwk = result::public_jwk_from_pkey(pkey.get());
  if (!jwk) {
    state.SkipWithError("no key");
    return;
  }
  const std::vector<uint8_t> secret(32, 0x5a);
  for (auto _ : state) {
    auto token = result::encrypt_jwe(*jwk, "model-key:1", secret);
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_EncryptJwe)->Arg(0)->Name("BM_EncryptJwe/RSA-OAEP-256/rsa2048");
BENCHMARK(BM_EncryptJwe)->Arg(1)->Name("BM_EncryptJwe/RSA-OAEP-256/rsa3072");
BENCHMARK(BM_EncryptJwe)->Arg(2)->Name("BM_EncryptJwe/ECDH-ES+A256KW/p256");
BENCHMARK(BM_EncryptJwe)->Arg(3)->Name("BM_EncryptJwe/ECDH-ES+A256KW/p384");

void BM_KekOpen(benchmark::State& state) {
  std::array<uint8_t, broker::kKekSize> k{};
  k.fill(1);
  const auto kek = broker::Kek::from_bytes(k);
  const std::vector<uint8_t> secret(static_cast<size_t>(state.range(0)), 0x5a);
  const broker::SealContext where{"0123456789abcdef0123456789abcdef", "model-key", 1};
  const auto sealed = kek.seal(where, secret);
  for (auto _ : state) {
    auto opened = kek.open(where, sealed->nonce, sealed->ciphertext);
    benchmark::DoNotOptimize(opened);
  }
}
BENCHMARK(BM_KekOpen)->Arg(32)->Arg(64 * 1024);

}  // namespace
