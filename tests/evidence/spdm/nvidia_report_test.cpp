// NVIDIA GPU and NVSwitch reports of ../shared/testdata (index/nvidia_reports.json): every report
// whose signature the index says verifies with its chain's leaf verifies with its stated nonce;
// the others fail with the signature reason only; opaque TLVs decode to the versions the index
// states.
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/nvidia/report.h"
#include "attestd/evidence/spdm/public_key.h"
#include "attestd/evidence/spdm/reasons.h"
#include "test_files.h"

namespace attestd::evidence::nvidia {
namespace {

namespace t = attestd::evidence::spdm::test;

struct IndexedReport {
  nlohmann::json entry;
  std::vector<uint8_t> report_text;  // as stored: hex text, or base64-decoded binary
  std::vector<uint8_t> chain_pem;
};

// "dir/file.json[2].evidence (base64)" -> the base64 field of that array element, decoded.
std::vector<uint8_t> load_indexed(const std::string& ref) {
  const auto bracket = ref.find(".json[");
  if (bracket == std::string::npos) return t::read_bytes(t::kShared / ref);
  const std::string file = ref.substr(0, bracket + 5);
  const size_t index = std::stoul(ref.substr(bracket + 6));
  const auto close = ref.find("].", bracket);
  const std::string field = ref.substr(close + 2, ref.find(' ', close) - close - 2);
  const auto j = t::read_json(t::kShared / file);
  return t::base64_decode(j.at(index).at(field).get<std::string>());
}

std::vector<IndexedReport> load_index() {
  std::vector<IndexedReport> out;
  for (const auto& e : t::read_json(t::kShared / "index/nvidia_reports.json")) {
    out.push_back({e, load_indexed(e["report"].get<std::string>()), load_indexed(e["cert_chain"].get<std::string>())});
  }
  return out;
}

const std::vector<IndexedReport>& reports() {
  static const std::vector<IndexedReport> r = load_index();
  return r;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

std::string describe(const ReportVerification& v) {
  std::string s;
  for (const auto& r : v.reasons) s += std::string(r.id) + ": " + r.message + "\n";
  return s;
}

TEST(NvidiaReports, IndexListsGpuSwitchAndInvalidSignatureReports) {
  ASSERT_EQ(reports().size(), 25u);
  size_t verifying = 0;
  for (const auto& r : reports()) verifying += r.entry["parsed"]["signature_verifies_with_chain_leaf"].get<bool>();
  EXPECT_EQ(verifying, 21u);
}

TEST(NvidiaReports, EachVerifiesWithItsNonceExactlyWhenTheIndexSaysTheLeafSignatureVerifies) {
  for (const auto& r : reports()) {
    SCOPED_TRACE(r.entry["report"].get<std::string>() + " with " + r.entry["cert_chain"].get<std::string>());
    const auto bytes = decode_report(r.report_text);
    ASSERT_TRUE(bytes.has_value());
    const auto key = spdm::first_public_key_from_pem(r.chain_pem);
    ASSERT_TRUE(key.has_value()) << key.error().message;
    const auto nonce = t::hex_bytes(r.entry["expected_nonce"].get<std::string>());
    const auto v = verify_nvidia_report(*bytes, key->get(), nonce);
    if (r.entry["parsed"]["signature_verifies_with_chain_leaf"].get<bool>()) {
      EXPECT_TRUE(v.valid) << describe(v);
    } else {
      ASSERT_EQ(v.reasons.size(), 1u) << describe(v);
      EXPECT_EQ(v.reasons[0].id, kReportSignatureInvalid);
    }
    ASSERT_TRUE(v.parsed);
    EXPECT_TRUE(v.claims.nonce_matches);
  }
}

TEST(NvidiaReports, ParsedFieldsAndOpaqueValuesMatchTheIndex) {
  for (const auto& r : reports()) {
    SCOPED_TRACE(r.entry["report"].get<std::string>());
    const auto& p = r.entry["parsed"];
    const auto bytes = decode_report(r.report_text);
    ASSERT_TRUE(bytes.has_value());
    const auto key = spdm::first_public_key_from_pem(r.chain_pem);
    ASSERT_TRUE(key.has_value());
    const auto v = verify_nvidia_report(*bytes, key->get(), t::hex_bytes(r.entry["expected_nonce"].get<std::string>()));
    ASSERT_TRUE(v.parsed);
    const auto& c = v.claims;
    EXPECT_EQ(to_hex(c.requester_nonce), p["request_nonce"].get<std::string>());
    EXPECT_EQ(to_hex(c.responder_nonce), p["responder_nonce"].get<std::string>());
    EXPECT_EQ(c.spdm_version, 0x11);
    EXPECT_EQ(c.measurements.size(), p["measurement_blocks"].get<size_t>());
    for (const auto& m : c.measurements) EXPECT_EQ(m.value.size(), p["measurement_hash_len"].get<size_t>());
    EXPECT_EQ(to_hex(c.trailing_bytes), p["trailing_bytes_after_signature"].get<std::string>());

    // The set of opaque fields, by NVIDIA name (or number for unnamed types).
    std::set<std::string> names;
    for (const auto& f : c.opaque.fields) {
      const auto n = opaque_type_name(f.type);
      names.insert(n.empty() ? std::to_string(f.type) : std::string(n));
    }
    const std::set<std::string> want(p["opaque_fields"].begin(), p["opaque_fields"].end());
    EXPECT_EQ(names, want);
    // Raw bytes of every hex-valued field; decoded strings of the ASCII ones.
    for (const auto& [name, value] : p["opaque_values"].items()) {
      const auto it = std::find_if(c.opaque.fields.begin(), c.opaque.fields.end(), [&](const OpaqueField& f) {
        const auto n = opaque_type_name(f.type);
        return (n.empty() ? std::to_string(f.type) : std::string(n)) == name;
      });
      ASSERT_NE(it, c.opaque.fields.end()) << name;
      const std::string v_text = value.get<std::string>();
      const bool ascii = name == "CHIP_SKU" || name == "CHIP_SKU_MOD" || name == "PROJECT" || name == "PROJECT_SKU" ||
                         name == "PROJECT_SKU_MOD" || name == "DRIVER_VERSION";
      if (!ascii) {
        EXPECT_EQ(to_hex(it->data), v_text) << name;
      }
    }
    if (p["driver_version"].is_string()) {
      EXPECT_EQ(c.opaque.driver_version, p["driver_version"].get<std::string>());
    } else {
      EXPECT_FALSE(c.opaque.driver_version.has_value());
    }
    ASSERT_TRUE(c.opaque.vbios_version.has_value());
    EXPECT_EQ(upper(*c.opaque.vbios_version), upper(p["vbios_version"].get<std::string>()));
    const auto& ov = p["opaque_values"];
    if (ov.contains("FWID")) {
      ASSERT_TRUE(c.opaque.fwid.has_value());
      EXPECT_EQ(to_hex(*c.opaque.fwid), ov["FWID"].get<std::string>());
    } else {
      EXPECT_FALSE(c.opaque.fwid.has_value());
    }
    for (const char* n : {"CHIP_SKU", "PROJECT", "PROJECT_SKU"}) {
      if (!ov.contains(n)) continue;
      const auto& got = std::string(n) == "CHIP_SKU" ? c.opaque.chip_sku
                        : std::string(n) == "PROJECT" ? c.opaque.project
                                                      : c.opaque.project_sku;
      EXPECT_EQ(got, ov[n].get<std::string>()) << n;
    }
  }
}

// nvtrust's sample (MANIFEST: driver 550.90.07, VBIOS 96.00.9F.00.01, NVDEC0 disabled).
TEST(NvidiaReports, NvtrustSampleOpaqueDecodesToDriverAndVbiosVersions) {
  const auto text = t::read_bytes(t::kShared /
                                  "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples/"
                                  "hopperAttestationReport.txt");
  const auto bytes = decode_report(text);
  ASSERT_TRUE(bytes.has_value());
  const auto parsed = parse_report(*bytes);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto opaque = parse_opaque_data(parsed->response.opaque_data);
  ASSERT_TRUE(opaque.has_value());
  EXPECT_EQ(opaque->driver_version, "550.90.07");
  EXPECT_EQ(opaque->vbios_version, "96.00.9F.00.01");
  EXPECT_EQ(opaque->nvdec0_status, kStatusDisabled);
  EXPECT_EQ(opaque->board_id, 0x3b1u);
  EXPECT_EQ(opaque->msrscnt.size(), 64u);
  EXPECT_EQ(parsed->request_bytes.size(), kReportRequestSize);
  EXPECT_EQ(parsed->signed_bytes.size(), bytes->size() - kReportSignatureSize);
}

// The NVIDIA SDK's expected parse of its H100 sample (spdm_parsed_output.json).
TEST(NvidiaReports, SdkSampleParseEqualsTheSdkGoldenOutput) {
  const auto dir = t::kShared / "nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/testdata";
  const auto bytes = decode_report(t::read_bytes(dir / "hopperAttestationReport.txt"));
  ASSERT_TRUE(bytes.has_value());
  const auto parsed = parse_report(*bytes);
  ASSERT_TRUE(parsed.has_value());
  const auto golden = t::read_json(dir / "spdm_parsed_output.json");
  const auto& rsp = parsed->response;
  EXPECT_EQ(rsp.number_of_blocks, golden["NumberOfBlocks"].get<int>());
  EXPECT_EQ(rsp.record.size(), golden["MeasurementRecordLength"].get<size_t>());
  EXPECT_EQ("0x" + to_hex(rsp.nonce), golden["Nonce"].get<std::string>());
  EXPECT_EQ(rsp.opaque_data.size(), golden["OpaqueLength"].get<size_t>());
  EXPECT_EQ("0x" + to_hex(rsp.signature), golden["Signature"].get<std::string>());
  const auto& blocks = golden["MeasurementRecord"]["MeasurementBlocks"];
  ASSERT_EQ(rsp.blocks.size(), blocks.size());
  for (const auto& b : rsp.blocks) {
    const auto& g = blocks[std::to_string(b.index)];
    ASSERT_TRUE(b.dmtf.has_value());
    EXPECT_EQ(b.dmtf->value_type(), g["DMTFSpecMeasurementValueType"].get<int>());
    EXPECT_EQ("0x" + to_hex(b.dmtf->value), g["DMTFSpecMeasurementValue"].get<std::string>());
  }
  const auto opaque = parse_opaque_data(rsp.opaque_data);
  ASSERT_TRUE(opaque.has_value());
  for (const auto& [name, value] : golden["OpaqueData"]["OpaqueDataField"].items()) {
    const auto it = std::find_if(opaque->fields.begin(), opaque->fields.end(), [&](const OpaqueField& f) {
      return "OPAQUE_FIELD_ID_" + std::string(opaque_type_name(f.type)) == name;
    });
    ASSERT_NE(it, opaque->fields.end()) << name;
    if (value.is_string()) {
      EXPECT_EQ("0x" + to_hex(it->data), value.get<std::string>()) << name;
    }
  }
}

class NvtrustSample : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = t::kShared / "nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples";
    text_ = t::read_bytes(dir / "hopperAttestationReport.txt");
    report_ = *decode_report(text_);
    key_ = std::move(*spdm::first_public_key_from_pem(t::read_bytes(dir / "hopperCertChain.txt")));
    nonce_ = t::hex_bytes("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb");
  }
  ReportVerification verify(std::span<const uint8_t> bytes) { return verify_nvidia_report(bytes, key_.get(), nonce_); }
  static std::vector<std::string_view> ids(const ReportVerification& v) {
    std::vector<std::string_view> out;
    for (const auto& r : v.reasons) out.push_back(r.id);
    return out;
  }
  std::vector<uint8_t> text_;
  std::vector<uint8_t> report_;
  spdm::PkeyPtr key_;
  std::vector<uint8_t> nonce_;
  // Offsets in this report (FORMATS-SPDM.md section 7.2).
  static constexpr size_t kNumberOfBlocks = 41;
  static constexpr size_t kRecordLength = 42;
  static constexpr size_t kFirstDigest = 45 + 7;
  static constexpr size_t kOpaqueLength = 3597;
};

TEST_F(NvtrustSample, HexTextWithWhitespaceAndBinaryGiveTheSameVerdict) {
  std::vector<uint8_t> spaced;
  for (size_t i = 0; i < text_.size(); ++i) {
    spaced.push_back(text_[i]);
    if (i % 64 == 63) spaced.push_back('\n');
  }
  spaced.insert(spaced.begin(), {' ', '\t'});
  const auto from_text = decode_report(spaced);
  ASSERT_TRUE(from_text.has_value());
  EXPECT_EQ(*from_text, report_);
  EXPECT_TRUE(verify(*decode_report(report_)).valid);
}

TEST_F(NvtrustSample, OddHexAndNonHexTextAreEncodingErrors) {
  auto odd = text_;
  odd.pop_back();
  EXPECT_EQ(decode_report(odd).error().id, kReportEncodingInvalid);
  auto bad = text_;
  bad[100] = 'g';
  EXPECT_EQ(decode_report(bad).error().id, kReportEncodingInvalid);
}

TEST_F(NvtrustSample, WrongNonceIsRefusedWithNonceMismatchOnly) {
  auto wrong = nonce_;
  wrong[31] ^= 0x80;
  const auto v = verify_nvidia_report(report_, key_.get(), wrong);
  EXPECT_EQ(ids(v), std::vector<std::string_view>{kReportNonceMismatch});
  EXPECT_FALSE(v.claims.nonce_matches);
}

TEST_F(NvtrustSample, BytesAfterTheSignatureAreReportedNotFatal) {
  auto extended = report_;
  extended.insert(extended.end(), {0x00, 0x00, 0xde, 0xad});
  const auto v = verify(extended);
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(to_hex(v.claims.trailing_bytes), "0000dead");
}

TEST_F(NvtrustSample, TruncationAnywhereIsMalformedWithThePreciseParseReason) {
  struct Case {
    size_t size;
    std::string_view precise;
  };
  const Case cases[] = {
      {0, spdm::kParseTruncated},                                 // empty
      {20, spdm::kParseTruncated},                                // inside the request nonce
      {37, spdm::kParseTruncated},                                // request only
      {40, spdm::kParseTruncated},                                // inside the response header
      {1000, spdm::kParseTruncated},                              // inside the measurement record
      {3580, spdm::kParseTruncated},                              // inside the responder nonce
      {3700, spdm::kParseTruncated},                              // inside the opaque data
      {report_.size() - 1, spdm::kParseTruncated},                // one byte of signature short
  };
  for (const auto& c : cases) {
    const auto v = verify(std::span<const uint8_t>(report_).first(c.size));
    EXPECT_EQ(ids(v), (std::vector<std::string_view>{kReportMalformed, c.precise})) << "size " << c.size;
    EXPECT_FALSE(v.parsed);
  }
}

TEST_F(NvtrustSample, FlippedMeasurementDigestFailsTheSignatureOnly) {
  auto flipped = report_;
  flipped[kFirstDigest + 5] ^= 0x01;
  EXPECT_EQ(ids(verify(flipped)), std::vector<std::string_view>{kReportSignatureInvalid});
}

TEST_F(NvtrustSample, FlippedSignatureFailsTheSignatureOnly) {
  auto flipped = report_;
  flipped[report_.size() - 10] ^= 0x01;
  EXPECT_EQ(ids(verify(flipped)), std::vector<std::string_view>{kReportSignatureInvalid});
}

TEST_F(NvtrustSample, FlippedNumberOfBlocksIsABlockCountMismatch) {
  auto flipped = report_;
  flipped[kNumberOfBlocks] ^= 0x01;
  EXPECT_EQ(ids(verify(flipped)),
            (std::vector<std::string_view>{kReportMalformed, spdm::kMeasurementsBlockCountMismatch}));
}

TEST_F(NvtrustSample, RecordLengthCuttingABlockIsARecordLengthMismatch) {
  auto flipped = report_;
  flipped[kRecordLength] ^= 0x01;  // 3520 -> 3521: the record's last block no longer fills it
  EXPECT_EQ(ids(verify(flipped)),
            (std::vector<std::string_view>{kReportMalformed, spdm::kMeasurementsRecordLengthMismatch}));
}

TEST_F(NvtrustSample, OpaqueLengthAbove1024IsOpaqueTooLong) {
  auto flipped = report_;
  flipped[kOpaqueLength + 1] = 0x04;  // 0x04xx > 1024
  EXPECT_EQ(ids(verify(flipped)), (std::vector<std::string_view>{kReportMalformed, spdm::kMeasurementsOpaqueTooLong}));
}

TEST_F(NvtrustSample, Spdm12RequestIsUnsupported) {
  auto changed = report_;
  changed[0] = 0x12;
  EXPECT_EQ(ids(verify(changed)), (std::vector<std::string_view>{kReportMalformed, kReportUnsupported}));
}

TEST_F(NvtrustSample, KeyOfAnotherCurveIsASignatureFailure) {
  const auto cap_chain = t::read_bytes(t::kSpdmEmu / "v12_p256_all/cert_chain_slot0.pem");
  // The first PEM certificate of the libspdm chain is its P-256 root.
  const auto p256 = spdm::first_public_key_from_pem(cap_chain);
  ASSERT_TRUE(p256.has_value());
  const auto v = verify_nvidia_report(report_, p256->get(), nonce_);
  ASSERT_EQ(ids(v), std::vector<std::string_view>{kReportSignatureInvalid});
  EXPECT_NE(v.reasons[0].message.find(spdm::kKeyMismatch), std::string::npos);
}

}  // namespace
}  // namespace attestd::evidence::nvidia
