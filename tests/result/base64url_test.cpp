#include "attestd/result/base64url.h"

#include <gtest/gtest.h>

#include "attestd/result/reasons.h"
#include "test_util.h"

namespace attestd::result {
namespace {

using testing::bytes;

// RFC 4648 §10 test vectors, without padding.
TEST(Base64url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(std::string_view("")), "");
  EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url_encode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url_encode(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(base64url_encode(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(base64url_encode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64url, UsesTheUrlSafeAlphabet) {
  const std::vector<uint8_t> data{0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url_encode(data), "-_-_");
  EXPECT_EQ(*base64url_decode("-_-_"), data);
}

TEST(Base64url, RoundTripsEveryLength) {
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + n);
    const auto text = base64url_encode(data);
    EXPECT_EQ(text.find('='), std::string::npos);
    const auto back = base64url_decode(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, data);
  }
}

TEST(Base64url, shouldRejectPadding) {
  const auto r = base64url_decode("Zg==");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kBase64urlInvalid);
}

TEST(Base64url, shouldRejectStandardAlphabetAndWhitespace) {
  EXPECT_FALSE(base64url_decode("+/+/"));
  EXPECT_FALSE(base64url_decode("Zm9v Yg"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
}

TEST(Base64url, shouldRejectImpossibleLength) {
  const auto r = base64url_decode("Zm9vY");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, kBase64urlInvalid);
}

TEST(Base64url, shouldRejectNonZeroUnusedBitsSoEncodingIsUnique) {
  // "Zh" and "Zg" would both decode to "f"; only "Zg" is canonical (RFC 4648 §3.5).
  EXPECT_EQ(*base64url_decode("Zg"), bytes("f"));
  EXPECT_FALSE(base64url_decode("Zh"));
  EXPECT_EQ(*base64url_decode("Zm8"), bytes("fo"));
  EXPECT_FALSE(base64url_decode("Zm9"));
}

}  // namespace
}  // namespace attestd::result
