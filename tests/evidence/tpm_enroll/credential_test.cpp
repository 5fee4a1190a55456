// TPM2_MakeCredential in software: KDF known answers, an independent TPM-side activation on OpenSSL
// primitives for RSA and ECC EKs, the tpm2-tools file form, and every refusal with its reason.
#include "attestd/evidence/tpm/credential.h"

#include <gtest/gtest.h>

#include "attestd/evidence/tpm/enroll_reasons.h"
#include "attestd/evidence/tpm/reasons.h"
#include "enroll_test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace enroll_testing;

// ---- KDFa / KDFe --------------------------------------------------------------------------------

// The TPM reference implementation's own KDFa self-test (TPM 2.0 Part 4, KdfTestData.h, as shipped
// in libtpms): a 20-byte key, label "KDFSELFTESTLABEL\0", two 8-byte contexts, 160 bits out.
struct KdfaVector {
  HashAlg alg;
  std::string_view out;
};
class KdfaReferenceVector : public ::testing::TestWithParam<KdfaVector> {};

TEST_P(KdfaReferenceVector, MatchesTheTpmReferenceSelfTest) {
  const Bytes key = hex("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C");
  const Bytes u = hex("CE244F395DCA7391");
  const Bytes v = hex("DA504031DDF12E83");
  // The label as the reference passes it (with its 0x00) and without it: KDFa adds a missing 0x00.
  const auto with_nul = kdfa(GetParam().alg, key, std::string_view("KDFSELFTESTLABEL\0", 17), u, v, 160);
  const auto without = kdfa(GetParam().alg, key, "KDFSELFTESTLABEL", u, v, 160);
  ASSERT_TRUE(with_nul.has_value()) << with_nul.error().message;
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(to_hex(*with_nul), GetParam().out);
  EXPECT_EQ(*with_nul, *without);
}

INSTANTIATE_TEST_SUITE_P(TpmReference, KdfaReferenceVector,
                         ::testing::Values(KdfaVector{HashAlg::sha1, "55b5a7184aa07423c47dae766c26a2377d7cf851"},
                                           KdfaVector{HashAlg::sha256, "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4"},
                                           KdfaVector{HashAlg::sha384, "1dce70c9113eb2dba47bd9cfc72bf46f45b09312"},
                                           KdfaVector{HashAlg::sha512, "8be2c1b85b78569b9fa759f5857c56d684810fd3"}));

TEST(Kdfa, EqualsOpenSslKbkdfForCredentialSizes) {
  const Bytes seed = hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  const Bytes name = fake_name(HashAlg::sha256);
  for (HashAlg alg : {HashAlg::sha256, HashAlg::sha384}) {
    for (uint32_t bits : {128u, 256u, 384u, 520u, 1024u}) {
      const auto ours = kdfa(alg, seed, "STORAGE", name, {}, bits);
      ASSERT_TRUE(ours.has_value());
      EXPECT_EQ(*ours, openssl_kbkdf(alg, seed, "STORAGE", name, bits / 8)) << hash_alg_name(alg) << " " << bits;
    }
  }
}

TEST(Kdfa, RefusesSizesThatAreNotWholeBytes) {
  const Bytes key(32, 1);
  for (uint32_t bits : {0u, 7u, 129u, 8200u}) {
    const auto r = kdfa(HashAlg::sha256, key, "STORAGE", {}, {}, bits);
    ASSERT_FALSE(r.has_value()) << bits;
    EXPECT_EQ(r.error().id, kCredentialCryptoFailed);
  }
}

TEST(Kdfe, EqualsOpenSslSingleStepKdf) {
  const Bytes z = hex("7f30e9edcc388031b401e77fd7fa4d7a6e6cc0303a857ad66a906aad7f556748");
  const Bytes xu = hex("503ae5ac9495c21b1901f50be750db947de2e83d611af8213cf86047c3363a47");
  const Bytes xv = hex("355f25271900cedb63c83c03a085a0794d9ec802290ea7f8c34c20028a80e349");
  Bytes fixed = identity_label();
  fixed.insert(fixed.end(), xu.begin(), xu.end());
  fixed.insert(fixed.end(), xv.begin(), xv.end());
  for (HashAlg alg : {HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    for (uint32_t bits : {256u, 384u, 768u}) {
      const auto ours = kdfe(alg, z, "IDENTITY", xu, xv, bits);
      ASSERT_TRUE(ours.has_value());
      EXPECT_EQ(*ours, openssl_sskdf(alg, z, fixed, bits / 8)) << hash_alg_name(alg) << " " << bits;
    }
  }
}

// ---- EK public areas ----------------------------------------------------------------------------

TEST(ParseEkPublic, AcceptsTheRealSwtpmEks) {
  const auto rsa = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek.pub")));
  ASSERT_TRUE(rsa.has_value()) << rsa.error().message;
  EXPECT_EQ(rsa->key().type(), KeyType::rsa);
  EXPECT_EQ(rsa->name_alg(), HashAlg::sha256);
  EXPECT_EQ(rsa->symmetric_key_bits(), 128);
  EXPECT_EQ(rsa->rsa_modulus().size(), 256u);

  // The P-384 EK of swtpm 0.7 (high-range template): nameAlg SHA-384, AES-256-CFB.
  const auto ecc = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek_ecc.pub")));
  ASSERT_TRUE(ecc.has_value()) << ecc.error().message;
  EXPECT_EQ(ecc->key().curve(), EccCurve::p384);
  EXPECT_EQ(ecc->name_alg(), HashAlg::sha384);
  EXPECT_EQ(ecc->symmetric_key_bits(), 256);
  EXPECT_EQ(ecc->ecc_x().size(), 48u);
}

TEST(ParseEkPublic, AcceptsABareTpmtPublic) {
  const Bytes tpm2b = read_bytes(shared("vmboot/nosb-direct/ek.pub"));
  const auto ek = parse_ek_public(std::span<const uint8_t>(tpm2b).subspan(2));
  ASSERT_TRUE(ek.has_value()) << ek.error().message;
  EXPECT_EQ(ek->key().type(), KeyType::rsa);
}

TEST(ParseEkPublic, RefusesASigningKeyAsNotAStorageKey) {
  const auto ak = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ak.pub")));
  ASSERT_FALSE(ak.has_value());
  EXPECT_EQ(ak.error().id, kEkNotStorageKey);
}

TEST(ParseEkPublic, RefusesARestrictedDecryptKeyWithoutAes) {
  auto key = rsa_key(2048);
  TPMT_PUBLIC p = ek_tpmt(key.get(), HashAlg::sha256, 128);
  p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
  const auto ek = parse_ek_public(marshal_tpm2b_public(p));
  ASSERT_FALSE(ek.has_value());
  EXPECT_EQ(ek.error().id, kEkUnsupportedSymmetric);

  p = ek_tpmt(key.get(), HashAlg::sha256, 128);
  p.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CBC;
  const auto cbc = parse_ek_public(marshal_tpm2b_public(p));
  ASSERT_FALSE(cbc.has_value());
  EXPECT_EQ(cbc.error().id, kEkUnsupportedSymmetric);
}

TEST(ParseEkPublic, RefusesANullNameAlg) {
  auto key = ec_key("P-256");
  TPMT_PUBLIC p = ek_tpmt(key.get(), HashAlg::sha256, 128);
  p.nameAlg = TPM2_ALG_NULL;
  const auto ek = parse_ek_public(marshal_tpm2b_public(p));
  ASSERT_FALSE(ek.has_value());
  EXPECT_EQ(ek.error().id, kEkNoNameAlg);
}

TEST(ParseEkPublic, PassesKeyErrorsThrough) {
  const Bytes junk = {0x00, 0x04, 0x00, 0x01, 0x00};
  const auto ek = parse_ek_public(junk);
  ASSERT_FALSE(ek.has_value());
  EXPECT_EQ(ek.error().id.substr(0, 8), "tpm.key.");
}

// ---- make_credential against an independent activation ------------------------------------------

struct EkCase {
  const char* what;
  const char* key;  // "RSA-2048", "RSA-3072", "P-256", "P-384"
  HashAlg name_alg;
  uint16_t aes_bits;
};

class MakeCredential : public ::testing::TestWithParam<EkCase> {
 protected:
  // One key per kind for the whole binary: RSA key generation dominates the run time otherwise.
  EVP_PKEY* make_key() const {
    static Pkey rsa2048 = rsa_key(2048), rsa3072 = rsa_key(3072), p256 = ec_key("P-256"), p384 = ec_key("P-384");
    const std::string_view k = GetParam().key;
    if (k == "RSA-2048") return rsa2048.get();
    if (k == "RSA-3072") return rsa3072.get();
    return k == "P-256" ? p256.get() : p384.get();
  }
};

TEST_P(MakeCredential, IsActivatedByAnIndependentTpmSide) {
  const EkCase& c = GetParam();
  EVP_PKEY* const key = make_key();
  const TPMT_PUBLIC pub = ek_tpmt(key, c.name_alg, c.aes_bits);
  const auto ek = parse_ek_public(marshal_tpm2b_public(pub));
  ASSERT_TRUE(ek.has_value()) << ek.error().message;
  // AK Names of the three hash sizes: the Name's algorithm is independent of the EK's.
  for (HashAlg name_alg : {HashAlg::sha256, HashAlg::sha1, HashAlg::sha384}) {
    const Bytes name = fake_name(name_alg, 0x3C);
    const Bytes secret = hex(std::string(64, 'a').substr(0, 2 * std::min<size_t>(32, digest_size(c.name_alg))));
    DeterministicRandom rng(std::string(c.what) + hash_alg_name(name_alg).data());
    const auto cred = make_credential(*ek, name, secret, rng);
    ASSERT_TRUE(cred.has_value()) << cred.error().message;
    const auto recovered = software_activate(key, pub, name, *cred);
    ASSERT_TRUE(recovered.has_value()) << c.what << ": the outer HMAC does not verify";
    EXPECT_EQ(*recovered, secret) << c.what;

    // The TPM would refuse it for any other Name: the HMAC covers the Name (Part 1, 24.5).
    Bytes other = name;
    other.back() ^= 0x01;
    EXPECT_FALSE(software_activate(key, pub, other, *cred).has_value()) << c.what;
  }
}

TEST_P(MakeCredential, IsDeterministicGivenTheRandomSource) {
  EVP_PKEY* const key = make_key();
  const TPMT_PUBLIC pub = ek_tpmt(key, GetParam().name_alg, GetParam().aes_bits);
  const auto ek = parse_ek_public(marshal_tpm2b_public(pub));
  ASSERT_TRUE(ek.has_value());
  const Bytes name = fake_name(HashAlg::sha256);
  const Bytes secret(32, 0x42);
  DeterministicRandom a("same"), b("same"), c("other");
  const auto x = make_credential(*ek, name, secret, a);
  const auto y = make_credential(*ek, name, secret, b);
  const auto z = make_credential(*ek, name, secret, c);
  ASSERT_TRUE(x && y && z);
  EXPECT_EQ(x->credential_blob, y->credential_blob);
  EXPECT_EQ(x->encrypted_secret, y->encrypted_secret);
  EXPECT_NE(x->credential_blob, z->credential_blob);
  EXPECT_NE(x->encrypted_secret, z->encrypted_secret);
}

TEST_P(MakeCredential, HasTheTpmLayout) {
  EVP_PKEY* const key = make_key();
  const TPMT_PUBLIC pub = ek_tpmt(key, GetParam().name_alg, GetParam().aes_bits);
  const auto ek = parse_ek_public(marshal_tpm2b_public(pub));
  ASSERT_TRUE(ek.has_value());
  const Bytes secret(32, 0x42);
  DeterministicRandom rng("layout");
  const auto cred = make_credential(*ek, fake_name(HashAlg::sha256), secret, rng);
  ASSERT_TRUE(cred.has_value());
  const size_t h = digest_size(GetParam().name_alg);
  // TPM2B_ID_OBJECT: size || TPM2B_DIGEST(HMAC) || encrypted TPM2B_DIGEST(secret).
  EXPECT_EQ(cred->credential_blob.size(), 2 + 2 + h + 2 + secret.size());
  const auto id = parse_id_object(cred->credential_blob);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->integrity_hmac.size(), h);
  EXPECT_EQ(id->enc_identity.size(), 2 + secret.size());
  // TPM2B_ENCRYPTED_SECRET: the modulus size for RSA, a TPMS_ECC_POINT for ECC.
  const size_t expected = ek->key().type() == KeyType::rsa ? 2 + ek->rsa_modulus().size()
                                                           : 2 + 2 * (2 + ek->ecc_x().size());
  EXPECT_EQ(cred->encrypted_secret.size(), expected);
}

INSTANTIATE_TEST_SUITE_P(
    EkTemplates, MakeCredential,
    ::testing::Values(EkCase{"rsa2048_sha256_aes128", "RSA-2048", HashAlg::sha256, 128},  // template L-1
                      EkCase{"p256_sha256_aes128", "P-256", HashAlg::sha256, 128},         // template L-2
                      EkCase{"p384_sha384_aes256", "P-384", HashAlg::sha384, 256},         // template H-3
                      EkCase{"rsa3072_sha384_aes256", "RSA-3072", HashAlg::sha384, 256}),  // template H-2
    [](const auto& p) { return std::string(p.param.what); });

TEST(MakeCredentialRealEk, HasTheLayoutOfTpm2MakecredentialForTheSwtpmEks) {
  // The swtpm EKs of vmboot with that folder's AK Name: attestd's file and tpm2_makecredential's
  // (tests/evidence/tpm_enroll/data) have the same header and sizes.
  struct Case {
    const char* ek;
    const char* theirs;
  };
  for (const Case& c : {Case{"vmboot/nosb-direct/ek.pub", "tpm2_makecredential_rsa2048.cred"},
                        Case{"vmboot/nosb-direct/ek_ecc.pub", "tpm2_makecredential_eccp384.cred"}}) {
    const auto ek = parse_ek_public(read_bytes(shared(c.ek)));
    ASSERT_TRUE(ek.has_value()) << ek.error().message;
    const Bytes name = read_bytes(shared("vmboot/nosb-direct/ak.name"));
    const Bytes secret = read_bytes(local("secret.bin"));
    DeterministicRandom rng(c.ek);
    const auto ours = make_credential(*ek, name, secret, rng);
    ASSERT_TRUE(ours.has_value()) << ours.error().message;
    const Bytes ours_file = to_tpm2_tools_credential_file(*ours);
    const Bytes theirs_file = read_bytes(local(c.theirs));
    const auto theirs = parse_tpm2_tools_credential_file(theirs_file);
    ASSERT_TRUE(theirs.has_value()) << theirs.error().message;
    EXPECT_EQ(ours_file.size(), theirs_file.size()) << c.ek;
    EXPECT_TRUE(std::equal(ours_file.begin(), ours_file.begin() + 12, theirs_file.begin())) << c.ek;
    EXPECT_EQ(ours->credential_blob.size(), theirs->credential_blob.size());
    EXPECT_EQ(ours->encrypted_secret.size(), theirs->encrypted_secret.size());
    const auto ours_id = parse_id_object(ours->credential_blob);
    const auto theirs_id = parse_id_object(theirs->credential_blob);
    ASSERT_TRUE(ours_id && theirs_id);
    EXPECT_EQ(ours_id->integrity_hmac.size(), theirs_id->integrity_hmac.size());
    EXPECT_EQ(ours_id->enc_identity.size(), theirs_id->enc_identity.size());
  }
}

// ---- the tpm2-tools credential file -------------------------------------------------------------

TEST(Tpm2ToolsCredentialFile, RoundTrips) {
  Credential c;
  c.credential_blob = {0x00, 0x03, 0xAA, 0xBB, 0xCC};
  c.encrypted_secret = {0x00, 0x02, 0x11, 0x22};
  const Bytes file = to_tpm2_tools_credential_file(c);
  EXPECT_EQ(to_hex(std::span<const uint8_t>(file).first(8)), "badcc0de00000001");
  const auto back = parse_tpm2_tools_credential_file(file);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->credential_blob, c.credential_blob);
  EXPECT_EQ(back->encrypted_secret, c.encrypted_secret);
}

TEST(Tpm2ToolsCredentialFile, RefusesBadMagicTruncationAndTrailingBytes) {
  Bytes file = read_bytes(local("tpm2_makecredential_rsa2048.cred"));
  ASSERT_TRUE(parse_tpm2_tools_credential_file(file).has_value());
  Bytes bad_magic = file;
  bad_magic[0] ^= 0x01;
  Bytes bad_version = file;
  bad_version[7] = 2;
  Bytes truncated(file.begin(), file.end() - 1);
  Bytes trailing = file;
  trailing.push_back(0);
  Bytes header_only(file.begin(), file.begin() + 8);
  for (const Bytes* b : {&bad_magic, &bad_version, &truncated, &trailing, &header_only}) {
    const auto r = parse_tpm2_tools_credential_file(*b);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kCredentialFileMalformed);
  }
}

// ---- refusals -----------------------------------------------------------------------------------

class MakeCredentialRefuses : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek.pub")));
    ASSERT_TRUE(parsed.has_value());
    ek_.emplace(std::move(*parsed));
  }
  std::optional<EkPublic> ek_;
  Bytes name_ = fake_name(HashAlg::sha256);
  Bytes secret_ = Bytes(32, 0x42);
};

TEST_F(MakeCredentialRefuses, MalformedAkNames) {
  // Built from a range: a copy then pop_back() trips g++ 12's -Warray-bounds at -O2.
  const Bytes short_digest(name_.begin(), name_.end() - 1);
  Bytes unknown_alg = name_;
  unknown_alg[1] = 0x99;
  const Bytes empty;
  const Bytes one = {0x00};
  for (const Bytes* n : std::vector<const Bytes*>{&short_digest, &unknown_alg, &empty, &one}) {
    DeterministicRandom rng("x");
    const auto r = make_credential(*ek_, *n, secret_, rng);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kCredentialAkNameMalformed);
    EXPECT_EQ(rng.given(), 0u) << "no randomness is spent on refused input";
  }
}

TEST_F(MakeCredentialRefuses, SecretsLongerThanTheNameAlgDigestOrEmpty) {
  for (size_t n : {size_t{0}, size_t{33}, size_t{64}}) {
    DeterministicRandom rng("x");
    const auto r = make_credential(*ek_, name_, Bytes(n, 1), rng);
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().id, kCredentialSecretSize);
  }
  DeterministicRandom rng("x");
  EXPECT_TRUE(make_credential(*ek_, name_, Bytes(1, 1), rng).has_value());
}

TEST_F(MakeCredentialRefuses, AFailingRandomSource) {
  for (size_t budget : {size_t{0}, size_t{32}}) {  // no seed / no OAEP seed
    FailingRandom rng(budget);
    const auto r = make_credential(*ek_, name_, secret_, rng);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kCredentialRandomFailed);
  }
  auto ecc = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek_ecc.pub")));
  ASSERT_TRUE(ecc.has_value());
  FailingRandom none(0);
  const auto r = make_credential(*ecc, name_, secret_, none);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().id, kCredentialRandomFailed);
  // A source that never yields a scalar below the group order is given up on, not looped on.
  AllOnesRandom ones;
  const auto o = make_credential(*ecc, name_, secret_, ones);
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().id, kCredentialRandomFailed);
}

TEST(SystemRandom, GivesDifferentCredentialsEachTime) {
  auto ek = parse_ek_public(read_bytes(shared("vmboot/nosb-direct/ek.pub")));
  ASSERT_TRUE(ek.has_value());
  const auto a = make_credential(*ek, fake_name(HashAlg::sha256), Bytes(32, 7), system_random());
  const auto b = make_credential(*ek, fake_name(HashAlg::sha256), Bytes(32, 7), system_random());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->encrypted_secret, b->encrypted_secret);
}

}  // namespace
}  // namespace attestd::evidence::tpm
