#include "attestd/evidence/tpm/public_key.h"

#include <gtest/gtest.h>

#include "attestd/evidence/tpm/reasons.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

const char* const kBoots[] = {"nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub"};

TEST(PublicKey, Tpm2bPublicNameEqualsTheNameFileForEveryVmbootAk) {
  for (const char* boot : kBoots) {
    for (const std::string stem : {"ak", "ak_ecc"}) {
      const auto dir = shared(std::string("vmboot/") + boot);
      const auto key = parse_tpm2b_public(read_bytes(dir / (stem + ".pub")));
      ASSERT_TRUE(key.has_value()) << boot << " " << stem << ": " << key.error().message;
      EXPECT_EQ(to_hex(key->name()), to_hex(read_bytes(dir / (stem + ".name")))) << boot << " " << stem;
      // tpm2_createak's RSA AK uses a SHA-256 nameAlg; the ECC AK under the P-384 EK a SHA-384 one.
      const HashAlg name_alg = stem == "ak" ? HashAlg::sha256 : HashAlg::sha384;
      EXPECT_EQ(key->name_alg(), name_alg);
      EXPECT_EQ(key->name().size(), 2 + digest_size(name_alg));
      EXPECT_TRUE(key->from_tpm());
    }
  }
}

TEST(PublicKey, KeylimeAkNameEqualsItsNameFile) {
  const auto key = load_public_key(read_bytes(shared("keylime/test-data/files/ak.pub")));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(to_hex(key->name()), to_hex(read_bytes(shared("keylime/test-data/files/ak.name"))));
}

TEST(PublicKey, PemAndTpm2bFormsOfTheAkAreTheSameKey) {
  for (const char* boot : kBoots) {
    for (const std::string stem : {"ak", "ak_ecc", "ek", "ek_ecc"}) {
      const auto dir = shared(std::string("vmboot/") + boot);
      const auto tpm = load_public_key(read_bytes(dir / (stem + ".pub")));
      const auto pem = load_public_key(read_bytes(dir / (stem + ".pem")));
      ASSERT_TRUE(tpm.has_value()) << stem << ": " << tpm.error().message;
      ASSERT_TRUE(pem.has_value()) << stem << ": " << pem.error().message;
      EXPECT_EQ(EVP_PKEY_eq(tpm->evp(), pem->evp()), 1) << boot << " " << stem;
      EXPECT_EQ(tpm->type(), pem->type());
      EXPECT_EQ(tpm->bits(), pem->bits());
      EXPECT_TRUE(pem->name().empty());
      EXPECT_FALSE(pem->name_alg().has_value());
      EXPECT_FALSE(pem->object_attributes().has_value());
      EXPECT_FALSE(pem->from_tpm());
    }
  }
}

TEST(PublicKey, RsaAkDescribesItselfAsARestrictedRsassaSha256SigningKey) {
  const auto key = load_public_key(read_bytes(shared("vmboot/sb-shim-grub/ak.pub")));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->type(), KeyType::rsa);
  EXPECT_EQ(key->bits(), 2048u);
  EXPECT_FALSE(key->curve().has_value());
  ASSERT_TRUE(key->object_attributes().has_value());
  EXPECT_EQ(*key->object_attributes(), 0x00050072u);
  EXPECT_NE(*key->object_attributes() & kObjectRestricted, 0u);
  EXPECT_NE(*key->object_attributes() & kObjectSign, 0u);
  EXPECT_EQ(key->scheme(), (KeyScheme{SigScheme::rsassa, HashAlg::sha256}));
}

TEST(PublicKey, EccP384EkParses) {
  const auto key = load_public_key(read_bytes(shared("vmboot/nosb-direct/ek_ecc.pub")));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::ecc);
  EXPECT_EQ(key->curve(), EccCurve::p384);
  EXPECT_EQ(key->bits(), 384u);
  EXPECT_EQ(key->name().size(), 2u + 48u);  // the EK template's nameAlg is SHA-384
  EXPECT_FALSE(key->scheme().has_value());
  EXPECT_EQ(*key->object_attributes() & kObjectSign, 0u);
}

TEST(PublicKey, WindowsAkTpmtPublicIsRestrictedToRsassaSha1) {
  const auto key = parse_tpmt_public(read_bytes(shared("go-attestation/attest/testdata/windows_gcp_shielded_vm.ak_public.tpmt")));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(*key->object_attributes(), 0x00050472u);
  EXPECT_EQ(key->scheme(), (KeyScheme{SigScheme::rsassa, HashAlg::sha1}));
}

TEST(PublicKey, LoadDetectsEveryForm) {
  const auto dir = shared("vmboot/nosb-direct");
  const Bytes tpm2b = read_bytes(dir / "ak.pub");
  const Bytes tpmt(tpm2b.begin() + 2, tpm2b.end());
  const auto reference = parse_tpm2b_public(tpm2b);
  ASSERT_TRUE(reference.has_value());
  const auto from_tpmt = load_public_key(tpmt);
  ASSERT_TRUE(from_tpmt.has_value()) << from_tpmt.error().message;
  EXPECT_EQ(to_hex(from_tpmt->name()), to_hex(reference->name()));
  const auto from_der = load_public_key(der_spki(reference->evp()));
  ASSERT_TRUE(from_der.has_value()) << from_der.error().message;
  EXPECT_EQ(EVP_PKEY_eq(from_der->evp(), reference->evp()), 1);
  const std::string pem = "\n" + pem_spki(reference->evp()) + "\n\n";
  const auto from_pem = load_public_key(as_bytes(pem));
  ASSERT_TRUE(from_pem.has_value()) << from_pem.error().message;
  EXPECT_EQ(EVP_PKEY_eq(from_pem->evp(), reference->evp()), 1);
}

TEST(PublicKey, TrailingByteAfterTpm2bPublicIsTrailingBytes) {
  Bytes b = read_bytes(shared("vmboot/nosb-direct/ak.pub"));
  b.push_back(0);
  EXPECT_EQ(parse_tpm2b_public(b).error().id, kKeyTrailingBytes);
  EXPECT_EQ(load_public_key(b).error().id, kKeyTrailingBytes);
}

TEST(PublicKey, Tpm2bSizeLargerThanItsTpmtPublicIsMalformed) {
  Bytes b = read_bytes(shared("vmboot/nosb-direct/ak.pub"));
  b.push_back(0);
  b[1] = static_cast<uint8_t>(b[1] + 1);  // the size now covers the extra byte
  EXPECT_EQ(parse_tpm2b_public(b).error().id, kKeyMalformed);
}

TEST(PublicKey, TruncatedKeysAreMalformed) {
  const Bytes b = read_bytes(shared("vmboot/nosb-direct/ak_ecc.pub"));
  for (size_t n = 0; n < b.size(); ++n) {
    const auto key = parse_tpm2b_public(std::span<const uint8_t>(b).first(n));
    ASSERT_FALSE(key.has_value()) << n;
    EXPECT_EQ(key.error().id, kKeyMalformed) << n;
  }
}

TEST(PublicKey, TrailingDataAfterPemIsRefused) {
  const std::string pem = read_text(shared("vmboot/nosb-direct/ak.pem")) + "junk";
  EXPECT_EQ(parse_public_key_pem(pem).error().id, kKeyTrailingBytes);
}

TEST(PublicKey, TrailingByteAfterDerIsTrailingBytes) {
  const auto key = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak.pem")));
  ASSERT_TRUE(key.has_value());
  Bytes der = der_spki(key->evp());
  der.push_back(0);
  EXPECT_EQ(parse_public_key_der(der).error().id, kKeyTrailingBytes);
}

// Unsupported algorithms and sizes, marshalled with libtss2-mu.

TEST(PublicKey, KeyedHashObjectIsUnsupported) {
  TPMT_PUBLIC pub{};
  pub.type = kAlgKeyedHash;
  pub.nameAlg = 0x000B;
  pub.objectAttributes = 0x00040072;
  pub.parameters.keyedHashDetail.scheme.scheme = kAlgHmac;
  pub.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = 0x000B;
  pub.unique.keyedHash.size = 32;
  const auto key = parse_tpmt_public(marshal_tpmt_public(pub));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().id, kKeyUnsupported);
  EXPECT_NE(key.error().message.find("0x0008"), std::string::npos) << key.error().message;
}

TEST(PublicKey, Rsa1024IsUnsupported) {
  const Pkey rsa = generate_rsa(1024);
  const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(rsa.get(), kAlgRsassa, 0x000B)));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().id, kKeyUnsupported);
  EXPECT_NE(key.error().message.find("1024"), std::string::npos) << key.error().message;
  // The same key as a SubjectPublicKeyInfo.
  EXPECT_EQ(parse_public_key_der(der_spki(rsa.get())).error().id, kKeyUnsupported);
}

TEST(PublicKey, EccCurveOtherThanP256OrP384IsUnsupported) {
  const Pkey ec = generate_ec("P-256");
  TPMT_PUBLIC pub = tpmt_for(ec.get(), kAlgEcdsa, 0x000B);
  pub.parameters.eccDetail.curveID = 0x0010;  // TPM_ECC_BN_P256
  const auto key = parse_tpmt_public(marshal_tpmt_public(pub));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().id, kKeyUnsupported);
  EXPECT_NE(key.error().message.find("0x0010"), std::string::npos);
  const Pkey p521 = generate_ec("P-521");
  EXPECT_EQ(parse_public_key_der(der_spki(p521.get())).error().id, kKeyUnsupported);
}

TEST(PublicKey, Ed25519AndUnknownObjectTypesAreUnsupported) {
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_EQ(parse_public_key_der(der_spki(ed.get())).error().id, kKeyUnsupported);
  const Bytes unknown = {0x00, 0x99, 0x00, 0x0b, 0, 0, 0, 0};
  EXPECT_EQ(parse_tpmt_public(unknown).error().id, kKeyUnsupported);
}

TEST(PublicKey, EcdaaSigningSchemeIsUnsupported) {
  const Pkey ec = generate_ec("P-256");
  const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(ec.get(), kAlgEcdaa, 0x000B)));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().id, kKeyUnsupported);
}

TEST(PublicKey, RsaKeysFrom2048To4096BitsAreSupported) {
  for (unsigned bits : {2048u, 3072u, 4096u}) {
    const Pkey rsa = generate_rsa(bits);
    const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(rsa.get(), kAlgNull, kAlgNull)));
    ASSERT_TRUE(key.has_value()) << bits << ": " << key.error().message;
    EXPECT_EQ(key->bits(), bits);
    EXPECT_EQ(EVP_PKEY_eq(key->evp(), rsa.get()), 1);
  }
}

TEST(PublicKey, EccPointNotOnTheCurveIsInvalid) {
  for (const char* group : {"P-256", "P-384"}) {
    const Pkey ec = generate_ec(group);
    TPMT_PUBLIC pub = tpmt_for(ec.get(), kAlgEcdsa, 0x000B);
    pub.unique.ecc.y.buffer[pub.unique.ecc.y.size - 1] ^= 0x01;
    const auto key = parse_tpmt_public(marshal_tpmt_public(pub));
    ASSERT_FALSE(key.has_value()) << group;
    EXPECT_EQ(key.error().id, kKeyInvalid) << group;
  }
}

TEST(PublicKey, EccCoordinatesLongerThanTheFieldAreMalformed) {
  const Pkey ec = generate_ec("P-256");
  TPMT_PUBLIC pub = tpmt_for(ec.get(), kAlgEcdsa, 0x000B);
  pub.unique.ecc.x.size = 33;
  EXPECT_EQ(parse_tpmt_public(marshal_tpmt_public(pub)).error().id, kKeyMalformed);
}

TEST(PublicKey, RsaEvenModulusOrEvenExponentIsInvalid) {
  const Pkey rsa = generate_rsa(2048);
  TPMT_PUBLIC pub = tpmt_for(rsa.get(), kAlgRsassa, 0x000B);
  pub.unique.rsa.buffer[pub.unique.rsa.size - 1] &= 0xfe;
  EXPECT_EQ(parse_tpmt_public(marshal_tpmt_public(pub)).error().id, kKeyInvalid);
  pub = tpmt_for(rsa.get(), kAlgRsassa, 0x000B);
  pub.parameters.rsaDetail.exponent = 2;
  EXPECT_EQ(parse_tpmt_public(marshal_tpmt_public(pub)).error().id, kKeyInvalid);
}

TEST(PublicKey, RsaModulusSizeDisagreeingWithKeyBitsIsMalformed) {
  const Pkey rsa = generate_rsa(2048);
  TPMT_PUBLIC pub = tpmt_for(rsa.get(), kAlgRsassa, 0x000B);
  pub.parameters.rsaDetail.keyBits = 3072;
  EXPECT_EQ(parse_tpmt_public(marshal_tpmt_public(pub)).error().id, kKeyMalformed);
}

TEST(PublicKey, ExponentZeroMeans65537) {
  const Pkey rsa = generate_rsa(2048);  // OpenSSL's default exponent is 65537
  const auto key = parse_tpmt_public(marshal_tpmt_public(tpmt_for(rsa.get(), kAlgRsassa, 0x000B)));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(EVP_PKEY_eq(key->evp(), rsa.get()), 1);
}

TEST(PublicKey, RsaFromModulusAndExponentEqualsTheKey) {
  const Pkey rsa = generate_rsa(2048);
  const auto key = parse_public_key_rsa(bn_bytes(rsa.get(), OSSL_PKEY_PARAM_RSA_N, 256), Bytes{0x01, 0x00, 0x01});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(EVP_PKEY_eq(key->evp(), rsa.get()), 1);
  EXPECT_EQ(parse_public_key_rsa(Bytes{}, Bytes{0x03}).error().id, kKeyMalformed);
}

TEST(PublicKey, GarbageIsMalformedNotACrash) {
  EXPECT_EQ(load_public_key(Bytes{}).error().id, kKeyMalformed);
  EXPECT_EQ(load_public_key(Bytes{0x30}).error().id, kKeyMalformed);
  EXPECT_EQ(load_public_key(Bytes{0x30, 0x82, 0x01}).error().id, kKeyMalformed);
  EXPECT_EQ(load_public_key(as_bytes("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")).error().id,
            kKeyMalformed);
  EXPECT_EQ(load_public_key(Bytes{0x00, 0x01, 0x00}).error().id, kKeyMalformed);
}

TEST(PublicKey, MovedKeyKeepsItsState) {
  auto key = load_public_key(read_bytes(shared("vmboot/nosb-direct/ak.pub")));
  ASSERT_TRUE(key.has_value());
  const std::string name = to_hex(key->name());
  PublicKey moved = std::move(*key);
  EXPECT_EQ(to_hex(moved.name()), name);
  EXPECT_NE(moved.evp(), nullptr);
}

}  // namespace
}  // namespace attestd::evidence::tpm
