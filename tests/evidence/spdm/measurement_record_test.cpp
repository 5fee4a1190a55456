// Measurement records and blocks (DSP0274 1.3 Tables 57 - 59) on DMTF's sample evidence.
#include <gtest/gtest.h>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/spdm/measurement_block.h"
#include "attestd/evidence/spdm/reasons.h"
#include "test_files.h"

namespace attestd::evidence::spdm {
namespace {

const std::filesystem::path kSample =
    test::kShared / "dmtf-spdm-emu/spdm_emu/spdm_device_verifier_tool/SampleEvidence";

TEST(MeasurementRecord, DmtfSampleParsesIntoExactlyTheDigestsAndSvnOfTheSampleJson) {
  const auto record = test::read_bytes(kSample / "device_measurement.bin");
  const auto blocks = parse_measurement_record(record, std::nullopt);
  ASSERT_TRUE(blocks.has_value()) << blocks.error().message;
  // What SpdmSampleMeasurement.json lists: digests (hash alg 8 = SHA-512) by index, and an SVN.
  std::map<int, std::string> digests;
  std::map<int, uint64_t> svns;
  for (const auto& b : *blocks) {
    ASSERT_TRUE(b.dmtf.has_value());
    if (!b.dmtf->raw_bit_stream()) digests[b.index] = to_hex(b.dmtf->value);
    if (const auto svn = decode_svn(*b.dmtf)) svns[b.index] = *svn;
  }
  std::map<int, std::string> want_digests;
  std::map<int, uint64_t> want_svns;
  const auto sample = test::read_json(kSample / "SpdmSampleMeasurement.json");
  for (const auto& e : sample["evidences"]) {
    const auto& ev = e["evidence"];
    if (ev.contains("digest")) {
      EXPECT_EQ(ev["digest"][0].get<int>(), 8);  // SHA-512 in the tool's numbering
      want_digests[ev["index"].get<int>()] = ev["digest"][1].get<std::string>();
    }
    if (ev.contains("svn")) want_svns[ev["index"].get<int>()] = ev["svn"].get<uint64_t>();
  }
  EXPECT_EQ(digests, want_digests);
  EXPECT_EQ(svns, want_svns);
  for (const auto& [index, hex] : digests) EXPECT_EQ(hex.size(), 128u) << index;
}

TEST(MeasurementRecord, DmtfSampleManifestAndDeviceModeBlocksDecode) {
  const auto record = test::read_bytes(kSample / "device_measurement.bin");
  const auto blocks = parse_measurement_record(record, 7);
  ASSERT_TRUE(blocks.has_value());
  const auto& manifest = (*blocks)[5];
  EXPECT_EQ(manifest.index, 0xFD);
  EXPECT_EQ(value_type_name(manifest.dmtf->value_type()), "measurement_manifest");
  EXPECT_TRUE(manifest.dmtf->raw_bit_stream());
  const auto mode = decode_device_mode(*(*blocks)[6].dmtf);
  ASSERT_TRUE(mode.has_value());
  EXPECT_EQ(mode->operational_mode_capabilities, 0x3Fu);
  EXPECT_EQ(mode->operational_mode_state, 0x04u);
  EXPECT_EQ(mode->device_mode_capabilities, 0x1Fu);
  EXPECT_EQ(mode->device_mode_state, 0x11u);
}

TEST(MeasurementRecord, WrongBlockCountIsBlockCountMismatch) {
  const auto record = test::read_bytes(kSample / "device_measurement.bin");
  EXPECT_EQ(parse_measurement_record(record, 6).error().id, kMeasurementsBlockCountMismatch);
}

TEST(MeasurementRecord, RecordCutInsideALastBlockIsRecordLengthMismatch) {
  const auto record = test::read_bytes(kSample / "device_measurement.bin");
  for (size_t cut : {size_t{1}, size_t{3}, size_t{4}, size_t{20}}) {
    EXPECT_EQ(parse_measurement_record(std::span<const uint8_t>(record).first(record.size() - cut), std::nullopt)
                  .error()
                  .id,
              kMeasurementsRecordLengthMismatch)
        << cut;
  }
}

TEST(MeasurementRecord, NonDmtfSpecificationKeepsTheMeasurementOpaque) {
  const std::vector<uint8_t> record = {0x05, 0x02, 0x03, 0x00, 0xaa, 0xbb, 0xcc};
  const auto blocks = parse_measurement_record(record, 1);
  ASSERT_TRUE(blocks.has_value());
  EXPECT_FALSE((*blocks)[0].dmtf.has_value());
  EXPECT_EQ(to_claim((*blocks)[0]).value, (std::vector<uint8_t>{0xaa, 0xbb, 0xcc}));
}

TEST(MeasurementRecord, EmptyRecordHasNoBlocks) {
  const auto blocks = parse_measurement_record({}, 0);
  ASSERT_TRUE(blocks.has_value());
  EXPECT_TRUE(blocks->empty());
}

}  // namespace
}  // namespace attestd::evidence::spdm
