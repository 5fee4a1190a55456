// PEM / DER decoding of real device certificates and of malformed input.
#include "attestd/evidence/x509/certificate.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "attestd/evidence/x509/reasons.h"
#include "testdata.h"

namespace attestd::evidence::x509 {
namespace {

using testing::read_text;
using testing::utc;

const std::string kSdkChain = testing::kSdk + "hopperCertChain.txt";

TEST(CertificateTest, shouldParseNvmlChainLeafFirst) {
  const auto chain = parse_pem_chain(read_text(kSdkChain));
  ASSERT_TRUE(chain.has_value()) << chain.error().message;
  ASSERT_EQ(chain->size(), 5u);
  EXPECT_EQ((*chain)[0].subject_common_name(), "GH100 A01 GSP FMC LF");
  // NVIDIA's hwmodel claim is the CN of chain[1] (MANIFEST: "GH100 A01 GSP BROM").
  EXPECT_EQ((*chain)[1].subject_common_name(), "GH100 A01 GSP BROM");
  EXPECT_EQ((*chain)[4].subject_common_name(), "NVIDIA Device Identity CA");
  EXPECT_TRUE((*chain)[4].self_issued());
  EXPECT_FALSE((*chain)[0].self_issued());
  EXPECT_NE((*chain)[0].subject().find("CN=GH100 A01 GSP FMC LF"), std::string::npos) << (*chain)[0].subject();
  EXPECT_NE((*chain)[0].issuer().find("CN=GH100 A01 GSP BROM"), std::string::npos) << (*chain)[0].issuer();
}

TEST(CertificateTest, leafSerialInDecimalIsNvidiasUeidClaim) {
  const auto chain = parse_pem_chain(read_text(kSdkChain));
  ASSERT_TRUE(chain.has_value());
  // MANIFEST: the SDK expects ueid 509096176156678437554566035365892618958504054724.
  EXPECT_EQ((*chain)[0].serial_decimal(), "509096176156678437554566035365892618958504054724");
  EXPECT_EQ((*chain)[0].serial().size(), 20u);
}

TEST(CertificateTest, validityAndPublicKey) {
  const auto root = parse_certificate_pem(read_text(testing::kDeviceRoot));
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->not_before(), utc(2021, 11, 5));
  EXPECT_EQ(root->not_after(), utc(9999, 12, 31) + std::chrono::seconds(86399));
  const PkeyPtr key = root->public_key();
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 384);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
}

TEST(CertificateTest, equalityIsByEncoding) {
  const auto a = parse_pem_chain(read_text(kSdkChain));
  const auto root = parse_certificate_pem(read_text(testing::kDeviceRoot));
  ASSERT_TRUE(a && root);
  EXPECT_TRUE((*a)[4] == *root);
  EXPECT_FALSE((*a)[0] == *root);
  const Certificate shared = (*a)[0].share();
  EXPECT_TRUE(shared == (*a)[0]);
  EXPECT_EQ(shared.get(), (*a)[0].get());
}

TEST(CertificateTest, shouldRejectTrailingBytesAfterDer) {
  const auto root = parse_certificate_pem(read_text(testing::kDeviceRoot));
  ASSERT_TRUE(root.has_value());
  std::vector<uint8_t> der(root->der().begin(), root->der().end());
  ASSERT_TRUE(parse_certificate_der(der).has_value());
  der.push_back(0x00);
  const auto bad = parse_certificate_der(der);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().id, kCertMalformed);
  der.resize(der.size() - 2);
  EXPECT_EQ(parse_certificate_der(der).error().id, kCertMalformed);
  EXPECT_EQ(parse_certificate_der({}).error().id, kCertMalformed);
}

TEST(CertificateTest, shouldRejectMalformedPem) {
  const std::string good = read_text(testing::kDeviceRoot);
  EXPECT_EQ(parse_pem_chain("").error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain("  \n").error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain("hello").error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain("text before\n" + good).error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain(good + "text after").error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain("-----BEGIN CERTIFICATE-----\nAAAA\n").error().id, kCertMalformed);
  EXPECT_EQ(parse_pem_chain("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").error().id,
            kCertMalformed);
  // A valid block of another type.
  std::string key = good;
  key.replace(key.find("CERTIFICATE"), 11, "PUBLIC KEY");
  EXPECT_EQ(parse_pem_chain(key).error().id, kCertMalformed);
  EXPECT_TRUE(parse_pem_chain("\n\n" + good + "\n\n").has_value());
}

TEST(CertificateTest, shouldRefuseMoreBlocksThanTheLimit) {
  const std::string good = read_text(testing::kDeviceRoot);
  std::string many;
  for (size_t i = 0; i <= kMaxChainLength; ++i) many += good;
  EXPECT_EQ(parse_pem_chain(many).error().id, kCertChainTooLong);
  EXPECT_EQ(parse_pem_chain(good + good, 1).error().id, kCertChainTooLong);
}

TEST(CertificateTest, extensionLookupIsExact) {
  const auto chain = parse_pem_chain(read_text(kSdkChain));
  ASSERT_TRUE(chain.has_value());
  const auto hopper = (*chain)[0].extension("2.23.133.5.4.1");
  ASSERT_TRUE(hopper.has_value() && hopper->has_value());
  EXPECT_EQ((*hopper)->size(), 189u);
  const auto blackwell = (*chain)[0].extension("2.23.133.5.4.1.1");
  ASSERT_TRUE(blackwell.has_value());
  EXPECT_FALSE(blackwell->has_value());
  EXPECT_EQ((*chain)[0].extension("not an oid").error().id, kCertMalformed);
}

}  // namespace
}  // namespace attestd::evidence::x509
