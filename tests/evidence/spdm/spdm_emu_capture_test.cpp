// Every signed MEASUREMENTS of the spdm-emu captures (../shared/testdata/spdm-emu: SPDM 1.1, 1.2,
// 1.3; P-256 and P-384; single and multi-request) verifies, and the wrong version's recipe fails.
#include <gtest/gtest.h>

#include <map>

#include "attestd/evidence/hash.h"
#include "attestd/evidence/spdm/cert_chain.h"
#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurements.h"
#include "attestd/evidence/spdm/measurements_verification.h"
#include "attestd/evidence/spdm/reasons.h"
#include "attestd/evidence/spdm/transcript.h"
#include "attestd/evidence/spdm/vca.h"
#include "test_files.h"

namespace attestd::evidence::spdm {
namespace {

using test::hex_bytes;
using test::read_bytes;
using test::read_json;

// One capture directory loaded: its message log, VCA and the leaf keys of its slots.
struct Capture {
  std::filesystem::path dir;
  nlohmann::json evidence;
  std::vector<std::vector<uint8_t>> messages;
  std::vector<std::span<const uint8_t>> message_spans;
  std::vector<uint8_t> vca;
  std::map<int, std::vector<uint8_t>> chains;
  HashAlg base_hash = HashAlg::sha384;

  explicit Capture(const std::string& name) : dir(test::kSpdmEmu / name), evidence(read_json(dir / "evidence.json")) {
    for (const auto& f : test::message_files(dir / "messages")) messages.push_back(read_bytes(f));
    for (const auto& m : messages) message_spans.emplace_back(m);
    vca = read_bytes(dir / "vca.bin");
    base_hash = evidence["base_hash"] == "SHA256" ? HashAlg::sha256 : HashAlg::sha384;
    for (const auto& [slot, info] : evidence["cert_chains"].items()) {
      chains[std::stoi(slot)] = read_bytes(dir / info["file"].get<std::string>());
    }
  }

  PkeyPtr leaf_key(int slot) const {
    auto chain = parse_cert_chain(chains.at(slot), base_hash);
    EXPECT_TRUE(chain.has_value()) << (chain ? "" : chain.error().message);
    auto key = leaf_public_key(*chain);
    EXPECT_TRUE(key.has_value());
    return std::move(*key);
  }

  // The transcript of signed exchange k as evidence.json composes it (vca.bin + message files).
  Transcript transcript_from_composition(const nlohmann::json& signed_entry,
                                         std::vector<std::vector<uint8_t>>& storage) const {
    Transcript t;
    storage.clear();
    storage.reserve(16);
    std::vector<std::span<const uint8_t>> messages_in_order;
    for (const auto& item : signed_entry["l1l2_composition"]) {
      std::string f = item.get<std::string>();
      if (f == "vca.bin") continue;
      f = f.substr(0, f.find(' '));
      storage.push_back(read_bytes(dir / f));
      messages_in_order.emplace_back(storage.back());
    }
    t.vca.emplace_back(vca);
    for (size_t i = 0; i + 1 < messages_in_order.size(); i += 2) {
      t.exchanges.push_back({messages_in_order[i], messages_in_order[i + 1]});
    }
    return t;
  }
};

class SpdmEmuCapture : public ::testing::TestWithParam<std::string> {};

TEST_P(SpdmEmuCapture, EverySignedMeasurementsVerifiesWithItsNonceAsComposed) {
  const Capture cap(GetParam());
  const auto& signed_list = cap.evidence["signed_measurements"];
  ASSERT_FALSE(signed_list.empty());
  for (size_t k = 0; k < signed_list.size(); ++k) {
    const auto& s = signed_list[k];
    std::vector<std::vector<uint8_t>> storage;
    const Transcript t = cap.transcript_from_composition(s, storage);
    const auto nonce = hex_bytes(s["requester_nonce"].get<std::string>());
    const auto key = cap.leaf_key(s["request_slot_id_param"].get<int>() & 0x0F);
    MeasurementsVerifyOptions options;
    options.expected_nonce = nonce;
    const auto v = verify_measurements(t, key.get(), options);
    EXPECT_TRUE(v.valid) << GetParam() << " signed" << k << ": "
                         << (v.reasons.empty() ? "" : std::string(v.reasons[0].id) + " " + v.reasons[0].message);
    EXPECT_TRUE(v.claims.nonce_checked && v.claims.nonce_matches);
    EXPECT_EQ(to_hex(v.claims.responder_nonce), s["responder_nonce"].get<std::string>());
    const auto& ctx = s["response_requester_context"];
    EXPECT_EQ(to_hex(v.claims.requester_context), ctx.is_string() ? ctx.get<std::string>() : std::string());
    EXPECT_EQ(to_hex(v.claims.signature), s["signature_hex"].get<std::string>());
    ASSERT_EQ(v.claims.measurements.size(), s["blocks"].size());
    for (size_t b = 0; b < v.claims.measurements.size(); ++b) {
      const auto& want = s["blocks"][b];
      const auto& got = v.claims.measurements[b];
      EXPECT_EQ(got.index, want["index"].get<int>());
      EXPECT_EQ(got.specification, want["measurement_specification"].get<int>());
      EXPECT_EQ(got.value_type_byte.value_or(0xFF), want["dmtf_value_type_raw"].get<int>());
      EXPECT_EQ(to_hex(got.value), want["dmtf_value_hex"].get<std::string>());
    }
  }
}

TEST_P(SpdmEmuCapture, MessageLogSplitsIntoTheDocumentedTranscriptsAndEachVerifies) {
  const Capture cap(GetParam());
  const auto transcripts = transcripts_from_log(cap.message_spans);
  ASSERT_TRUE(transcripts.has_value()) << transcripts.error().message;
  const auto& signed_list = cap.evidence["signed_measurements"];
  ASSERT_EQ(transcripts->size(), signed_list.size());
  for (size_t k = 0; k < transcripts->size(); ++k) {
    const auto& lt = (*transcripts)[k];
    // The transcript's bytes are exactly signedK_l1l2.bin (VCA only for 1.2+).
    std::vector<uint8_t> l1l2;
    const bool with_vca = cap.evidence["spdm_version"] != "1.1";
    if (with_vca) {
      for (auto piece : lt.transcript.vca) l1l2.insert(l1l2.end(), piece.begin(), piece.end());
    }
    const size_t sig_len = signed_list[k]["signature_hex"].get<std::string>().size() / 2;
    for (size_t i = 0; i < lt.transcript.exchanges.size(); ++i) {
      const auto& ex = lt.transcript.exchanges[i];
      l1l2.insert(l1l2.end(), ex.request.begin(), ex.request.end());
      const bool last = i + 1 == lt.transcript.exchanges.size();
      l1l2.insert(l1l2.end(), ex.response.begin(), ex.response.end() - static_cast<std::ptrdiff_t>(last ? sig_len : 0));
    }
    EXPECT_EQ(l1l2, read_bytes(cap.dir / ("signed" + std::to_string(k) + "_l1l2.bin"))) << GetParam() << " " << k;

    const auto nonce = hex_bytes(signed_list[k]["requester_nonce"].get<std::string>());
    const auto key = cap.leaf_key(signed_list[k]["request_slot_id_param"].get<int>() & 0x0F);
    MeasurementsVerifyOptions options;
    options.expected_nonce = nonce;
    const auto v = verify_measurements(lt.transcript, key.get(), options);
    EXPECT_TRUE(v.valid) << GetParam() << " " << k << ": " << (v.reasons.empty() ? "" : v.reasons[0].message);
    EXPECT_EQ(v.claims.exchanges, lt.transcript.exchanges.size());
  }
}

TEST_P(SpdmEmuCapture, WrongVersionRecipeFailsWithSignatureInvalidOnly) {
  const Capture cap(GetParam());
  const auto transcripts = transcripts_from_log(cap.message_spans);
  ASSERT_TRUE(transcripts.has_value());
  const auto& s = cap.evidence["signed_measurements"][0];
  const auto nonce = hex_bytes(s["requester_nonce"].get<std::string>());
  const auto key = cap.leaf_key(s["request_slot_id_param"].get<int>() & 0x0F);
  MeasurementsVerifyOptions options;
  options.expected_nonce = nonce;
  const bool v11 = cap.evidence["spdm_version"] == "1.1";
  options.recipe = v11 ? SigningRecipe::signing_context : SigningRecipe::hash_of_transcript;
  const auto v = verify_measurements(transcripts->front().transcript, key.get(), options);
  EXPECT_FALSE(v.valid);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].id, kMeasurementsSignatureInvalid);
}

TEST_P(SpdmEmuCapture, WrongNonceIsRefusedWithNonceMismatchOnly) {
  const Capture cap(GetParam());
  const auto transcripts = transcripts_from_log(cap.message_spans);
  ASSERT_TRUE(transcripts.has_value());
  const auto& s = cap.evidence["signed_measurements"][0];
  auto nonce = hex_bytes(s["requester_nonce"].get<std::string>());
  nonce[0] ^= 0x01;
  const auto key = cap.leaf_key(0);
  MeasurementsVerifyOptions options;
  options.expected_nonce = nonce;
  const auto v = verify_measurements(transcripts->front().transcript, key.get(), options);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0].id, kNonceMismatch);
  EXPECT_FALSE(v.claims.nonce_matches);
}

// 1.1 signs L1L2 itself (hashed by the signature); 1.2+ the signing-context message over Hash(L1L2).
TEST_P(SpdmEmuCapture, MessageToSignIsL1L2For11AndSigningContextMessageFrom12) {
  const Capture cap(GetParam());
  const std::string version_text = cap.evidence["spdm_version"];
  const uint8_t version = version_text == "1.1" ? 0x11 : (version_text == "1.2" ? 0x12 : 0x13);
  for (size_t k = 0; k < cap.evidence["signed_measurements"].size(); ++k) {
    const auto l1l2 = read_bytes(cap.dir / ("signed" + std::to_string(k) + "_l1l2.bin"));
    const auto to_sign = read_bytes(cap.dir / ("signed" + std::to_string(k) + "_message_to_sign.bin"));
    if (version == 0x11) {
      EXPECT_EQ(to_sign, l1l2);
    } else {
      const Digest th = hash(cap.base_hash, l1l2);
      EXPECT_EQ(signing_context_message(version, kMeasurementsSigningContext, th.bytes()), to_sign);
    }
  }
}

TEST_P(SpdmEmuCapture, VcaParsesIntoTheDocumentedAlgorithms) {
  const Capture cap(GetParam());
  const auto vca = parse_vca(cap.vca);
  ASSERT_TRUE(vca.has_value()) << vca.error().id << " " << vca.error().message;
  const auto& a = cap.evidence["algorithms"];
  EXPECT_EQ(vca->algorithms.measurement_specification, a["measurement_specification_sel"].get<int>());
  EXPECT_EQ(vca->algorithms.measurement_hash, a["measurement_hash_algo"].get<uint32_t>());
  EXPECT_EQ(vca->algorithms.base_asym, a["base_asym_sel"].get<uint32_t>());
  EXPECT_EQ(vca->algorithms.base_hash, a["base_hash_sel"].get<uint32_t>());
  if (cap.evidence["spdm_version"] != "1.1") {
    EXPECT_EQ(vca->algorithms.other_params, a["other_params_selection"].get<int>());
  }
  EXPECT_EQ(version_name(vca->algorithms.version), cap.evidence["spdm_version"].get<std::string>());
  EXPECT_EQ(cap.vca.size(), cap.evidence["vca_len"].get<size_t>());
}

TEST_P(SpdmEmuCapture, CertificateChainsParseWithRootHashAndCertificateCount) {
  const Capture cap(GetParam());
  for (const auto& [slot, info] : cap.evidence["cert_chains"].items()) {
    const auto& bytes = cap.chains.at(std::stoi(slot));
    const auto chain = parse_cert_chain(bytes, cap.base_hash);
    ASSERT_TRUE(chain.has_value()) << chain.error().message;
    EXPECT_EQ(chain->length, info["length_field"].get<int>());
    EXPECT_EQ(to_hex(chain->root_hash), info["root_hash"].get<std::string>());
    ASSERT_EQ(chain->certificates.size(), info["num_certs"].get<size_t>());
    for (size_t i = 0; i < chain->certificates.size(); ++i) {
      const auto der = read_bytes(cap.dir / ("slot" + slot + "_cert" + std::to_string(i) + ".der"));
      EXPECT_TRUE(std::equal(der.begin(), der.end(), chain->certificates[i].begin(), chain->certificates[i].end()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Captures, SpdmEmuCapture, ::testing::ValuesIn(test::capture_names()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace attestd::evidence::spdm
