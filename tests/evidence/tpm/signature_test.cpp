#include "attestd/evidence/tpm/signature.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/reasons.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

TEST(Signature, RsassaQuoteSignatureDecodes) {
  const auto sig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote.sig")));
  ASSERT_TRUE(sig.has_value()) << sig.error().message;
  EXPECT_EQ(sig->scheme, SigScheme::rsassa);
  EXPECT_EQ(sig->hash, HashAlg::sha256);
  EXPECT_EQ(sig->rsa.size(), 256u);
  EXPECT_TRUE(sig->ecdsa_r.empty());
}

TEST(Signature, EcdsaQuoteSignatureDecodes) {
  const auto sig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote_ecc.sig")));
  ASSERT_TRUE(sig.has_value()) << sig.error().message;
  EXPECT_EQ(sig->scheme, SigScheme::ecdsa);
  EXPECT_EQ(sig->hash, HashAlg::sha256);
  EXPECT_EQ(sig->ecdsa_r.size(), 32u);
  EXPECT_EQ(sig->ecdsa_s.size(), 32u);
}

TEST(Signature, TrailingByteIsTrailingBytes) {
  Bytes b = read_bytes(shared("vmboot/nosb-direct/quote_ecc.sig"));
  b.push_back(0);
  EXPECT_EQ(parse_tpmt_signature(b).error().id, kSignatureTrailingBytes);
}

TEST(Signature, EveryTruncationIsMalformed) {
  const Bytes b = read_bytes(shared("vmboot/nosb-direct/quote_ecc.sig"));
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_EQ(parse_tpmt_signature(std::span<const uint8_t>(b).first(n)).error().id, kSignatureMalformed) << n;
  }
}

TEST(Signature, RsaSizeAboveTheTpm2bMaximumIsMalformed) {
  Bytes b = {0x00, 0x14, 0x00, 0x0b, 0x02, 0x01};  // RSASSA, SHA-256, size 513 > 512
  b.resize(b.size() + 513, 0x5a);
  EXPECT_EQ(parse_tpmt_signature(b).error().id, kSignatureMalformed);
}

TEST(Signature, SchemesWeDoNotVerifyAreUnsupported) {
  for (uint16_t alg : {kAlgHmac, kAlgEcdaa, kAlgNull, uint16_t{0x001b}, uint16_t{0x001c}, uint16_t{0x7777}}) {
    const Bytes b = {static_cast<uint8_t>(alg >> 8), static_cast<uint8_t>(alg), 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00};
    const auto sig = parse_tpmt_signature(b);
    ASSERT_FALSE(sig.has_value()) << alg;
    EXPECT_EQ(sig.error().id, kSignatureUnsupported) << alg;
  }
}

TEST(Signature, Sm3OrUnknownHashIsUnsupported) {
  for (uint16_t hash : {uint16_t{0x0012}, uint16_t{0x0001}, kAlgNull}) {
    TPMT_SIGNATURE s{};
    s.sigAlg = kAlgRsassa;
    s.signature.rsassa.hash = hash;
    s.signature.rsassa.sig.size = 4;
    const auto sig = parse_tpmt_signature(marshal_signature(s));
    ASSERT_FALSE(sig.has_value());
    EXPECT_EQ(sig.error().id, kSignatureUnsupported) << hash;
  }
}

TEST(Signature, EmptyRsaOrEcdsaValuesAreMalformed) {
  TPMT_SIGNATURE s{};
  s.sigAlg = kAlgRsassa;
  s.signature.rsassa.hash = 0x000b;
  EXPECT_EQ(parse_tpmt_signature(marshal_signature(s)).error().id, kSignatureMalformed);
  s = {};
  s.sigAlg = kAlgEcdsa;
  s.signature.ecdsa.hash = 0x000b;
  s.signature.ecdsa.signatureR.size = 1;
  EXPECT_EQ(parse_tpmt_signature(marshal_signature(s)).error().id, kSignatureMalformed);
}

TEST(Signature, RawRsaSignatureKeepsBytesSchemeAndHash) {
  const Bytes raw = {1, 2, 3};
  const Signature s = raw_rsa_signature(raw, SigScheme::rsapss, HashAlg::sha384);
  EXPECT_EQ(s.rsa, raw);
  EXPECT_EQ(s.scheme, SigScheme::rsapss);
  EXPECT_EQ(s.hash, HashAlg::sha384);
}

TEST(Signature, RsaSignatureForAnEccKeyIsKeyMismatch) {
  const auto ecc = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak_ecc.pub")));
  const auto sig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote.sig")));
  ASSERT_TRUE(ecc && sig);
  EXPECT_EQ(verify_signature(*ecc, read_bytes(shared("vmboot/nosb-direct/quote.msg")), *sig).error().id,
            kSignatureKeyMismatch);
  const auto rsa = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak.pub")));
  const auto esig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote_ecc.sig")));
  ASSERT_TRUE(rsa && esig);
  EXPECT_EQ(verify_signature(*rsa, read_bytes(shared("vmboot/nosb-direct/quote_ecc.msg")), *esig).error().id,
            kSignatureKeyMismatch);
}

TEST(Signature, SchemeOtherThanTheKeysFixedSchemeIsNotAllowed) {
  const Pkey rsa = generate_rsa(2048);
  const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(rsa.get(), kAlgRsassa, 0x000B)));
  ASSERT_TRUE(key.has_value());
  const Bytes msg = {'m', 's', 'g'};
  // A genuine signature by the key, but with a scheme or hash its public area forbids.
  const auto pss = parse_tpmt_signature(marshal_signature(sign_tpm(rsa.get(), msg, kAlgRsapss, HashAlg::sha256)));
  const auto sha384 = parse_tpmt_signature(marshal_signature(sign_tpm(rsa.get(), msg, kAlgRsassa, HashAlg::sha384)));
  const auto ok = parse_tpmt_signature(marshal_signature(sign_tpm(rsa.get(), msg, kAlgRsassa, HashAlg::sha256)));
  ASSERT_TRUE(pss && sha384 && ok);
  EXPECT_EQ(verify_signature(*key, msg, *pss).error().id, kSignatureSchemeNotAllowed);
  EXPECT_EQ(verify_signature(*key, msg, *sha384).error().id, kSignatureSchemeNotAllowed);
  EXPECT_TRUE(verify_signature(*key, msg, *ok).has_value());
  // The same key from DER has no fixed scheme: both verify.
  const auto open = parse_public_key_der(der_spki(rsa.get()));
  ASSERT_TRUE(open.has_value());
  EXPECT_TRUE(verify_signature(*open, msg, *pss).has_value());
  EXPECT_TRUE(verify_signature(*open, msg, *sha384).has_value());
}

TEST(Signature, KeyWithSignClearCannotHaveSigned) {
  const Pkey rsa = generate_rsa(2048);
  const uint32_t decrypt_only = 0x000300b2;  // EK-like: restricted | decrypt, sign CLEAR
  const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(rsa.get(), kAlgNull, kAlgNull, decrypt_only)));
  ASSERT_TRUE(key.has_value());
  const Bytes msg = {'m'};
  const auto sig = parse_tpmt_signature(marshal_signature(sign_tpm(rsa.get(), msg, kAlgRsassa, HashAlg::sha256)));
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(verify_signature(*key, msg, *sig).error().id, kSignatureSchemeNotAllowed);
}

TEST(Signature, EcdsaWithZeroROrOversizedValuesIsInvalid) {
  const Pkey ec = generate_ec("P-256");
  const auto key = parse_public_key_der(der_spki(ec.get()));
  ASSERT_TRUE(key.has_value());
  const Bytes msg = {'m'};
  auto sig = parse_tpmt_signature(marshal_signature(sign_tpm(ec.get(), msg, kAlgEcdsa, HashAlg::sha256)));
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(verify_signature(*key, msg, *sig).has_value());
  Signature zero = *sig;
  std::fill(zero.ecdsa_r.begin(), zero.ecdsa_r.end(), 0);
  EXPECT_EQ(verify_signature(*key, msg, zero).error().id, kSignatureInvalid);
  Signature big = *sig;
  big.ecdsa_s.insert(big.ecdsa_s.begin(), 40, 0xff);
  EXPECT_EQ(verify_signature(*key, msg, big).error().id, kSignatureInvalid);
}

TEST(Signature, RsaSignatureOfWrongLengthIsInvalid) {
  const auto key = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak.pub")));
  auto sig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote.sig")));
  ASSERT_TRUE(key && sig);
  const Bytes msg = read_bytes(shared("vmboot/nosb-direct/quote.msg"));
  ASSERT_TRUE(verify_signature(*key, msg, *sig).has_value());
  Signature shorter = *sig;
  shorter.rsa.pop_back();
  EXPECT_EQ(verify_signature(*key, msg, shorter).error().id, kSignatureInvalid);
  Signature longer = *sig;
  longer.rsa.insert(longer.rsa.begin(), 0x00);
  EXPECT_EQ(verify_signature(*key, msg, longer).error().id, kSignatureInvalid);
}

TEST(Signature, VerifyingManyTimesAndFromManyThreadsGivesTheSameAnswer) {
  const auto key = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak.pub")));
  const auto sig = parse_tpmt_signature(read_bytes(shared("vmboot/nosb-direct/quote.sig")));
  ASSERT_TRUE(key && sig);
  const Bytes msg = read_bytes(shared("vmboot/nosb-direct/quote.msg"));
  Bytes bad = msg;
  bad[20] ^= 1;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!verify_signature(*key, msg, *sig).has_value()) ++failures;
        if (verify_signature(*key, bad, *sig).has_value()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace attestd::evidence::tpm
