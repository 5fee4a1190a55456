#include "attestd/evidence/hash.h"

#include <gtest/gtest.h>

#include <string_view>

namespace attestd::evidence {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Hash, KnownAnswersForEverySupportedBank) {
  EXPECT_EQ(hash(HashAlg::sha1, as_bytes("abc")).hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hash(HashAlg::sha256, as_bytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash(HashAlg::sha384, as_bytes("abc")).size(), 48u);
  EXPECT_EQ(hash(HashAlg::sha512, as_bytes("abc")).size(), 64u);
  EXPECT_EQ(hash(HashAlg::sm3_256, as_bytes("abc")).hex(),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST(Hash, ExtendIsHashOfOldValueThenDigest) {
  const Digest zero = Digest::zeros(32);
  const Digest d = hash(HashAlg::sha256, as_bytes("event"));
  Hasher h(HashAlg::sha256);
  h.update(zero.bytes());
  h.update(d.bytes());
  EXPECT_EQ(extend(HashAlg::sha256, zero, d.bytes()), h.finish());
}

TEST(Hex, RoundTripsAndRejectsBadInput) {
  auto bytes = from_hex("0x00ff10Ab");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(to_hex(*bytes), "00ff10ab");
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
}

TEST(HashAlgNames, MapBothWays) {
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512, HashAlg::sm3_256}) {
    EXPECT_EQ(hash_alg_from_name(hash_alg_name(alg)), alg);
    EXPECT_EQ(hash_alg_from_tpm_id(static_cast<uint16_t>(alg)), alg);
  }
  EXPECT_FALSE(hash_alg_from_tpm_id(0x0001).has_value());
  EXPECT_FALSE(hash_alg_from_name("md5").has_value());
}

}  // namespace
}  // namespace attestd::evidence
