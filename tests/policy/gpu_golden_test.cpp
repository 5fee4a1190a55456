// GPU golden values on real NVIDIA evidence: reference sets imported from RIMs (signature checked)
// and from CoRIMs built here, appraised against GPU claims the evidence layer verified.
#include <gtest/gtest.h>

#include <cbor.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/gpu/gpu_verification.h"
#include "attestd/evidence/rim/verify.h"
#include "attestd/evidence/x509/certificate.h"
#include "attestd/policy/appraisal.h"
#include "attestd/policy/corim.h"
#include "attestd/policy/gpu_import.h"
#include "attestd/policy/reasons.h"
#include "attestd/policy/version_order.h"
#include "test_util.h"

namespace attestd::policy {
namespace {

using std::chrono::seconds;
using test::ids;
using Ids = std::vector<std::string_view>;

const std::string kShared = ATTESTD_SHARED_TESTDATA;
const std::string kGolden = std::string(ATTESTD_GOLDEN_VALUES) + "/nvidia/";
const std::string kNvtrustSamples =
    kShared + "/nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/samples/";
const std::string kSdk = kShared + "/nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/testdata/";
const std::string kMocks = kShared + "/go-nvtrust/pkg/gonvtrust/mocks/";

std::chrono::sys_seconds utc(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}
// The nvtrust test RIMs' signer is valid 2023-06-27 .. 2025-06-26 (MANIFEST).
const auto k20240601 = utc(2024, 6, 1);

evidence::x509::Certificate root(const std::string& file) {
  auto cert = evidence::x509::parse_certificate_pem(test::read_text(kGolden + file));
  EXPECT_TRUE(cert.has_value()) << file;
  return std::move(*cert);
}

// A GPU claim as the service builds it (verifier/service/attestations_api.cpp verify_one_gpu).
GpuClaim gpu_claim(const std::string& report_file, const std::string& chain_file, std::string_view nonce_hex,
                   std::chrono::sys_seconds at) {
  const auto device_root = root("device_identity_root.pem");
  const std::string report = test::read_text(report_file);
  const auto nonce = test::bytes(nonce_hex);
  evidence::gpu::GpuTrust trust;
  trust.device_root = &device_root;
  const auto v = evidence::gpu::verify_gpu(std::span(reinterpret_cast<const uint8_t*>(report.data()), report.size()),
                                           test::read_text(chain_file), nonce, trust, at);
  GpuClaim claim;
  claim.verified = v.valid;
  claim.reasons = v.reasons;
  claim.model = v.claims.hardware_model.substr(0, v.claims.hardware_model.find(' '));
  for (const auto& m : v.claims.report.measurements) claim.measurements[m.index] = m.value;
  claim.driver_version = v.claims.report.opaque.driver_version;
  claim.vbios_version = v.claims.report.opaque.vbios_version;
  return claim;
}

evidence::rim::Rim verified_rim(const std::string& file, std::chrono::sys_seconds at) {
  const auto v = evidence::rim::verify_rim(test::read_text(file), root("rim_root.pem"), at);
  EXPECT_TRUE(v.valid) << file;
  return v.rim.value_or(evidence::rim::Rim{});
}

Policy gpu_policy(std::string extra = "") {
  return test::must_parse_policy(fmt::format(R"({{
    "name": "gpu", "require": {{"tpm": false, "event_log": false, "gpus": 1}}, "pcrs": {{}},
    "reference_sets": ["h100"], "max_age_seconds": 60,
    "gpu": {{"models": ["GH100"], "measurements": "reference"{}}}}})",
                                             extra));
}

Claims claims_of(GpuClaim gpu, std::chrono::sys_seconds now) {
  Claims c;
  c.gpus.push_back(std::move(gpu));
  c.evidence_time = now;
  return c;
}

// Through the JSON document, as attestctl uploads it.
ReferenceSet round_trip(const ReferenceSet& set) { return test::must_parse_reference_set(to_json(set).dump()); }

TEST(GpuGolden, MockReportPassesAPolicyBuiltFromItsSignedRims) {
  ReferenceSet set{"h100", "", {}, {}, {}};
  const std::vector<evidence::rim::Rim> rims = {verified_rim(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag", k20240601),
                                                verified_rim(kNvtrustSamples + "1010_0200_882_96005E0001_test_no_gpu.swidtag", k20240601)};
  ASSERT_TRUE(add_rim_reference_values(set, rims).has_value());
  // MANIFEST: 33 active golden measurements across the two RIMs.
  ASSERT_EQ(set.gpu.at("GH100").size(), 33u);
  const std::vector<ReferenceSet> sets = {round_trip(set)};

  const auto claim = gpu_claim(kMocks + "attestationReport.txt", kMocks + "gpuAkCertChain.txt",
                               "4cff7f5380ead8fad8ec2c531c110aca4302a88f603792801a8ca29ee151af2e", k20240601);
  ASSERT_TRUE(claim.verified) << test::messages(claim.reasons);
  EXPECT_EQ(claim.model, "GH100");
  const auto pass = appraise(gpu_policy(R"(, "min_driver": "545.00", "min_vbios": "96.00.5E.00.01")"), sets,
                             claims_of(claim, k20240601), k20240601);
  EXPECT_EQ(pass.verdict, Verdict::affirming) << test::describe(pass);

  // The same report under minimum versions above its own: one reason each, naming the version.
  const auto old = appraise(gpu_policy(R"(, "min_driver": "550.54.15", "min_vbios": "96.00.9F.00.01")"), sets,
                            claims_of(claim, k20240601), k20240601);
  EXPECT_EQ(ids(old.reasons), (Ids{kGpuDriverTooOld, kGpuVbiosTooOld})) << test::describe(old);
  EXPECT_EQ(old.reasons[0].submod, "gpu0");
  EXPECT_NE(old.reasons[0].message.find("545.00"), std::string::npos) << old.reasons[0].message;
}

TEST(GpuGolden, Sdk53586ReportAgainstTheMismatchRimsFailsNamingTheMismatchingIndices) {
  // NVIDIA's SDK uses these RIMs with verify_rim_signature=false (MANIFEST): their content was
  // edited after signing, so they are read with parse_rim, not verify_rim.
  std::vector<evidence::rim::Rim> rims;
  for (const char* file : {"NV_GPU_DRIVER_GH100_535.86.09_measurement_mismatch.xml",
                           "NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml"}) {
    auto rim = evidence::rim::parse_rim(test::read_text(kSdk + "sample_rims/" + file));
    ASSERT_TRUE(rim.has_value()) << file;
    rims.push_back(std::move(*rim));
  }
  ReferenceSet set{"h100", "", {}, {}, {}};
  ASSERT_TRUE(add_rim_reference_values(set, rims).has_value());
  const auto now = utc(2026, 11, 24);
  const auto claim = gpu_claim(kSdk + "sample_attestation_data/gpu/hopperAttestationReport.txt",
                               kSdk + "sample_attestation_data/gpu/hopperCertChain.txt",
                               "27a328247bf7935c993341cf587be6f05986ccce4fe7ba2c54100bd616a58f66", now);
  ASSERT_TRUE(claim.verified) << test::messages(claim.reasons);
  const auto a = appraise(gpu_policy(), std::vector<ReferenceSet>{round_trip(set)}, claims_of(claim, now), now);
  EXPECT_EQ(a.verdict, Verdict::contraindicated);
  // The RIM indices tests/evidence/rim/compare_test.cpp finds with an independent reading, as SPDM
  // indices (RIM index + 1).
  std::vector<std::string> expected;
  for (unsigned rim_index : {7u, 9u, 21u, 22u, 25u, 26u, 27u, 29u, 30u, 31u, 32u, 34u, 37u, 39u, 40u, 41u}) {
    expected.push_back(fmt::format("GPU model GH100 measurement index {} ", rim_index + 1));
  }
  std::vector<std::string> got;
  for (const auto& r : a.reasons) {
    EXPECT_EQ(r.id, kGpuMeasurementMismatch) << r.message;
    EXPECT_EQ(r.submod, "gpu0");
    got.push_back(r.message.substr(0, r.message.find(" is ") == std::string::npos ? 0 : r.message.find(" is ") + 1));
  }
  EXPECT_EQ(got, expected) << test::describe(a);
}

TEST(GpuGolden, RimImportRefusesMixedModelsAndConflictingIndices) {
  auto driver = evidence::rim::parse_rim(test::read_text(kNvtrustSamples + "Driver_RIM_test_no_gpu.swidtag"));
  ASSERT_TRUE(driver.has_value());
  ReferenceSet set{"s", "", {}, {}, {}};
  const std::vector<evidence::rim::Rim> twice = {*driver, *driver};
  const auto conflict = add_rim_reference_values(set, twice);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().id, kGpuImportInvalid);
  EXPECT_TRUE(set.gpu.empty()) << "nothing is committed on failure";
  auto other = *driver;
  other.info.name = "GB100";
  const std::vector<evidence::rim::Rim> mixed = {*driver, other};
  EXPECT_EQ(add_rim_reference_values(set, mixed).error().id, kGpuImportInvalid);
  EXPECT_EQ(add_rim_reference_values(set, {}).error().id, kGpuImportInvalid);
}

TEST(VersionOrder, ComparesComponentsNumerically) {
  EXPECT_EQ(compare_versions("535.86.09", "535.86.09"), 0);
  EXPECT_LT(*compare_versions("535.86.09", "550.54.15"), 0);
  EXPECT_GT(*compare_versions("550.144.03", "550.54.15"), 0);  // 144 > 54, not "1" < "5"
  EXPECT_EQ(compare_versions("535.86", "535.86.0"), 0);
  EXPECT_LT(*compare_versions("96.00.5E.00.01", "96.00.9F.00.01"), 0);  // hex components
  EXPECT_FALSE(compare_versions("535..1", "1").has_value());
  EXPECT_FALSE(compare_versions("v535", "1").has_value());
  EXPECT_FALSE(compare_versions("", "1").has_value());
}

TEST(GpuVersions, MissingOrUnreadableVersionIsVersionUnknown) {
  GpuClaim claim;
  claim.model = "GH100";
  claim.verified = true;
  const auto now = utc(2026, 1, 1);
  const Policy policy = test::must_parse_policy(R"({
    "name": "gpu", "require": {"tpm": false, "event_log": false, "gpus": 1}, "pcrs": {},
    "max_age_seconds": 60, "gpu": {"models": ["GH100"], "measurements": "none", "min_driver": "535.86.09"}})");
  EXPECT_EQ(ids(appraise(policy, {}, claims_of(claim, now), now).reasons), Ids{kGpuVersionUnknown});
  claim.driver_version = "r535";
  EXPECT_EQ(ids(appraise(policy, {}, claims_of(claim, now), now).reasons), Ids{kGpuVersionUnknown});
  claim.driver_version = "535.86.09";
  EXPECT_TRUE(appraise(policy, {}, claims_of(claim, now), now).reasons.empty());
}

// ---- CoRIM ----

struct CborDecref {
  void operator()(cbor_item_t* i) const { cbor_decref(&i); }
};
using Cbor = std::unique_ptr<cbor_item_t, CborDecref>;

void put(cbor_item_t* map, cbor_item_t* key, cbor_item_t* value) {
  cbor_map_add(map, cbor_pair{cbor_move(key), cbor_move(value)});
}

std::vector<uint8_t> serialize(cbor_item_t* item) {
  unsigned char* buffer = nullptr;
  size_t size = 0;
  const size_t n = cbor_serialize_alloc(item, &buffer, &size);
  std::vector<uint8_t> out(buffer, buffer + n);
  free(buffer);  // NOLINT: libcbor allocates with malloc
  return out;
}

struct Triple {
  std::string model;
  std::vector<std::pair<uint64_t, std::vector<std::vector<uint8_t>>>> measurements;  // mkey -> sha-384 values
};

// An unsigned CoRIM with one CoMID holding `triples` (draft-ietf-rats-corim-03 CDDL, by hand).
std::vector<uint8_t> build_corim(const std::vector<Triple>& triples, uint64_t alg = 7) {
  Cbor refs(cbor_new_definite_array(triples.size()));
  for (const auto& t : triples) {
    Cbor cls(cbor_new_definite_map(2));
    put(cls.get(), cbor_build_uint8(1), cbor_build_string("NVIDIA"));
    put(cls.get(), cbor_build_uint8(2), cbor_build_string(t.model.c_str()));
    Cbor env(cbor_new_definite_map(1));
    put(env.get(), cbor_build_uint8(0), cls.release());
    Cbor ms(cbor_new_definite_array(t.measurements.size()));
    for (const auto& [mkey, values] : t.measurements) {
      Cbor digests(cbor_new_definite_array(values.size()));
      for (const auto& v : values) {
        Cbor pair(cbor_new_definite_array(2));
        cbor_array_push(pair.get(), cbor_move(cbor_build_uint64(alg)));
        cbor_array_push(pair.get(), cbor_move(cbor_build_bytestring(v.data(), v.size())));
        cbor_array_push(digests.get(), cbor_move(pair.release()));
      }
      Cbor mval(cbor_new_definite_map(1));
      put(mval.get(), cbor_build_uint8(2), digests.release());
      Cbor m(cbor_new_definite_map(2));
      put(m.get(), cbor_build_uint8(0), cbor_build_uint64(mkey));
      put(m.get(), cbor_build_uint8(1), mval.release());
      cbor_array_push(ms.get(), cbor_move(m.release()));
    }
    Cbor triple(cbor_new_definite_array(2));
    cbor_array_push(triple.get(), cbor_move(env.release()));
    cbor_array_push(triple.get(), cbor_move(ms.release()));
    cbor_array_push(refs.get(), cbor_move(triple.release()));
  }
  Cbor triples_map(cbor_new_definite_map(1));
  put(triples_map.get(), cbor_build_uint8(0), refs.release());
  Cbor identity(cbor_new_definite_map(1));
  put(identity.get(), cbor_build_uint8(0), cbor_build_string("gh100-comid"));
  Cbor comid(cbor_new_definite_map(2));
  put(comid.get(), cbor_build_uint8(1), identity.release());
  put(comid.get(), cbor_build_uint8(4), triples_map.release());
  const auto comid_bytes = serialize(comid.get());
  Cbor tags(cbor_new_definite_array(1));
  cbor_array_push(tags.get(), cbor_move(cbor_build_tag(kTagComid, cbor_move(cbor_build_bytestring(comid_bytes.data(), comid_bytes.size())))));
  Cbor corim(cbor_new_definite_map(2));
  put(corim.get(), cbor_build_uint8(0), cbor_build_string("gh100-corim"));
  put(corim.get(), cbor_build_uint8(1), tags.release());
  Cbor tagged(cbor_build_tag(kTagCorim, cbor_move(corim.release())));
  return serialize(tagged.get());
}

std::vector<uint8_t> value(uint8_t fill) { return std::vector<uint8_t>(48, fill); }

TEST(Corim, ImportRoundTripsTheReferenceValueTriples) {
  const auto corim = build_corim({{"GH100", {{1, {value(0x11), value(0x12)}}, {36, {value(0x36)}}}},
                                  {"GB100", {{2, {value(0x22)}}}}});
  ReferenceSet set{"corim", "", {}, {}, {}};
  ASSERT_TRUE(add_corim_reference_values(set, corim).has_value());
  const auto back = round_trip(set);
  const std::map<std::string, std::map<uint32_t, std::vector<GpuMeasurement>>> expected = {
      {"GH100", {{1, {value(0x11), value(0x12)}}, {36, {value(0x36)}}}}, {"GB100", {{2, {value(0x22)}}}}};
  EXPECT_EQ(back.gpu, expected);

  // And the imported values judge a GPU: index 36 differing is a mismatch naming it.
  GpuClaim claim;
  claim.model = "GH100";
  claim.verified = true;
  claim.measurements = {{1, value(0x12)}, {36, value(0x36)}};
  const auto now = utc(2026, 1, 1);
  Policy policy = gpu_policy();
  policy.reference_sets = {"corim"};
  EXPECT_EQ(appraise(policy, std::vector<ReferenceSet>{back}, claims_of(claim, now), now).verdict, Verdict::affirming);
  claim.measurements[36] = value(0x37);
  const auto a = appraise(policy, std::vector<ReferenceSet>{back}, claims_of(claim, now), now);
  ASSERT_EQ(ids(a.reasons), Ids{kGpuMeasurementMismatch});
  EXPECT_NE(a.reasons[0].message.find("measurement index 36"), std::string::npos);
}

TEST(Corim, RefusesWhatItCannotReadWithCorimInvalid) {
  ReferenceSet set{"corim", "", {}, {}, {}};
  const auto refused = [&](const std::vector<uint8_t>& bytes, std::string_view text) {
    const auto r = add_corim_reference_values(set, bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kCorimInvalid);
    EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message << " (wanted: " << text << ")";
    EXPECT_TRUE(set.gpu.empty());
  };
  refused({}, "empty");
  refused({0xff}, "not well-formed");
  auto good = build_corim({{"GH100", {{1, {value(1)}}}}});
  auto trailing = good;
  trailing.push_back(0x00);
  refused(trailing, "after the CBOR item");
  refused(build_corim({{"GH100", {{1, {value(1)}}}}}, 2), "hash algorithm 2");
  refused(build_corim({{"GH100", {{0, {value(1)}}}}}), "mkey 0");
  refused(build_corim({{"bad model", {{1, {value(1)}}}}}), "not a valid name");
  refused(build_corim({}), "no reference-value triple");
  // A COSE_Sign1 around it: a signature this import cannot check is refused, never skipped.
  Cbor signed_corim(cbor_build_tag(kTagCoseSign1, cbor_move(cbor_build_bytestring(good.data(), good.size()))));
  refused(serialize(signed_corim.get()), "signed CoRIM");
  // A count no input can hold: refused before libcbor allocates for it (corim_fuzz found
  // cbor_load asking for an exabyte), and nesting beyond what a CoRIM needs.
  refused({0xd9, 0x01, 0xf5, 0x9b, 0x04, 0, 0, 0, 0, 0, 0, 0}, "not well-formed");
  refused(std::vector<uint8_t>(100, 0x81), "nested deeper than 32");
  // Truncated: cut anywhere, never accepted.
  for (size_t n = 1; n < good.size(); n += 7) refused(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)), "");
}

}  // namespace
}  // namespace attestd::policy
