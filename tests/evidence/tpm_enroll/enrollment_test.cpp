// AK and EK attribute checks for enrollment, each reason asserted exactly on keys re-marshalled with
// Tss2_MU from real swtpm AKs and EKs, and the constant-time comparison of the recovered secret.
#include "attestd/evidence/tpm/enrollment.h"

#include <gtest/gtest.h>

#include "attestd/evidence/tpm/enroll_reasons.h"
#include "enroll_test_util.h"

namespace attestd::evidence::tpm {
namespace {

using namespace enroll_testing;

std::vector<std::string_view> ids(const KeyCheck& c) {
  std::vector<std::string_view> out;
  for (const Error& e : c.reasons) out.push_back(e.id);
  return out;
}

// The real AK of a vmboot folder (tpm2_createak inside the guest), with attributes changed.
PublicKey ak_with(const char* file, uint32_t set, uint32_t clear, std::optional<uint16_t> name_alg = std::nullopt) {
  TPMT_PUBLIC p = unmarshal_tpm2b_public(read_bytes(shared(file)));
  p.objectAttributes = (p.objectAttributes | set) & ~clear;
  if (name_alg) p.nameAlg = *name_alg;
  auto key = parse_tpm2b_public(marshal_tpm2b_public(p));
  if (!key) throw std::runtime_error(key.error().message);
  return std::move(*key);
}

TEST(CheckAttestationKey, AcceptsTheAksTpm2CreateakMade) {
  for (const char* f : {"vmboot/nosb-direct/ak.pub", "vmboot/nosb-direct/ak_ecc.pub", "vmboot/sb-shim-grub/ak.pub"}) {
    auto ak = parse_tpm2b_public(read_bytes(shared(f)));
    ASSERT_TRUE(ak.has_value()) << f;
    EXPECT_EQ(*ak->object_attributes(), kTpm2ToolsAkAttributes) << f;
    const KeyCheck c = check_attestation_key(*ak);
    EXPECT_TRUE(c.valid) << f;
    EXPECT_TRUE(c.reasons.empty()) << f;
  }
}

struct AttrCase {
  const char* what;
  uint32_t set, clear;
  std::vector<std::string_view> reasons;
};

class AkAttribute : public ::testing::TestWithParam<AttrCase> {};

TEST_P(AkAttribute, HasItsOwnReason) {
  for (const char* f : {"vmboot/nosb-direct/ak.pub", "vmboot/nosb-direct/ak_ecc.pub"}) {
    const PublicKey ak = ak_with(f, GetParam().set, GetParam().clear);
    const KeyCheck c = check_attestation_key(ak);
    EXPECT_FALSE(c.valid) << f;
    EXPECT_EQ(ids(c), GetParam().reasons) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Tpma, AkAttribute,
    ::testing::Values(AttrCase{"not_restricted", 0, kObjectRestricted, {kAkNotRestricted}},
                      AttrCase{"not_sign", 0, kObjectSign, {kAkNotSign}},
                      AttrCase{"decrypt", kObjectDecrypt, 0, {kAkDecrypt}},
                      AttrCase{"not_fixed_tpm", 0, kObjectFixedTpm, {kAkNotFixed}},
                      AttrCase{"not_fixed_parent", 0, kObjectFixedParent, {kAkNotFixed}},
                      AttrCase{"not_sensitive_data_origin", 0, kObjectSensitiveDataOrigin, {kAkNotSensitiveDataOrigin}},
                      // An unrestricted decryption key that can leave the TPM: every reason, in order.
                      AttrCase{"everything_wrong", kObjectDecrypt,
                               kObjectRestricted | kObjectSign | kObjectFixedTpm | kObjectSensitiveDataOrigin,
                               {kAkNotRestricted, kAkNotSign, kAkDecrypt, kAkNotFixed, kAkNotSensitiveDataOrigin}}),
    [](const auto& p) { return std::string(p.param.what); });

TEST(CheckAttestationKey, DoesNotJudgeUserWithAuthOrAdminWithPolicy) {
  EXPECT_TRUE(check_attestation_key(ak_with("vmboot/nosb-direct/ak.pub", 0, kObjectUserWithAuth)).valid);
  EXPECT_TRUE(check_attestation_key(ak_with("vmboot/nosb-direct/ak.pub", kObjectAdminWithPolicy, 0)).valid);
}

TEST(CheckAttestationKey, RefusesAnAkWithoutName) {
  const PublicKey ak = ak_with("vmboot/nosb-direct/ak.pub", 0, 0, TPM2_ALG_NULL);
  EXPECT_EQ(ids(check_attestation_key(ak)), std::vector<std::string_view>{kAkNoNameAlg});
}

TEST(CheckAttestationKey, RefusesAPemKey) {
  auto ak = parse_public_key_pem(read_text(shared("vmboot/nosb-direct/ak.pem")));
  ASSERT_TRUE(ak.has_value());
  EXPECT_EQ(ids(check_attestation_key(*ak)), std::vector<std::string_view>{kAkNotTpmPublic});
}

TEST(CheckEndorsementKey, AcceptsTheSwtpmEks) {
  for (const char* f : {"vmboot/nosb-direct/ek.pub", "vmboot/nosb-direct/ek_ecc.pub"}) {
    auto ek = parse_ek_public(read_bytes(shared(f)));
    ASSERT_TRUE(ek.has_value()) << f;
    EXPECT_TRUE(check_endorsement_key(*ek).valid) << f;
  }
}

TEST(CheckEndorsementKey, RefusesAnEkThatCouldLeaveTheTpm) {
  for (uint32_t clear : {kObjectFixedTpm, kObjectFixedParent}) {
    TPMT_PUBLIC p = unmarshal_tpm2b_public(read_bytes(shared("vmboot/nosb-direct/ek.pub")));
    p.objectAttributes &= ~clear;
    auto ek = parse_ek_public(marshal_tpm2b_public(p));
    ASSERT_TRUE(ek.has_value());
    EXPECT_EQ(ids(check_endorsement_key(*ek)), std::vector<std::string_view>{kEkNotFixed});
  }
}

TEST(CheckActivation, AcceptsOnlyTheExactSecret) {
  const Bytes secret = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_TRUE(check_activation(secret, secret).has_value());
  Bytes flipped = secret;
  flipped[31] ^= 0x80;
  const Bytes shorter(secret.begin(), secret.end() - 1);
  Bytes longer = secret;
  longer.push_back(0);
  const Bytes empty;
  for (const Bytes* presented : std::vector<const Bytes*>{&flipped, &shorter, &longer, &empty}) {
    const auto r = check_activation(secret, *presented);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().id, kActivationMismatch);
  }
  // An empty expected secret never matches, not even an empty answer.
  EXPECT_FALSE(check_activation(empty, empty).has_value());
}

}  // namespace
}  // namespace attestd::evidence::tpm
