// RIM signature and chain verification on the real RIMs of ../shared/testdata, each at a stated
// time (the signing certificates have short, differing validity windows; see the MANIFEST):
//   nvtrust test + PROD RIMs: signer 2023-06-27 .. 2025-06-26 -> valid 2024-06-01, expired 2026-11-24
//   SDK NV_GPU_DRIVER_GH100_550.144.03.xml: signer 2024-12-30 .. 2026-12-30 -> valid 2026-11-24 only
//   SDK switch RIM: signer 2026-05-20 .. 2028-05-19 -> valid 2026-11-24
//   SDK *_invalid_signature.xml (switch): signer 2024-05-20 .. 2026-05-20
//   SDK *_570.124.03_expired.xml: signer 2025-01-01 .. 2025-01-02 only; its content does not match
//     its signature (xmlsec1 agrees), so it is refused at every time
#include "attestd/evidence/rim/verify.h"

#include <gtest/gtest.h>

#include <set>

#include "attestd/evidence/rim/reasons.h"
#include "rim_testdata.h"

namespace attestd::evidence::rim {
namespace {

using namespace testing;

x509::Certificate rim_root() { return *x509::parse_certificate_pem(read_text(kGoldenValues + "rim_root.pem")); }

std::set<std::string_view> ids(const RimVerification& v) {
  std::set<std::string_view> out;
  for (const auto& e : v.reasons) out.insert(e.id);
  return out;
}

std::string describe(const RimVerification& v) {
  std::string out;
  for (const auto& e : v.reasons) out += std::string(e.id) + ": " + e.message + "\n";
  return out;
}

RimVerification verify_file(const std::string& path, std::chrono::sys_seconds at) {
  return verify_rim(read_text(path), rim_root(), at);
}

TEST(RimVerifyTest, goldenValueRootsAreTheTestdataOriginals) {
  const auto ours = x509::parse_certificate_pem(read_text(kGoldenValues + "rim_root.pem"));
  const auto theirs = x509::parse_certificate_pem(read_text(kNvtrustVerifier + "certs/verifier_RIM_root.pem"));
  ASSERT_TRUE(ours && theirs);
  EXPECT_TRUE(*ours == *theirs);
  const auto device = x509::parse_certificate_pem(read_text(kGoldenValues + "device_identity_root.pem"));
  const auto device_theirs = x509::parse_certificate_pem(read_text(kNvtrustVerifier + "certs/verifier_device_root.pem"));
  ASSERT_TRUE(device && device_theirs);
  EXPECT_TRUE(*device == *device_theirs);
}

TEST(RimVerifyTest, nvtrustTestRimsVerifyOn20240601) {
  for (const char* file : {"Driver_RIM_test_no_gpu.swidtag", "1010_0200_882_96005E0001_test_no_gpu.swidtag"}) {
    const auto v = verify_file(kNvtrustSamples + file, k20240601);
    EXPECT_TRUE(v.valid) << file << "\n" << describe(v);
    ASSERT_TRUE(v.rim.has_value());
    EXPECT_EQ(v.signing_chain.size(), 4u);
  }
}

TEST(RimVerifyTest, nvtrustTestRimsAreExpiredToday) {
  for (const char* file : {"Driver_RIM_test_no_gpu.swidtag", "1010_0200_882_96005E0001_test_no_gpu.swidtag"}) {
    const auto v = verify_file(kNvtrustSamples + file, kToday);
    EXPECT_FALSE(v.valid);
    EXPECT_EQ(ids(v), (std::set<std::string_view>{kRimCertExpired})) << file << "\n" << describe(v);
  }
}

TEST(RimVerifyTest, sdkDriverRim55014403VerifiesTodayButNotOn20240601) {
  const std::string file = kSdk + "NV_GPU_DRIVER_GH100_550.144.03.xml";
  const auto today = verify_file(file, kToday);
  EXPECT_TRUE(today.valid) << describe(today);
  ASSERT_TRUE(today.rim.has_value());
  EXPECT_EQ(today.rim->info.colloquial_version, "550.144.03");
  EXPECT_EQ(today.rim->info.firmware_manufacturer_id, "5703");
  const auto before = verify_file(file, k20240601);
  EXPECT_EQ(ids(before), (std::set<std::string_view>{kRimCertNotYetValid})) << describe(before);
}

TEST(RimVerifyTest, expiredRimSignerIsValidOnlyOn20250101AndItsSignatureNeverVerifies) {
  const std::string file = kSdkRims + "NV_GPU_DRIVER_GH100_570.124.03_expired.xml";
  EXPECT_EQ(ids(verify_file(file, k20250101)), (std::set<std::string_view>{kRimSignatureInvalid}));
  EXPECT_EQ(ids(verify_file(file, kToday)), (std::set<std::string_view>{kRimCertExpired, kRimSignatureInvalid}));
  EXPECT_EQ(ids(verify_file(file, k20240601)), (std::set<std::string_view>{kRimCertNotYetValid, kRimSignatureInvalid}));
  // Signer notAfter 2025-01-02T00:00:00Z.
  EXPECT_TRUE(ids(verify_file(file, utc(2025, 1, 2) + std::chrono::seconds(1))).contains(kRimCertExpired));
}

TEST(RimVerifyTest, tamperedSignatureIsRefusedAsSignatureInvalid) {
  const auto v = verify_file(kSdk + "incorrect_signature_driver_rim.xml", kToday);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kRimSignatureInvalid})) << describe(v);
  // Its signer is valid 2024-05-20 .. 2026-05-20: checked on 2025-01-01, and today (expired as well).
  const std::string sw_file = kSdkRims + "NV_SWITCH_BIOS_5612_0002_890_9610550001_invalid_signature.xml";
  const auto sw = verify_file(sw_file, k20250101);
  EXPECT_EQ(ids(sw), (std::set<std::string_view>{kRimSignatureInvalid})) << describe(sw);
  EXPECT_EQ(ids(verify_file(sw_file, kToday)), (std::set<std::string_view>{kRimCertExpired, kRimSignatureInvalid}));
}

TEST(RimVerifyTest, brokenKeyInfoChainIsRefusedAsChainInvalidNotAsBadSignature) {
  const auto v = verify_file(kSdk + "incorrect_cert_chain_driver_rim.xml", kToday);
  EXPECT_FALSE(v.valid);
  EXPECT_TRUE(ids(v).contains(kRimCertChainInvalid)) << describe(v);
  EXPECT_FALSE(ids(v).contains(kRimSignatureInvalid)) << describe(v);
}

TEST(RimVerifyTest, wrongRimRootFailsChainVerification) {
  const auto wrong = x509::parse_certificate_pem(read_text(kSdk + "incorrect_rim_root.crt"));
  ASSERT_TRUE(wrong.has_value());
  const auto v = verify_rim(read_text(kSdk + "NV_GPU_DRIVER_GH100_550.144.03.xml"), *wrong, kToday);
  EXPECT_FALSE(v.valid);
  EXPECT_TRUE(ids(v).contains(kRimCertUntrustedRoot)) << describe(v);
  EXPECT_FALSE(ids(v).contains(kRimSignatureInvalid)) << describe(v);
}

TEST(RimVerifyTest, switchRimVerifiesToday) {
  const auto v = verify_file(kSdk + "switchVBIOSRim_NV_SWITCH_BIOS_5612_0002_890_9610550001.xml", kToday);
  EXPECT_TRUE(v.valid) << describe(v);
  ASSERT_TRUE(v.rim.has_value());
  EXPECT_EQ(v.rim->info.edition, "SWITCH");
}

TEST(RimVerifyTest, editedContentBreaksTheSignature) {
  std::string xml = read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  ASSERT_TRUE(verify_rim(xml, rim_root(), k20240601).valid);
  const auto pos = xml.find("colloquialVersion=\"545.00\"");
  ASSERT_NE(pos, std::string::npos);
  xml.replace(pos, 26, "colloquialVersion=\"545.01\"");
  EXPECT_EQ(ids(verify_rim(xml, rim_root(), k20240601)), (std::set<std::string_view>{kRimSignatureInvalid}));
}

TEST(RimVerifyTest, refusesDocumentsWithoutExactlyOneEnvelopedSignature) {
  const std::string xml = read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const auto sig = xml.find("<ds:Signature");
  const auto end = xml.find("</ds:Signature>") + 15;
  const std::string unsigned_xml = xml.substr(0, sig) + xml.substr(end);
  EXPECT_EQ(ids(verify_rim(unsigned_xml, rim_root(), k20240601)), (std::set<std::string_view>{kRimSignatureMissing}));
  const std::string twice = xml.substr(0, end) + xml.substr(sig, end - sig) + xml.substr(end);
  EXPECT_EQ(ids(verify_rim(twice, rim_root(), k20240601)), (std::set<std::string_view>{kRimSignatureMissing}));
}

TEST(RimVerifyTest, refusesDtdsAndBrokenXml) {
  const std::string xml = read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const std::string dtd = "<!DOCTYPE SoftwareIdentity [<!ENTITY a \"aaaaaaaa\">]>\n" + xml;
  EXPECT_EQ(ids(verify_rim(dtd, rim_root(), k20240601)), (std::set<std::string_view>{kRimMalformed}));
  EXPECT_EQ(ids(verify_rim(xml.substr(0, xml.size() / 2), rim_root(), k20240601)),
            (std::set<std::string_view>{kRimMalformed}));
  EXPECT_EQ(ids(verify_rim("", rim_root(), k20240601)), (std::set<std::string_view>{kRimMalformed}));
}

TEST(RimVerifyTest, refusesAReferenceToAnythingButTheWholeDocument) {
  std::string xml = read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const auto pos = xml.find("<ds:Reference URI=\"\">");
  ASSERT_NE(pos, std::string::npos);
  xml.replace(pos, 21, "<ds:Reference URI=\"#x\">");
  EXPECT_EQ(ids(verify_rim(xml, rim_root(), k20240601)), (std::set<std::string_view>{kRimSignatureInvalid}));
}

}  // namespace
}  // namespace attestd::evidence::rim
