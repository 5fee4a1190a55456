#include "attestd/result/binding.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace attestd::result {
namespace {

using testing::counting_nonce;
using testing::from_hex;

TEST(Binding, WithoutAKeyIsTheNonceItself) {
  const auto nonce = counting_nonce();
  EXPECT_EQ(binding(nonce), nonce);
  EXPECT_EQ(binding(nonce, nullptr), nonce);
}

// Known answer computed independently: sha256(bytes(range(32)) + b64decode(RFC 7638 thumbprint)).
TEST(Binding, IsSha256OfNonceAndRawRfc7638Thumbprint) {
  const auto key = parse_public_jwk(testing::kRfc7638Jwk);
  ASSERT_TRUE(key);
  const auto nonce = counting_nonce();
  const auto expected = from_hex("2842fd07e63140b275c303c8cd485667e341ca508f91d94482df77e1d139c813");
  EXPECT_EQ(binding(nonce, *key), expected);
  EXPECT_EQ(binding(nonce, &*key), expected);
}

TEST(Binding, ChangesWhenTheKeyChanges) {
  const auto a = parse_public_jwk(testing::kRfc7638Jwk);
  const auto b = parse_public_jwk(testing::kRfc7517EcJwk);
  ASSERT_TRUE(a && b);
  EXPECT_NE(binding(counting_nonce(), *a), binding(counting_nonce(), *b));
}

}  // namespace
}  // namespace attestd::result
