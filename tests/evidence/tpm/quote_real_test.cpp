// Every real TPM quote in the shared test data verifies, and each kind of tampering fails with
// exactly the reason that names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/evidence/tpm/public_key.h"
#include "attestd/evidence/tpm/quote.h"
#include "attestd/evidence/tpm/reasons.h"
#include "attestd/evidence/tpm/signature.h"
#include "test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace testing;

struct RealQuote {
  std::string name;
  std::function<std::expected<PublicKey, Error>()> ak;
  Bytes attest;
  Bytes sig;        // TPMT_SIGNATURE, or the bare RSA signature when raw_sig
  bool raw_sig = false;
  Bytes nonce;
  PcrValues pcrs;
  KeyType key_type = KeyType::rsa;
};

std::ostream& operator<<(std::ostream& os, const RealQuote& q) { return os << q.name; }

// The AK of Azure's vTPM: HCLAkPub, a JWK in the runtime data of the HCL report. Layout: 32-byte
// HCL header, 1184-byte SNP report, then IGVM request data { u32 data_size, version, report_type,
// hash_type, variable_data_size } followed by the JSON.
std::expected<PublicKey, Error> azure_ak() {
  const Bytes report = read_bytes(shared("trustee/deps/verifier/test_data/az-snp-vtpm/hcl-report.bin"));
  constexpr size_t kRuntime = 32 + 1184;
  const size_t json_size = static_cast<size_t>(report[kRuntime + 16]) | (static_cast<size_t>(report[kRuntime + 17]) << 8) |
                           (static_cast<size_t>(report[kRuntime + 18]) << 16) |
                           (static_cast<size_t>(report[kRuntime + 19]) << 24);
  const std::string json(report.begin() + kRuntime + 20, report.begin() + static_cast<std::ptrdiff_t>(kRuntime + 20 + json_size));
  const auto doc = nlohmann::json::parse(json);
  for (const auto& key : doc["keys"]) {
    if (key["kid"] == "HCLAkPub") {
      return parse_public_key_rsa(base64(key["n"].get<std::string>()), base64(key["e"].get<std::string>()));
    }
  }
  return std::unexpected(Error{"test", "no HCLAkPub"});
}

std::vector<RealQuote> real_quotes() {
  std::vector<RealQuote> out;
  for (const std::string boot : {"nosb-direct", "nosb-direct-cmdline2", "sb-shim-grub"}) {
    const auto dir = shared("vmboot/" + boot);
    const Bytes nonce = hex(read_text(dir / "nonce.hex"));
    const PcrValues json_pcrs = pcrs_from_json(read_json(dir / "pcrs.json"));
    struct Kind { const char* file; const char* ak; KeyType type; };
    for (const Kind kind : {Kind{"quote", "ak.pub", KeyType::rsa}, Kind{"quote_multibank", "ak.pub", KeyType::rsa},
                            Kind{"quote_ecc", "ak_ecc.pub", KeyType::ecc}}) {
      for (const bool from_file : {true, false}) {
        RealQuote q;
        q.name = boot + "_" + kind.file + (from_file ? "_pcrfile" : "_pcrsjson");
        std::replace(q.name.begin(), q.name.end(), '-', '_');
        const auto ak_path = dir / kind.ak;
        q.ak = [ak_path] { return load_public_key(read_bytes(ak_path)); };
        q.attest = read_bytes(dir / (std::string(kind.file) + ".msg"));
        q.sig = read_bytes(dir / (std::string(kind.file) + ".sig"));
        q.nonce = nonce;
        q.key_type = kind.type;
        if (from_file) {
          auto parsed = parse_tpm2_tools_pcr_file(read_bytes(dir / (std::string(kind.file) + ".pcrs")));
          if (!parsed) throw std::runtime_error(parsed.error().message);
          q.pcrs = *parsed;
        } else {
          q.pcrs = json_pcrs;
        }
        out.push_back(std::move(q));
      }
    }
  }
  for (const std::string run : {"nonce9009", "no_nonce"}) {
    const std::string stem = "go-tpm-tools/internal/test/attestations/gce-cos-85-" +
                             std::string(run == "no_nonce" ? "no-nonce" : run);
    for (const std::string bank : {"sha1", "sha256", "sha384"}) {
      RealQuote q;
      q.name = "gce_cos_85_" + run + "_" + bank;
      const auto ak_path = shared(stem + ".ak_public.tpmt");
      q.ak = [ak_path] { return parse_tpmt_public(read_bytes(ak_path)); };
      q.attest = read_bytes(shared(stem + ".quote_" + bank + ".attest"));
      q.sig = read_bytes(shared(stem + ".quote_" + bank + ".sig"));
      q.nonce = run == "no_nonce" ? Bytes{} : Bytes{0x90, 0x09};
      q.pcrs = pcrs_from_json(read_json(shared(stem + ".quote_" + bank + ".pcrs.json")));
      out.push_back(std::move(q));
    }
  }
  {
    const std::string stem = "go-attestation/attest/testdata/windows_gcp_shielded_vm";
    RealQuote q;
    q.name = "windows_gcp_shielded_vm";
    const auto ak_path = shared(stem + ".ak_public.tpmt");
    q.ak = [ak_path] { return load_public_key(read_bytes(ak_path)); };
    q.attest = read_bytes(shared(stem + ".quote.attest"));
    q.sig = read_bytes(shared(stem + ".quote.sig"));
    q.pcrs = pcrs_from_json(read_json(shared(stem + ".pcrs.json")));
    out.push_back(std::move(q));
  }
  {
    const auto doc = read_json(shared("trustee/deps/verifier/test_data/tpm_evidence.json"));
    RealQuote q;
    q.name = "trustee_swtpm";
    const Bytes der = base64(doc["ak_public"].get<std::string>());
    q.ak = [der] { return parse_public_key_der(der); };
    q.attest = base64(doc["tpm_quote"]["message"].get<std::string>());
    q.sig = base64(doc["tpm_quote"]["signature"].get<std::string>());
    // The report data trustee bound into the quote: 48 bytes (a SHA-384 sized value) zero-padded
    // to 64. (The MANIFEST row says "a04182b5...c12 followed by 32 zero bytes"; the bytes are
    // 48 + 16.)
    q.nonce = hex("a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393"
                  "ef0e41a18b3569ab678f1497fbc5c120"
                  "00000000000000000000000000000000");
    q.pcrs = pcrs_from_json(doc["tpm_quote"]["pcrs"]);
    out.push_back(std::move(q));
  }
  {
    const auto doc = read_json(shared("trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote-v1.json"));
    RealQuote q;
    q.name = "azure_snp_vtpm";
    q.ak = azure_ak;
    q.attest = hex(doc["message"].get<std::string>());
    q.sig = hex(doc["signature"].get<std::string>());
    q.raw_sig = true;
    q.nonce = Bytes{'c', 'h', 'a', 'l', 'l', 'e', 'n', 'g', 'e'};
    q.pcrs = pcrs_from_json(doc["pcrs"]);
    out.push_back(std::move(q));
  }
  return out;
}

std::multiset<std::string_view> ids(const QuoteVerification& v) {
  std::multiset<std::string_view> out;
  for (const auto& r : v.reasons) out.insert(r.id);
  return out;
}

std::string describe(const QuoteVerification& v) {
  std::string s;
  for (const auto& r : v.reasons) s += std::string(r.id) + ": " + r.message + "\n";
  return s;
}

class RealQuoteTest : public ::testing::TestWithParam<RealQuote> {
 protected:
  QuoteVerification verify(const PublicKey& ak, std::span<const uint8_t> attest, std::span<const uint8_t> sig,
                           std::span<const uint8_t> nonce, const PcrValues& pcrs) const {
    if (GetParam().raw_sig) {
      return verify_quote(ak, attest, raw_rsa_signature(sig, SigScheme::rsassa, HashAlg::sha256), nonce, pcrs);
    }
    return verify_quote(ak, attest, sig, nonce, pcrs);
  }
  QuoteVerification verify_with(const Bytes& attest, const Bytes& sig, const Bytes& nonce, const PcrValues& pcrs) const {
    auto ak = GetParam().ak();
    EXPECT_TRUE(ak.has_value()) << ak.error().message;
    return verify(*ak, attest, sig, nonce, pcrs);
  }
  // Offset of clockInfo in the TPMS_ATTEST: magic, type, qualifiedSigner, extraData before it.
  static size_t clock_offset(const Bytes& a) {
    const size_t signer = (static_cast<size_t>(a[6]) << 8) | a[7];
    const size_t extra_at = 8 + signer;
    const size_t extra = (static_cast<size_t>(a[extra_at]) << 8) | a[extra_at + 1];
    return extra_at + 2 + extra;
  }
};

TEST_P(RealQuoteTest, Verifies) {
  const auto& q = GetParam();
  const auto v = verify_with(q.attest, q.sig, q.nonce, q.pcrs);
  EXPECT_TRUE(v.valid) << describe(v);
  EXPECT_TRUE(v.reasons.empty());
  EXPECT_EQ(v.claims.extra_data, q.nonce);
  EXPECT_FALSE(v.claims.selections.empty());
  EXPECT_TRUE(v.claims.clock.safe);
}

TEST_P(RealQuoteTest, FlippedClockByteFailsOnlyTheSignature) {
  const auto& q = GetParam();
  Bytes attest = q.attest;
  attest[clock_offset(attest) + 7] ^= 0x01;  // lowest byte of clockInfo.clock
  EXPECT_EQ(ids(verify_with(attest, q.sig, q.nonce, q.pcrs)), (std::multiset<std::string_view>{kQuoteSignatureInvalid}));
}

TEST_P(RealQuoteTest, FlippedMagicIsBadMagicAndBadSignature) {
  const auto& q = GetParam();
  Bytes attest = q.attest;
  attest[0] ^= 0x01;
  EXPECT_EQ(ids(verify_with(attest, q.sig, q.nonce, q.pcrs)),
            (std::multiset<std::string_view>{kQuoteBadMagic, kQuoteSignatureInvalid}));
}

TEST_P(RealQuoteTest, FlippedSignatureByteFailsTheSignature) {
  const auto& q = GetParam();
  Bytes sig = q.sig;
  // The bare Azure signature is flipped at its first byte (the MANIFEST case); a TPMT_SIGNATURE
  // at its last, which is inside the RSA signature or ECDSA s.
  if (q.raw_sig) {
    sig[0] ^= 0x01;
  } else {
    sig.back() ^= 0x01;
  }
  EXPECT_EQ(ids(verify_with(q.attest, sig, q.nonce, q.pcrs)), (std::multiset<std::string_view>{kQuoteSignatureInvalid}));
}

TEST_P(RealQuoteTest, AnotherNonceIsNonceMismatch) {
  const auto& q = GetParam();
  Bytes other = q.nonce.empty() ? Bytes{0x00} : q.nonce;
  if (!q.nonce.empty()) other.back() ^= 0x80;
  const auto v = verify_with(q.attest, q.sig, other, q.pcrs);
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteNonceMismatch}));
}

TEST_P(RealQuoteTest, AlteredPcrIsDigestMismatch) {
  const auto& q = GetParam();
  const auto v0 = verify_with(q.attest, q.sig, q.nonce, q.pcrs);
  ASSERT_FALSE(v0.claims.selections.empty());
  const auto& sel = v0.claims.selections.back();
  ASSERT_FALSE(sel.pcrs.empty());
  PcrValues pcrs = q.pcrs;
  Digest& d = pcrs.at(sel.alg).at(sel.pcrs.back());
  d.mutable_bytes()[0] ^= 0x01;
  EXPECT_EQ(ids(verify_with(q.attest, q.sig, q.nonce, pcrs)), (std::multiset<std::string_view>{kQuotePcrDigestMismatch}));
}

TEST_P(RealQuoteTest, RemovedPcrIsPcrMissing) {
  const auto& q = GetParam();
  const auto v0 = verify_with(q.attest, q.sig, q.nonce, q.pcrs);
  ASSERT_FALSE(v0.claims.selections.empty());
  const auto& sel = v0.claims.selections.front();
  PcrValues pcrs = q.pcrs;
  ASSERT_EQ(pcrs.at(sel.alg).erase(sel.pcrs.front()), 1u);
  const auto v = verify_with(q.attest, q.sig, q.nonce, pcrs);
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuotePcrMissing}));
  EXPECT_NE(v.reasons.front().message.find("PCR " + std::to_string(sel.pcrs.front())), std::string::npos)
      << v.reasons.front().message;
}

TEST_P(RealQuoteTest, AnotherAkFailsTheSignature) {
  const auto& q = GetParam();
  const Pkey other = q.key_type == KeyType::rsa ? generate_rsa(2048) : generate_ec("P-256");
  const auto ak = parse_public_key_der(der_spki(other.get()));
  ASSERT_TRUE(ak.has_value());
  EXPECT_EQ(ids(verify(*ak, q.attest, q.sig, q.nonce, q.pcrs)), (std::multiset<std::string_view>{kQuoteSignatureInvalid}));
}

TEST_P(RealQuoteTest, TrailingByteIsTrailingBytesAndBadSignature) {
  const auto& q = GetParam();
  Bytes attest = q.attest;
  attest.push_back(0x00);
  const auto v = verify_with(attest, q.sig, q.nonce, q.pcrs);
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteTrailingBytes, kQuoteSignatureInvalid}));
  EXPECT_FALSE(v.valid);
}

TEST_P(RealQuoteTest, TruncatedQuoteIsMalformed) {
  const auto& q = GetParam();
  Bytes attest = q.attest;
  attest.pop_back();
  EXPECT_EQ(ids(verify_with(attest, q.sig, q.nonce, q.pcrs)),
            (std::multiset<std::string_view>{kQuoteMalformed, kQuoteSignatureInvalid}));
}

INSTANTIATE_TEST_SUITE_P(SharedTestdata, RealQuoteTest, ::testing::ValuesIn(real_quotes()),
                         [](const ::testing::TestParamInfo<RealQuote>& p) { return p.param.name; });

// Cases beyond the tampering matrix.

TEST(RealQuote, MultibankSelectionKeepsBankOrderAndAscendingPcrs) {
  const auto dir = shared("vmboot/sb-shim-grub");
  const auto attest = parse_attest(read_bytes(dir / "quote_multibank.msg"));
  ASSERT_TRUE(attest.has_value());
  const auto& quote = std::get<QuoteInfo>(attest->attested);
  const std::vector<uint32_t> zero_to_nine = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_EQ(quote.selections.size(), 2u);
  EXPECT_EQ(quote.selections[0], (PcrSelection{HashAlg::sha1, zero_to_nine}));
  EXPECT_EQ(quote.selections[1], (PcrSelection{HashAlg::sha256, zero_to_nine}));
}

TEST(RealQuote, PcrDigestUsesTheSigningHashNotTheBankHash) {
  // gce-cos-85 quotes the SHA-1 bank but signs RSASSA-SHA256: pcrDigest is SHA-256 of SHA-1 values.
  const std::string stem = "go-tpm-tools/internal/test/attestations/gce-cos-85-nonce9009";
  const auto attest = parse_attest(read_bytes(shared(stem + ".quote_sha1.attest")));
  ASSERT_TRUE(attest.has_value());
  const auto& quote = std::get<QuoteInfo>(attest->attested);
  EXPECT_EQ(quote.pcr_digest.size(), 32u);
  const auto pcrs = pcrs_from_json(read_json(shared(stem + ".quote_sha1.pcrs.json")));
  const auto digest = compute_pcr_digest(HashAlg::sha256, quote.selections, pcrs);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(to_hex(digest->bytes()), to_hex(quote.pcr_digest));
}

TEST(RealQuote, SignatureAsParsedStructureAndAsBytesGiveTheSameVerdict) {
  const auto dir = shared("vmboot/nosb-direct");
  const auto ak = load_public_key(read_bytes(dir / "ak.pub"));
  ASSERT_TRUE(ak.has_value());
  const Bytes attest = read_bytes(dir / "quote.msg");
  const Bytes sig_bytes = read_bytes(dir / "quote.sig");
  const auto sig = parse_tpmt_signature(sig_bytes);
  ASSERT_TRUE(sig.has_value());
  const auto pcrs = pcrs_from_json(read_json(dir / "pcrs.json"));
  const Bytes nonce = hex(read_text(dir / "nonce.hex"));
  EXPECT_TRUE(verify_quote(*ak, attest, *sig, nonce, pcrs).valid);
  EXPECT_TRUE(verify_quote(*ak, attest, sig_bytes, nonce, pcrs).valid);
}

TEST(RealQuote, UndecodableSignatureIsSignatureMalformedAndOtherChecksStillRun) {
  const auto dir = shared("vmboot/nosb-direct");
  const auto ak = load_public_key(read_bytes(dir / "ak.pub"));
  ASSERT_TRUE(ak.has_value());
  Bytes sig = read_bytes(dir / "quote.sig");
  sig.pop_back();
  const auto v = verify_quote(*ak, read_bytes(dir / "quote.msg"), sig, Bytes{0x01}, pcrs_from_json(read_json(dir / "pcrs.json")));
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteSignatureMalformed, kQuoteNonceMismatch}));
}

TEST(RealQuote, EveryFailureIsReportedAtOnce) {
  const auto dir = shared("vmboot/sb-shim-grub");
  const auto ak = load_public_key(read_bytes(dir / "ak.pub"));
  ASSERT_TRUE(ak.has_value());
  Bytes attest = read_bytes(dir / "quote.msg");
  attest[0] ^= 0xff;  // magic
  auto pcrs = pcrs_from_json(read_json(dir / "pcrs.json"));
  pcrs.at(HashAlg::sha256).erase(3);
  const auto v = verify_quote(*ak, attest, read_bytes(dir / "quote.sig"), Bytes{}, pcrs);
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteBadMagic, kQuoteNonceMismatch, kQuotePcrMissing,
                                                     kQuoteSignatureInvalid}));
  EXPECT_FALSE(v.valid);
}

TEST(RealQuote, CertifyCreationOfWindowsAkNamesTheAkAndVerifiesWithIt) {
  const std::string stem = "go-attestation/attest/testdata/windows_gcp_shielded_vm";
  const auto ak = parse_tpmt_public(read_bytes(shared(stem + ".ak_public.tpmt")));
  ASSERT_TRUE(ak.has_value()) << ak.error().message;
  const Bytes attest_bytes = read_bytes(shared(stem + ".ak_creation.attest"));
  const auto attest = parse_attest(attest_bytes);
  ASSERT_TRUE(attest.has_value()) << attest.error().message;
  EXPECT_EQ(attest->magic, kTpmGeneratedValue);
  EXPECT_EQ(attest->type, kStAttestCreation);
  const auto* creation = std::get_if<CreationInfo>(&attest->attested);
  ASSERT_NE(creation, nullptr);
  EXPECT_EQ(to_hex(creation->object_name), to_hex(ak->name()));
  const Bytes creation_data = read_bytes(shared(stem + ".ak_creation_data.bin"));
  EXPECT_EQ(to_hex(creation->creation_hash), to_hex(digest_of(HashAlg::sha256, creation_data)));
  const auto sig = parse_tpmt_signature(read_bytes(shared(stem + ".ak_creation.sig")));
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(verify_signature(*ak, attest_bytes, *sig).has_value());
  // The certify-creation structure is not a quote.
  const auto v = verify_quote(*ak, attest_bytes, *sig, attest->extra_data, {});
  EXPECT_EQ(ids(v), (std::multiset<std::string_view>{kQuoteWrongType}));
}

TEST(RealQuote, KeylimePcrFileHashesToTheQuotedDigest) {
  // keylime's canned quote: pcrDigest = SHA256(PCR15 || PCR16 || PCR22) = ec1636c6...
  const auto pcrs = parse_tpm2_tools_pcr_file(read_bytes(shared("keylime/test-data/files/quotepcr.out")));
  ASSERT_TRUE(pcrs.has_value()) << pcrs.error().message;
  const auto attest = parse_attest(read_bytes(shared("keylime/test-data/files/quote.out")));
  ASSERT_TRUE(attest.has_value()) << attest.error().message;
  const auto& quote = std::get<QuoteInfo>(attest->attested);
  EXPECT_EQ(quote.selections, (std::vector<PcrSelection>{{HashAlg::sha256, {15, 16, 22}}}));
  EXPECT_TRUE(to_hex(quote.pcr_digest).starts_with("ec1636c6"));
  const auto digest = compute_pcr_digest(HashAlg::sha256, quote.selections, *pcrs);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(to_hex(digest->bytes()), to_hex(quote.pcr_digest));
  const auto ak = load_public_key(read_bytes(shared("keylime/test-data/files/ak.pub")));
  ASSERT_TRUE(ak.has_value());
  const auto v = verify_quote(*ak, read_bytes(shared("keylime/test-data/files/quote.out")),
                              read_bytes(shared("keylime/test-data/files/quotesig.out")), attest->extra_data, *pcrs);
  EXPECT_TRUE(v.valid) << describe(v);
}

}  // namespace
}  // namespace attestd::evidence::tpm
