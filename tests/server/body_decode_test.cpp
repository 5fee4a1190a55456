// Request::body_json: one model for JSON and CBOR, and the nesting guard in front of both.
#include <gtest/gtest.h>

#include "attestd/server/request.h"

namespace attestd::server {
namespace {

using nlohmann::json;

Request with_body(std::string type, std::string body) {
  Request r;
  r.content_type = std::move(type);
  r.body = std::move(body);
  r.max_nesting_depth = 8;
  return r;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

std::string reason(const std::expected<json, Problem>& r) { return r ? "" : r.error().reasons.at(0).id; }

TEST(BodyDecode, JsonAndCborGiveTheSameModel) {
  json doc = {{"a", {1, 2, {{"b", nullptr}}}}, {"s", "text"}, {"f", 1.5}, {"neg", -3}};
  std::vector<uint8_t> cbor = json::to_cbor(doc);
  EXPECT_EQ(with_body("application/json", doc.dump()).body_json().value(), doc);
  EXPECT_EQ(with_body("application/cbor", std::string(cbor.begin(), cbor.end())).body_json().value(), doc);
  EXPECT_EQ(with_body("application/merge-patch+json", "{}").body_json().value(), json::object());
}

TEST(BodyDecode, CborByteStringsBecomeBinary) {
  auto r = with_body("application/cbor", bytes({0xA1, 0x61, 'q', 0x43, 1, 2, 3})).body_json();
  ASSERT_TRUE(r);
  ASSERT_TRUE((*r)["q"].is_binary());
  EXPECT_EQ(static_cast<const std::vector<uint8_t>&>((*r)["q"].get_binary()), (std::vector<uint8_t>{1, 2, 3}));
}

TEST(BodyDecode, IndefiniteLengthsAreAccepted) {
  // [_ "a", (_ h'01' h'02'), {_ "k": 1}]
  auto r = with_body("application/cbor",
                     bytes({0x9F, 0x61, 'a', 0x5F, 0x41, 1, 0x41, 2, 0xFF, 0xBF, 0x61, 'k', 0x01, 0xFF, 0xFF}))
               .body_json();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ((*r)[0], "a");
  EXPECT_EQ(static_cast<const std::vector<uint8_t>&>((*r)[1].get_binary()), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ((*r)[2], json({{"k", 1}}));
}

TEST(BodyDecode, NestingBeyondTheLimitIsRefusedBeforeDecoding) {
  EXPECT_TRUE(with_body("application/json", "[[[[[[[[1]]]]]]]]").body_json());
  EXPECT_EQ(reason(with_body("application/json", "[[[[[[[[[1]]]]]]]]]").body_json()), "http.body.too_deep");
  // Brackets inside strings do not count.
  EXPECT_TRUE(with_body("application/json", R"(["[[[[[[[[[[[[\"[[[["])").body_json());
  EXPECT_EQ(reason(with_body("application/cbor", std::string(9, '\x81') + '\x01').body_json()), "http.body.too_deep");
  EXPECT_TRUE(with_body("application/cbor", std::string(8, '\x81') + '\x01').body_json());
  // Tags nest too.
  EXPECT_EQ(reason(with_body("application/cbor", std::string(9, '\xC1') + '\x01').body_json()), "http.body.too_deep");
  // A million levels: refused without recursion.
  EXPECT_EQ(reason(with_body("application/cbor", std::string(1'000'000, '\x9F')).body_json()), "http.body.too_deep");
  EXPECT_EQ(reason(with_body("application/json", std::string(1'000'000, '[')).body_json()), "http.body.too_deep");
}

TEST(BodyDecode, MalformedCborIsRefused) {
  for (const std::string& b : {std::string(), bytes({0x82, 0x01}),                     // truncated array
                               bytes({0x01, 0x02}),                                    // trailing item
                               bytes({0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),  // absurd count
                               bytes({0x5A, 0xFF, 0xFF, 0xFF, 0xFF}),                  // string past the end
                               bytes({0xFF}),                                          // stray break
                               bytes({0x1C}),                                          // reserved info
                               bytes({0x5F, 0x61, 'a', 0xFF}),                         // text chunk in bytes
                               bytes({0x1F})}) {                                       // indefinite int
    EXPECT_EQ(reason(with_body("application/cbor", b).body_json()), "http.body.malformed_cbor");
  }
  // Well-formed but tagged: nlohmann refuses tags, so do we.
  EXPECT_EQ(reason(with_body("application/cbor", bytes({0xC1, 0x01})).body_json()), "http.body.malformed_cbor");
}

TEST(BodyDecode, MalformedJsonAndWrongTypes) {
  EXPECT_EQ(reason(with_body("application/json", "{").body_json()), "http.body.malformed_json");
  EXPECT_EQ(reason(with_body("application/json", "\"\xff\"").body_json()), "http.body.malformed_json");
  auto r = with_body("text/plain", "x").body_json();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 415);
  EXPECT_EQ(with_body("", "").body_json().error().status, 415);
}

}  // namespace
}  // namespace attestd::server
