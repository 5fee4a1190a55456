// Content of real RIMs (without signature) and malformed variants.
#include "attestd/evidence/rim/rim.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "attestd/evidence/rim/reasons.h"
#include "rim_testdata.h"

namespace attestd::evidence::rim {
namespace {

using namespace testing;

size_t active_count(const Rim& rim) {
  return static_cast<size_t>(std::ranges::count_if(rim.measurements, &GoldenMeasurement::active));
}

TEST(RimParseTest, nvtrustTestDriverRim) {
  const auto rim = parse_rim(read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag"));
  ASSERT_TRUE(rim.has_value()) << rim.error().message;
  EXPECT_EQ(rim->info.name, "GH100");
  EXPECT_EQ(rim->info.colloquial_version, "545.00");
  EXPECT_EQ(rim->info.version, "1.0");
  EXPECT_EQ(rim->info.tag_version, "0");
  EXPECT_EQ(rim->info.edition, "GPU");
  EXPECT_EQ(rim->info.platform_model, "GH100");
  EXPECT_EQ(rim->info.platform_manufacturer_id, "5703");
  EXPECT_EQ(rim->info.tag_id.size(), 96u);
  EXPECT_EQ(rim->measurements.size(), 64u);
  EXPECT_EQ(active_count(*rim), 21u);  // MANIFEST: 21 active measurements
  const GoldenMeasurement* m7 = rim->find(7);
  ASSERT_NE(m7, nullptr);
  EXPECT_TRUE(m7->active);
  EXPECT_EQ(m7->alg, HashAlg::sha384);
  EXPECT_EQ(m7->size, 48u);
  ASSERT_EQ(m7->alternatives.size(), 1u);
  EXPECT_EQ(to_hex(m7->alternatives[0]),
            "0e0ee161b59bf124ce6b6dca6efa7616d28077862c0e57dca7d5efd63d00eeed4851922941e846a38c464cbedbc168d9");
  EXPECT_EQ(m7->name, "Measurement_7");
}

TEST(RimParseTest, vbiosRimsHaveTwelveActiveMeasurementsWithAlternatives) {
  const auto rim = parse_rim(read_text(kNvtrustSamples + "1010_0200_882_96005E0001_PROD.swidtag"));
  ASSERT_TRUE(rim.has_value()) << rim.error().message;
  EXPECT_EQ(rim->info.colloquial_version, "96.00.5E.00.01");
  EXPECT_EQ(active_count(*rim), 12u);
  const GoldenMeasurement* m12 = rim->find(12);
  ASSERT_NE(m12, nullptr);
  EXPECT_EQ(m12->alternatives.size(), 4u);
  EXPECT_EQ(m12->alternatives[0], std::vector<uint8_t>(48, 0));
}

TEST(RimParseTest, everyRimInTestdataParses) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kShared)) {
    const auto ext = entry.path().extension();
    if (ext != ".swidtag" && ext != ".xml") continue;
    const std::string xml = read_text(entry.path());
    if (xml.find("SoftwareIdentity") == std::string::npos) continue;
    const auto rim = parse_rim(xml);
    EXPECT_TRUE(rim.has_value()) << entry.path() << ": " << rim.error().message;
    ++count;
  }
  EXPECT_EQ(count, 34u);
}

std::string edit(std::string xml, std::string_view from, std::string_view to) {
  const auto pos = xml.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) xml.replace(pos, from.size(), to);
  return xml;
}

TEST(RimParseTest, refusesInconsistentResources) {
  const std::string xml = read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag");
  const std::string r7 = R"(index="7" active="True" alternatives="1")";
  for (const auto& bad : {
           edit(xml, r7, R"(index="7" active="true" alternatives="1")"),
           edit(xml, r7, R"(index="7" active="True" alternatives="2")"),
           edit(xml, r7, R"(index="7" active="True" alternatives="0")"),
           edit(xml, r7, R"(index="x7" active="True" alternatives="1")"),
           edit(xml, r7, R"(index="254" active="True" alternatives="1")"),
           edit(xml, r7, R"(index="6" active="True" alternatives="1")"),  // index 6 twice
           edit(xml, "ns2:Hash0=\"0e0ee1", "ns2:Hash0=\"zz0ee1"),
           edit(xml, "ns2:Hash0=\"0e0ee1", "ns2:Hash0=\"0ee1"),
           edit(xml, "name=\"Measurement_7\" size=\"48\"", "name=\"Measurement_7\" size=\"32\""),
           edit(xml, "colloquialVersion=\"545.00\"", "colloquialversion=\"545.00\""),
           edit(xml, "<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\"",
                "<SoftwareIdentity xmlns=\"urn:other\""),
       }) {
    const auto rim = parse_rim(bad);
    ASSERT_FALSE(rim.has_value());
    EXPECT_EQ(rim.error().id, kRimMalformed);
  }
}

}  // namespace
}  // namespace attestd::evidence::rim
