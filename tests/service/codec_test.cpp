#include "codec.h"

#include <gtest/gtest.h>

#include <string>

namespace attestd::service {
namespace {

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Base64, DecodesTheRfc4648TestVectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"Zg==", "f"},         {"Zm8=", "fo"},        {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}};
  for (const auto& [encoded, plain] : vectors) {
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes(plain)) << encoded;
    EXPECT_EQ(base64_encode(bytes(plain)), encoded);
  }
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  for (size_t n = 0; n <= all.size(); n += 7) {
    const Bytes part(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(base64_decode(base64_encode(part)), part) << n;
  }
}

TEST(Base64, RefusesEverythingButTheCanonicalStandardForm) {
  for (std::string_view bad : {"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm9v\n", "Zm-v", "Zm_v",
                               "Zm9 v", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(BytesField, TakesCborBytesOrBase64AndNamesTheFieldWhenWrong) {
  nlohmann::json j = {{"b64", "AAEC"}, {"num", 3}, {"bad", "AA="}};
  j["bin"] = nlohmann::json::binary({1, 2, 3});
  EXPECT_EQ(**bytes_field(j, "b64", true), (Bytes{0, 1, 2}));
  EXPECT_EQ(**bytes_field(j, "bin", true), (Bytes{1, 2, 3}));
  EXPECT_FALSE(bytes_field(j, "absent", false)->has_value());
  for (const char* key : {"absent", "num", "bad"}) {
    const auto r = bytes_field(j, key, true);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().status, 400);
    EXPECT_NE(r.error().detail.find(key), std::string::npos) << r.error().detail;
  }
}

}  // namespace
}  // namespace attestd::service
