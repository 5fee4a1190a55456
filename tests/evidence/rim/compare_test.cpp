// Golden-value comparison with real reports and RIMs. The expected indices were computed
// independently (a Python reading of the same files) and agree with the MANIFEST where it states them.
#include "attestd/evidence/rim/compare.h"

#include <gtest/gtest.h>

#include "attestd/evidence/rim/reasons.h"
#include "rim_testdata.h"

namespace attestd::evidence::rim {
namespace {

using namespace testing;

Rim load(const std::string& path) {
  auto rim = parse_rim(read_text(path));
  EXPECT_TRUE(rim.has_value()) << path;
  return rim ? std::move(*rim) : Rim{};
}

std::vector<uint8_t> range(uint8_t first, uint8_t last) {
  std::vector<uint8_t> out;
  for (unsigned i = first; i <= last; ++i) out.push_back(static_cast<uint8_t>(i));
  return out;
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::string kMockReport = kShared + "/go-nvtrust/pkg/gonvtrust/mocks/attestationReport.txt";
const std::string kSdk53586Report = kSdk + "sample_attestation_data/gpu/hopperAttestationReport.txt";

TEST(CompareTest, handExtractionReadsAllSixtyFourBlocks) {
  const auto m = report_measurements(kMockReport);
  ASSERT_EQ(m.size(), 64u);
  EXPECT_EQ(m.begin()->first, 1u);
  EXPECT_EQ(m.rbegin()->first, 64u);
  for (const auto& [index, value] : m) EXPECT_EQ(value.size(), 48u) << int{index};
}

TEST(CompareTest, goNvtrustMockReportMatchesEveryGoldenValueOfTheNvtrustTestRims) {
  const Rim driver = load(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const Rim vbios = load(kNvtrustSamples + "1010_0200_882_96005E0001_test_no_gpu.swidtag");
  const auto measurements = report_measurements(kMockReport);

  // The report's NVDEC0_STATUS is 0x55 (disabled): index 35 is skipped, 32 compared.
  const auto skipping = compare_measurements(measurements, &driver, &vbios, true);
  EXPECT_TRUE(skipping.match);
  EXPECT_TRUE(skipping.mismatches.empty());
  EXPECT_EQ(skipping.compared.size(), 32u);
  EXPECT_EQ(std::ranges::count(skipping.compared, kNvdec0RimIndex), 0);

  // MANIFEST: "ALL 33 golden measurements match" — index 35 included.
  const auto all = compare_measurements(measurements, &driver, &vbios, false);
  EXPECT_TRUE(all.match);
  EXPECT_EQ(all.compared, concat(concat(range(0, 12), range(21, 34)), range(35, 40)));
  EXPECT_EQ(all.compared.size(), 33u);
}

TEST(CompareTest, measurementMismatchRimsReportExactlyTheMismatchingIndices) {
  const Rim driver = load(kSdkRims + "NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml");
  const Rim vbios = load(kSdkRims + "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
  const auto measurements = report_measurements(kSdk53586Report);
  const std::vector<uint8_t> driver_bad = {7, 21, 22, 25, 26, 27, 29, 30, 31, 32, 34, 37, 39, 40, 41};

  const auto c = compare_measurements(measurements, &driver, &vbios, false);
  EXPECT_FALSE(c.match);
  EXPECT_EQ(c.mismatching_indices(), (std::vector<uint8_t>{7, 9, 21, 22, 25, 26, 27, 29, 30, 31, 32, 34, 37, 39, 40, 41}));
  EXPECT_EQ(c.compared.size(), 22u + 12u);
  EXPECT_EQ(c.reasons.size(), c.mismatches.size());
  for (const auto& m : c.mismatches) {
    EXPECT_EQ(m.source, m.rim_index == 9 ? RimSource::vbios : RimSource::driver);
    EXPECT_EQ(m.spdm_index, m.rim_index + 1);
    EXPECT_FALSE(m.missing);
  }
  for (const auto& e : c.reasons) EXPECT_EQ(e.id, kMeasurementMismatch);

  // MANIFEST: the VBIOS mismatch RIM differs at index 9 only; the PROD VBIOS RIM matches all 12.
  EXPECT_EQ(compare_measurements(measurements, nullptr, &vbios, false).mismatching_indices(), std::vector<uint8_t>{9});
  const Rim prod = load(kNvtrustSamples + "1010_0200_882_96005E0001_PROD.swidtag");
  EXPECT_TRUE(compare_measurements(measurements, nullptr, &prod, false).match);
  EXPECT_EQ(compare_measurements(measurements, &driver, nullptr, false).mismatching_indices(), driver_bad);
}

TEST(CompareTest, switchReportAgainstItsRimAndTheMismatchRim) {
  const auto measurements = report_measurements(kSdk + "switchAttestationReport.txt");
  const Rim rim = load(kSdk + "switchVBIOSRim_NV_SWITCH_BIOS_5612_0002_890_9610550001.xml");
  const auto ok = compare_measurements(measurements, nullptr, &rim, false);
  EXPECT_TRUE(ok.match);
  EXPECT_EQ(ok.compared, range(0, 30));  // MANIFEST: all 31 measurements match

  const Rim bad = load(kSdkRims + "NV_SWITCH_BIOS_5612_0002_890_9610550001_measurement_mismatch.xml");
  const auto c = compare_measurements(measurements, nullptr, &bad, false);
  EXPECT_EQ(c.mismatching_indices(), concat(range(0, 6), range(8, 11)));
  EXPECT_EQ(c.compared, concat(range(0, 6), range(8, 12)));
}

TEST(CompareTest, vbiosIndex9DiffersForTheSdkReportsAsTheManifestObserves) {
  const Rim v20 = load(kNvtrustSamples + "1010_0205_862_9600740020_PROD.swidtag");
  EXPECT_EQ(compare_measurements(report_measurements(kSdk + "hopperAttestationReport.txt"), nullptr, &v20, false)
                .mismatching_indices(),
            std::vector<uint8_t>{9});
  const Rim v04 = load(kNvtrustSamples + "1010_0205_862_96005E0004_PROD.swidtag");
  EXPECT_EQ(compare_measurements(report_measurements(kSdk + "sample_attestation_data/gpu/hopperAttestationReportExpired.txt"),
                                 nullptr, &v04, false)
                .mismatching_indices(),
            std::vector<uint8_t>{9});
}

TEST(CompareTest, indexActiveInBothRimsIsAConflictAndIsNotCompared) {
  const Rim driver = load(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const auto c = compare_measurements(report_measurements(kMockReport), &driver, &driver, false);
  EXPECT_FALSE(c.match);
  EXPECT_TRUE(c.compared.empty());
  EXPECT_TRUE(c.mismatches.empty());
  ASSERT_EQ(c.reasons.size(), 22u);
  for (size_t i = 0; i < 21; ++i) EXPECT_EQ(c.reasons[i].id, kRimIndexConflict);
  EXPECT_EQ(c.reasons[21].id, kMeasurementNoGoldenValues);
}

TEST(CompareTest, missingAndWrongSizedBlocksAreReported) {
  const Rim driver = load(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const Rim vbios = load(kNvtrustSamples + "1010_0200_882_96005E0001_test_no_gpu.swidtag");
  auto measurements = report_measurements(kMockReport);
  measurements.erase(8);          // RIM index 7 (driver)
  measurements[1].push_back(0);   // RIM index 0 (VBIOS): 49 bytes
  measurements.erase(41);         // RIM index 40
  const auto c = compare_measurements(measurements, &driver, &vbios, true);
  EXPECT_EQ(c.mismatching_indices(), (std::vector<uint8_t>{0, 7, 40}));
  ASSERT_EQ(c.reasons.size(), 3u);
  EXPECT_EQ(c.reasons[0].id, kMeasurementMismatch);
  EXPECT_EQ(c.reasons[1].id, kMeasurementMissing);
  EXPECT_EQ(c.reasons[2].id, kMeasurementMissing);
  EXPECT_TRUE(c.mismatches[1].missing);
  EXPECT_EQ(c.mismatches[0].source, RimSource::vbios);
}

TEST(CompareTest, noGoldenValuesFailsClosed) {
  const auto c = compare_measurements(report_measurements(kMockReport), nullptr, nullptr, false);
  EXPECT_FALSE(c.match);
  EXPECT_TRUE(c.compared.empty());
  ASSERT_EQ(c.reasons.size(), 1u);
  EXPECT_EQ(c.reasons[0].id, kMeasurementNoGoldenValues);
}

}  // namespace
}  // namespace attestd::evidence::rim
