// Chain validation against the pinned NVIDIA roots with real device and RIM signing chains.
//
// Verification times: 2024-06-01T00:00:00Z lies inside every device certificate's validity (latest
// notBefore 2023-06-20 for Blackwell, notAfter 9999-12-31) and inside the nvtrust test RIM signer's
// (2023-06-27 .. 2025-06-26); 2026-11-24 ("today" in the issue) is after that signer's notAfter;
// 2019-01-01 is before every device certificate's notBefore (2020-10-17 at the earliest).
#include "attestd/evidence/x509/chain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include "attestd/evidence/x509/certificate.h"
#include "attestd/evidence/x509/dice.h"
#include "attestd/evidence/x509/reasons.h"
#include "testdata.h"

namespace attestd::evidence::x509 {
namespace {

using testing::chain_pem;
using testing::kShared;
using testing::read_text;
using testing::utc;

const auto kInsideValidity = utc(2024, 6, 1);
const auto kToday = utc(2026, 11, 24);

Certificate device_root() { return *parse_certificate_pem(read_text(testing::kDeviceRoot)); }
Certificate rim_root() { return *parse_certificate_pem(read_text(testing::kRimRoot)); }

std::set<std::string_view> ids(const ChainValidation& v) {
  std::set<std::string_view> out;
  for (const auto& e : v.reasons) out.insert(e.id);
  return out;
}

std::vector<Certificate> load(const std::string& shared_path) {
  auto chain = parse_pem_chain(read_text(kShared + "/" + shared_path));
  EXPECT_TRUE(chain.has_value()) << shared_path << ": " << (chain ? "" : chain.error().message);
  return chain ? std::move(*chain) : std::vector<Certificate>{};
}

const std::string kTrustee = "trustee/deps/verifier/test_data/nvidia/";
const std::string kNvtrustChain =
    "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples/hopperCertChain.txt";

// The chains that index/nvidia_reports.json pairs with reports and that the MANIFEST calls broken.
const std::set<std::string> kBrokenChains = {
    kTrustee + "hopper_cert_chain_case2.txt", kTrustee + "hopper_cert_chain_case3.txt",
    kTrustee + "hopper_cert_chain_case4.txt", "go-nvtrust/pkg/gonvtrust/mocks/invalidCertChain.txt"};

TEST(ChainTest, everyValidReportChainInTheIndexValidatesToTheDeviceRoot) {
  const auto index = nlohmann::json::parse(read_text(kShared + "/index/nvidia_reports.json"));
  const Certificate root = device_root();
  size_t validated = 0;
  for (const auto& entry : index) {
    const auto name = entry.at("cert_chain").get<std::string>();
    if (kBrokenChains.contains(name)) continue;
    auto chain = parse_pem_chain(chain_pem(name));
    ASSERT_TRUE(chain.has_value()) << name << ": " << chain.error().message;
    EXPECT_EQ(chain->size(), 5u) << name;
    for (const auto at : {kInsideValidity, kToday}) {
      const auto v = validate_chain(*chain, root, at);
      EXPECT_TRUE(v.valid) << name << ": " << (v.reasons.empty() ? "" : v.reasons.front().message);
    }
    ++validated;
  }
  EXPECT_EQ(validated, 21u);  // 25 index entries, 4 with a broken chain
}

TEST(ChainTest, shouldRejectChainThatIsOnlyTheRootAsTooShort) {
  const auto v = validate_chain(load(kTrustee + "hopper_cert_chain_case2.txt"), device_root(), kInsideValidity);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertChainTooShort}));
}

TEST(ChainTest, shouldRejectChainWithMissingIntermediateAsChainInvalid) {
  const auto v = validate_chain(load(kTrustee + "hopper_cert_chain_case3.txt"), device_root(), kInsideValidity);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertChainInvalid}));
  EXPECT_NE(v.reasons.front().message.find("certificate 1"), std::string::npos) << v.reasons.front().message;
}

TEST(ChainTest, shouldRejectGoNvtrustInvalidChainWhoseLeafIsNotIssuedByTheNextCertificate) {
  const auto v =
      validate_chain(load("go-nvtrust/pkg/gonvtrust/mocks/invalidCertChain.txt"), device_root(), kInsideValidity);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertChainInvalid}));
  EXPECT_NE(v.reasons.front().message.find("certificate 0"), std::string::npos) << v.reasons.front().message;
}

TEST(ChainTest, chainWithoutItsFmcLeafIsAValidPathButHasNoFwid) {
  // trustee case 4: BROM -> ICA -> Identity -> root is a genuine path; what is wrong is that the
  // signing (FMC) leaf is missing, which shows as the missing FWID extension (trustee: "FwId oid not
  // found in the NVIDIA signing certificate").
  const auto chain = load(kTrustee + "hopper_cert_chain_case4.txt");
  EXPECT_TRUE(validate_chain(chain, device_root(), kInsideValidity).valid);
  const auto fwid = extract_fwid(chain.front());
  ASSERT_FALSE(fwid.has_value());
  EXPECT_EQ(fwid.error().id, kCertFwidMissing);
}

TEST(ChainTest, shouldReportNotYetValidBeforeTheLeafNotBefore) {
  const auto v = validate_chain(load(kNvtrustChain), device_root(), utc(2019, 1, 1));
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertNotYetValid}));
}

TEST(ChainTest, shouldRefuseTimesOpenSslCannotCompare) {
  // OpenSSL 3 reports this chain (notAfter 9999-12-31) valid at 10000-01-01; we refuse the time.
  const auto v = validate_chain(load(kNvtrustChain), device_root(), utc(10000, 1, 1));
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertTimeOutOfRange}));
  EXPECT_EQ(ids(validate_chain(load(kNvtrustChain), device_root(), utc(1949, 12, 31))),
            (std::set<std::string_view>{kCertTimeOutOfRange}));
}

TEST(ChainTest, shouldRejectChainEndingInAnotherRootAsUntrusted) {
  const auto v = validate_chain(load(kNvtrustChain), rim_root(), kInsideValidity);
  EXPECT_FALSE(v.valid);
  EXPECT_TRUE(ids(v).contains(kCertUntrustedRoot));
}

TEST(ChainTest, shouldRejectChainWithoutRootThatDoesNotLeadToThePinnedRoot) {
  auto chain = load(kNvtrustChain);
  chain.pop_back();
  EXPECT_TRUE(validate_chain(chain, device_root(), kInsideValidity).valid);
  const auto v = validate_chain(chain, rim_root(), kInsideValidity);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertChainInvalid}));
}

TEST(ChainTest, shouldReportBadSignatureOfAnIntermediate) {
  auto chain = load(kNvtrustChain);
  // Flip the last byte of cert 1 (inside its ECDSA signature value s).
  auto der = std::vector<uint8_t>(chain[1].der().begin(), chain[1].der().end());
  der.back() ^= 0x01;
  auto tampered = parse_certificate_der(der);
  ASSERT_TRUE(tampered.has_value());
  chain[1] = std::move(*tampered);
  const auto v = validate_chain(chain, device_root(), kInsideValidity);
  EXPECT_EQ(ids(v), (std::set<std::string_view>{kCertSignatureInvalid}));
}

TEST(ChainTest, shouldRefuseMoreCertificatesThanTheLimit) {
  auto chain = load(kNvtrustChain);
  std::vector<Certificate> longer;
  for (size_t i = 0; i < 3; ++i) {
    for (const auto& c : chain) longer.push_back(c.share());
  }
  EXPECT_EQ(ids(validate_chain(longer, device_root(), kInsideValidity)),
            (std::set<std::string_view>{kCertChainTooLong}));
  EXPECT_EQ(ids(validate_chain(chain, device_root(), kInsideValidity, 4)),
            (std::set<std::string_view>{kCertChainTooLong}));
}

TEST(ChainTest, emptyChainIsTooShort) {
  EXPECT_EQ(ids(validate_chain({}, device_root(), kInsideValidity)), (std::set<std::string_view>{kCertChainTooShort}));
}

// The RIM signing chain of nvtrust's test driver RIM (KeyInfo, leaf first, root included): real
// certificates with a short validity, which give the expiry cases on real data.
std::vector<Certificate> rim_signing_chain(const std::string& file) {
  const std::string xml = read_text(testing::kNvtrustVerifier + "samples/" + file);
  static const std::regex kCert("<ds:X509Certificate>([^<]*)</ds:X509Certificate>");
  std::vector<Certificate> out;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), kCert); it != std::sregex_iterator(); ++it) {
    auto cert = parse_certificate_der(testing::base64_decode((*it)[1].str()));
    EXPECT_TRUE(cert.has_value());
    if (cert) out.push_back(std::move(*cert));
  }
  return out;
}

TEST(ChainTest, rimSigningChainValidatesInsideItsWindowAndIsExpiredToday) {
  const auto chain = rim_signing_chain("Driver_RIM_test_no_gpu.swidtag");
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_TRUE(validate_chain(chain, rim_root(), kInsideValidity).valid);
  // Signer notAfter 2025-06-26T06:10:12Z.
  EXPECT_TRUE(validate_chain(chain, rim_root(), utc(2025, 6, 26)).valid);
  EXPECT_EQ(ids(validate_chain(chain, rim_root(), utc(2025, 6, 27))), (std::set<std::string_view>{kCertExpired}));
  EXPECT_EQ(ids(validate_chain(chain, rim_root(), kToday)), (std::set<std::string_view>{kCertExpired}));
  // Signer notBefore 2023-06-27T06:10:12Z.
  EXPECT_EQ(ids(validate_chain(chain, rim_root(), utc(2023, 6, 1))), (std::set<std::string_view>{kCertNotYetValid}));
}

TEST(ChainTest, collectsEveryDistinctReason) {
  // Expired signer and a foreign root at once.
  const auto chain = rim_signing_chain("Driver_RIM_test_no_gpu.swidtag");
  const auto v = validate_chain(chain, device_root(), kToday);
  EXPECT_TRUE(ids(v).contains(kCertUntrustedRoot));
  EXPECT_TRUE(ids(v).contains(kCertChainInvalid));
  EXPECT_TRUE(ids(v).contains(kCertExpired));
}

}  // namespace
}  // namespace attestd::evidence::x509
