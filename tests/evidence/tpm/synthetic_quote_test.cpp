// Quotes made here with fresh OpenSSL keys and TPMS_ATTEST / TPMT_SIGNATURE marshalled by
// libtss2-mu: covers the schemes, hashes and key sizes the real data does not (RSAPSS, ECDSA
// SHA-384/512, P-384, RSA-3072/4096). Real signatures throughout, no mocks.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/tpm/reasons.h"
#include "attestd/evidence/tpm/signature.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

// Keys are generated once per process: RSA-4096 generation takes a while.
EVP_PKEY* key_for(const std::string& spec) {
  static std::map<std::string, Pkey> keys;
  auto it = keys.find(spec);
  if (it == keys.end()) {
    Pkey k = spec.starts_with("rsa") ? generate_rsa(static_cast<unsigned>(std::stoul(spec.substr(3))))
                                     : generate_ec(spec.c_str());
    it = keys.emplace(spec, std::move(k)).first;
  }
  return it->second.get();
}

struct Case {
  std::string name;
  std::string key;  // "rsa2048", "P-384", ...
  uint16_t scheme;
  HashAlg hash;
  int pss_salt = RSA_PSS_SALTLEN_DIGEST;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// PCR values of two banks, each PCR a distinct value.
PcrValues sample_pcrs() {
  PcrValues pcrs;
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384}) {
    for (uint32_t i = 0; i < 24; ++i) {
      Digest d = Digest::filled(digest_size(alg), static_cast<uint8_t>(i + 16 * static_cast<unsigned>(alg)));
      pcrs[alg][i] = d;
    }
  }
  return pcrs;
}

struct Made {
  Bytes attest;
  Bytes sig;
};

// A TPMS_ATTEST of TPM2_Quote over sha256:{0,7,16} + sha384:{23} + sha1:{1}, with pcrDigest
// computed here independently of the library, signed with `c`.
Made make_quote(const Case& c, const Bytes& nonce, const PcrValues& pcrs, bool safe = true,
                uint16_t type = 0x8018) {
  TPMS_ATTEST a{};
  a.magic = 0xff544347;
  a.type = type;
  a.qualifiedSigner.size = 34;
  a.qualifiedSigner.name[0] = 0x00;
  a.qualifiedSigner.name[1] = 0x0b;
  a.extraData.size = static_cast<uint16_t>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), a.extraData.buffer);
  a.clockInfo.clock = 123456789;
  a.clockInfo.resetCount = 3;
  a.clockInfo.restartCount = 1;
  a.clockInfo.safe = safe ? 1 : 0;
  a.firmwareVersion = 0x2019102300163636;
  if (type == 0x8018) {
    auto& q = a.attested.quote;
    q.pcrSelect.count = 3;
    q.pcrSelect.pcrSelections[0] = {0x000b, 3, {0x81, 0x00, 0x01, 0x00}};  // 0, 7, 16
    q.pcrSelect.pcrSelections[1] = {0x000c, 3, {0x00, 0x00, 0x80, 0x00}};  // 23
    q.pcrSelect.pcrSelections[2] = {0x0004, 3, {0x02, 0x00, 0x00, 0x00}};  // 1
    Bytes concat;
    for (auto [alg, index] : {std::pair{HashAlg::sha256, 0u}, {HashAlg::sha256, 7u}, {HashAlg::sha256, 16u},
                              {HashAlg::sha384, 23u}, {HashAlg::sha1, 1u}}) {
      const auto b = pcrs.at(alg).at(index).bytes();
      concat.insert(concat.end(), b.begin(), b.end());
    }
    const Bytes digest = digest_of(c.hash, concat);
    q.pcrDigest.size = static_cast<uint16_t>(digest.size());
    std::copy(digest.begin(), digest.end(), q.pcrDigest.buffer);
  } else {
    a.attested.certify.name.size = 2;
    a.attested.certify.qualifiedName.size = 2;
  }
  Made m;
  m.attest = marshal_attest(a);
  m.sig = marshal_signature(sign_tpm(key_for(c.key), m.attest, c.scheme, c.hash, c.pss_salt));
  return m;
}

PublicKey ak_for(const Case& c) {
  // The AK's public area fixes the scheme, as tpm2_createak does.
  auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(key_for(c.key), c.scheme, static_cast<uint16_t>(c.hash))));
  if (!key) throw std::runtime_error(key.error().message);
  return std::move(*key);
}

std::multiset<std::string_view> ids(const QuoteVerification& v) {
  std::multiset<std::string_view> out;
  for (const auto& r : v.reasons) out.insert(r.id);
  return out;
}

class SyntheticQuoteTest : public ::testing::TestWithParam<Case> {};

TEST_P(SyntheticQuoteTest, Verifies) {
  const Case& c = GetParam();
  const Bytes nonce(32, 0xa5);
  const auto pcrs = sample_pcrs();
  const Made m = make_quote(c, nonce, pcrs);
  const PublicKey ak = ak_for(c);
  const auto v = verify_quote(ak, m.attest, m.sig, nonce, pcrs);
  EXPECT_TRUE(v.valid);
  for (const auto& r : v.reasons) ADD_FAILURE() << r.id << ": " << r.message;
  ASSERT_EQ(v.claims.selections.size(), 3u);
  EXPECT_EQ(v.claims.selections[0], (PcrSelection{HashAlg::sha256, {0, 7, 16}}));
  EXPECT_EQ(v.claims.selections[1], (PcrSelection{HashAlg::sha384, {23}}));
  EXPECT_EQ(v.claims.selections[2], (PcrSelection{HashAlg::sha1, {1}}));
  EXPECT_EQ(v.claims.clock, (ClockInfo{123456789, 3, 1, true}));
  EXPECT_EQ(v.claims.firmware_version, 0x2019102300163636u);
  EXPECT_EQ(v.claims.extra_data, nonce);
  // The same key without its TPM public area (PEM) verifies too.
  const auto open = parse_public_key_pem(pem_spki(key_for(c.key)));
  ASSERT_TRUE(open.has_value());
  EXPECT_TRUE(verify_quote(*open, m.attest, m.sig, nonce, pcrs).valid);
}

TEST_P(SyntheticQuoteTest, TamperedQuoteFailsTheSignature) {
  const Case& c = GetParam();
  const Bytes nonce(32, 0xa5);
  const auto pcrs = sample_pcrs();
  Made m = make_quote(c, nonce, pcrs);
  m.attest[m.attest.size() - 1] ^= 0x01;  // inside pcrDigest: the digest check fails too
  EXPECT_EQ(ids(verify_quote(ak_for(c), m.attest, m.sig, nonce, pcrs)),
            (std::multiset<std::string_view>{kQuotePcrDigestMismatch, kQuoteSignatureInvalid}));
}

TEST_P(SyntheticQuoteTest, UnsafeClockIsNotSafe) {
  const Case& c = GetParam();
  const auto pcrs = sample_pcrs();
  const Made m = make_quote(c, {}, pcrs, /*safe=*/false);
  EXPECT_EQ(ids(verify_quote(ak_for(c), m.attest, m.sig, Bytes{}, pcrs)),
            (std::multiset<std::string_view>{kQuoteNotSafe}));
}

TEST_P(SyntheticQuoteTest, SignedCertifyIsWrongType) {
  const Case& c = GetParam();
  const Made m = make_quote(c, {}, {}, true, 0x8017);
  EXPECT_EQ(ids(verify_quote(ak_for(c), m.attest, m.sig, Bytes{}, {})),
            (std::multiset<std::string_view>{kQuoteWrongType}));
}

TEST_P(SyntheticQuoteTest, PcrValueOfWrongLengthIsPcrValueInvalid) {
  const Case& c = GetParam();
  auto pcrs = sample_pcrs();
  const Made m = make_quote(c, {}, pcrs);
  pcrs[HashAlg::sha384][23] = Digest::zeros(32);
  EXPECT_EQ(ids(verify_quote(ak_for(c), m.attest, m.sig, Bytes{}, pcrs)),
            (std::multiset<std::string_view>{kQuotePcrValueInvalid}));
}

const Case kCases[] = {
    {"rsa2048_rsassa_sha1", "rsa2048", kAlgRsassa, HashAlg::sha1},
    {"rsa2048_rsassa_sha256", "rsa2048", kAlgRsassa, HashAlg::sha256},
    {"rsa2048_rsassa_sha384", "rsa2048", kAlgRsassa, HashAlg::sha384},
    {"rsa2048_rsassa_sha512", "rsa2048", kAlgRsassa, HashAlg::sha512},
    {"rsa2048_rsapss_sha256_digest_salt", "rsa2048", kAlgRsapss, HashAlg::sha256, RSA_PSS_SALTLEN_DIGEST},
    {"rsa2048_rsapss_sha256_max_salt", "rsa2048", kAlgRsapss, HashAlg::sha256, RSA_PSS_SALTLEN_MAX},
    {"rsa2048_rsapss_sha1_max_salt", "rsa2048", kAlgRsapss, HashAlg::sha1, RSA_PSS_SALTLEN_MAX},
    {"rsa3072_rsassa_sha384", "rsa3072", kAlgRsassa, HashAlg::sha384},
    {"rsa3072_rsapss_sha384_max_salt", "rsa3072", kAlgRsapss, HashAlg::sha384, RSA_PSS_SALTLEN_MAX},
    {"rsa4096_rsassa_sha512", "rsa4096", kAlgRsassa, HashAlg::sha512},
    {"rsa4096_rsapss_sha512_digest_salt", "rsa4096", kAlgRsapss, HashAlg::sha512, RSA_PSS_SALTLEN_DIGEST},
    {"p256_ecdsa_sha256", "P-256", kAlgEcdsa, HashAlg::sha256},
    {"p256_ecdsa_sha384", "P-256", kAlgEcdsa, HashAlg::sha384},
    {"p256_ecdsa_sha512", "P-256", kAlgEcdsa, HashAlg::sha512},
    {"p256_ecdsa_sha1", "P-256", kAlgEcdsa, HashAlg::sha1},
    {"p384_ecdsa_sha384", "P-384", kAlgEcdsa, HashAlg::sha384},
    {"p384_ecdsa_sha512", "P-384", kAlgEcdsa, HashAlg::sha512},
    {"p384_ecdsa_sha256", "P-384", kAlgEcdsa, HashAlg::sha256},
};

INSTANTIATE_TEST_SUITE_P(FreshKeys, SyntheticQuoteTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(SyntheticQuote, PssSignatureUnderAnRsassaOnlyAkIsSignatureInvalid) {
  const Case pss{"pss", "rsa2048", kAlgRsapss, HashAlg::sha256};
  const Case rsassa{"rsassa", "rsa2048", kAlgRsassa, HashAlg::sha256};
  const auto pcrs = sample_pcrs();
  const Made m = make_quote(pss, {}, pcrs);
  const auto v = verify_quote(ak_for(rsassa), m.attest, m.sig, Bytes{}, pcrs);
  ASSERT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteSignatureInvalid}));
  EXPECT_NE(v.reasons[0].message.find(kSignatureSchemeNotAllowed), std::string::npos) << v.reasons[0].message;
}

TEST(SyntheticQuote, LongSelectionsAreHashedFromTheHeapCorrectly) {
  // 4 banks x 24 PCRs (sha512 alone is 1536 bytes) exceed the stack buffer of the digest.
  PcrValues pcrs = sample_pcrs();
  std::vector<PcrSelection> selections;
  Bytes concat;
  for (HashAlg alg : {HashAlg::sha512, HashAlg::sha384, HashAlg::sha256, HashAlg::sha1, HashAlg::sha512}) {
    PcrSelection s{alg, {}};
    for (uint32_t i = 0; i < 24; ++i) {
      s.pcrs.push_back(i);
      if (!pcrs[alg].contains(i)) pcrs[alg][i] = Digest::filled(digest_size(alg), static_cast<uint8_t>(i));
      const auto b = pcrs[alg][i].bytes();
      concat.insert(concat.end(), b.begin(), b.end());
    }
    selections.push_back(s);
  }
  ASSERT_GT(concat.size(), 4096u);
  const auto digest = compute_pcr_digest(HashAlg::sha256, selections, pcrs);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(to_hex(digest->bytes()), to_hex(digest_of(HashAlg::sha256, concat)));
}

}  // namespace
}  // namespace attestd::evidence::tpm
