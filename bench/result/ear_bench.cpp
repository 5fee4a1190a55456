// EAR signing against its floor. Target: BM_IssueEar within ~1.2x of BM_RawEcdsaP256Sign (one
// ECDSA P-256 signature over an EAR-sized message with the same key, through EVP with the digest
// fetched once): everything else (JSON, base64url, r||s conversion) should cost a few µs.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "attestd/result/ear.h"
#include "attestd/result/jwk.h"
#include "attestd/result/signing_key.h"

namespace {

using namespace attestd::result;

struct Fixture {
  EVP_PKEY* pkey = nullptr;
  const EVP_MD* md = nullptr;
  std::optional<SigningKey> key;
  std::optional<KeySet> set;
  std::optional<PublicJwk> tee;
  std::vector<uint8_t> nonce = std::vector<uint8_t>(32, 0xa5);
  std::vector<Submod> submods;

  Fixture() {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    auto k = SigningKey::from_pem(std::string(data, static_cast<size_t>(len)));
    BIO_free(bio);
    if (!k) throw std::runtime_error("key");
    key.emplace(std::move(*k));
    set.emplace(*key);
    auto t = public_jwk_from_pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!t) throw std::runtime_error("tee");
    tee.emplace(std::move(*t));
  }

  EarRequest request(size_t gpus) {
    EarRequest req;
    req.nonce = nonce;
    req.issued_at = std::chrono::sys_seconds(std::chrono::seconds(1'750'000'000));
    req.tee_key = &*tee;
    req.submods.push_back({"tpm0", Status::kAffirming, derive_trust_vector(EvidenceKind::kTpm, Status::kAffirming, {}),
                           "policy/web-v3", {}});
    for (size_t i = 0; i < gpus; ++i) {
      req.submods.push_back({"gpu" + std::to_string(i), Status::kAffirming,
                             derive_trust_vector(EvidenceKind::kGpu, Status::kAffirming, {}), "policy/web-v3", {}});
    }
    return req;
  }
};

Fixture& fx() {
  static Fixture f;
  return f;
}

// The floor: one ES256-sized ECDSA P-256 signature (SHA-256 + sign, DER out), same key and message
// size as BM_IssueEar, fresh EVP_MD_CTX each time as a server thread would do.
void BM_RawEcdsaP256Sign(benchmark::State& state) {
  auto& f = fx();
  const auto token = issue_ear(*f.key, f.request(1));
  const std::string input = token->substr(0, token->rfind('.'));
  unsigned char sig[80];
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = sizeof(sig);
    if (EVP_DigestSignInit(ctx, nullptr, f.md, nullptr, f.pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      state.SkipWithError("sign failed");
    }
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(sig);
  }
  state.SetLabel(std::to_string(input.size()) + " B signing input");
}
BENCHMARK(BM_RawEcdsaP256Sign);

void BM_SignEs256(benchmark::State& state) {
  auto& f = fx();
  const auto token = issue_ear(*f.key, f.request(1));
  const std::string input = token->substr(0, token->rfind('.'));
  const std::span<const uint8_t> msg(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  for (auto _ : state) benchmark::DoNotOptimize(f.key->sign_es256(msg));
}
BENCHMARK(BM_SignEs256);

// TPM + one GPU, tee key bound: the common attestation.
void BM_IssueEar(benchmark::State& state) {
  auto& f = fx();
  const auto req = f.request(static_cast<size_t>(state.range(0)));
  size_t size = 0;
  for (auto _ : state) {
    auto token = issue_ear(*f.key, req);
    if (!token) state.SkipWithError("issue failed");
    size = token->size();
    benchmark::DoNotOptimize(token);
  }
  state.SetLabel(std::to_string(size) + " B token");
}
BENCHMARK(BM_IssueEar)->Arg(1)->Arg(8);

void BM_BuildEarClaimsForAudit(benchmark::State& state) {
  auto& f = fx();
  const auto req = f.request(1);
  for (auto _ : state) benchmark::DoNotOptimize(build_ear_claims(req)->dump());
}
BENCHMARK(BM_BuildEarClaimsForAudit);

// The floor of verification: one ECDSA P-256 verify of the same token's signing input.
void BM_RawEcdsaP256Verify(benchmark::State& state) {
  auto& f = fx();
  const auto token = *issue_ear(*f.key, f.request(1));
  const std::string input = token.substr(0, token.rfind('.'));
  unsigned char sig[80];
  size_t len = sizeof(sig);
  EVP_MD_CTX* sctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(sctx, nullptr, f.md, nullptr, f.pkey);
  EVP_DigestSign(sctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(sctx);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(ctx, nullptr, f.md, nullptr, f.pkey) != 1 ||
        EVP_DigestVerify(ctx, sig, len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      state.SkipWithError("verify failed");
    }
    EVP_MD_CTX_free(ctx);
  }
}
BENCHMARK(BM_RawEcdsaP256Verify);

void BM_VerifyEar(benchmark::State& state) {
  auto& f = fx();
  const auto token = *issue_ear(*f.key, f.request(1));
  const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'750'000'010));
  for (auto _ : state) {
    auto v = verify_ear(token, f.set->verification_keys(), now);
    if (!v) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_VerifyEar);

// The TEE key on the key-release path: the attestation's JWK parsed and checked, and the EAR's
// akpub (SPKI) read back at release. Both build P-256 SPKI bytes directly;
// BM_OpenSslSpkiDecodeEncode is what one d2i_PUBKEY + i2d_PUBKEY cost through OpenSSL 3's
// decoder/encoder framework, the path they replaced.
void BM_PublicJwkFromJson(benchmark::State& state) {
  auto& f = fx();
  const auto text = f.tee->to_json().dump();
  for (auto _ : state) {
    auto jwk = parse_public_jwk(text);
    if (!jwk) state.SkipWithError("jwk");
    benchmark::DoNotOptimize(jwk);
  }
}
BENCHMARK(BM_PublicJwkFromJson);

void BM_PublicJwkFromSpki(benchmark::State& state) {
  auto& f = fx();
  for (auto _ : state) {
    auto jwk = public_jwk_from_spki_der(f.tee->spki_der());
    if (!jwk) state.SkipWithError("spki");
    benchmark::DoNotOptimize(jwk);
  }
}
BENCHMARK(BM_PublicJwkFromSpki);

void BM_OpenSslSpkiDecodeEncode(benchmark::State& state) {
  auto& f = fx();
  const auto& der = f.tee->spki_der();
  for (auto _ : state) {
    const unsigned char* p = der.data();
    EVP_PKEY* pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    unsigned char* out = nullptr;
    const int len = i2d_PUBKEY(pkey, &out);
    benchmark::DoNotOptimize(len);
    OPENSSL_free(out);
    EVP_PKEY_free(pkey);
  }
}
BENCHMARK(BM_OpenSslSpkiDecodeEncode);

}  // namespace
