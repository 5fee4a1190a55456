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

TEST(BodyDecode, NestingBeyondTheLimitIsRefusedWithoutRecursion) {
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
  // JSON: balanced, it is too deep; unbalanced, simdjson's structural pass calls it malformed
  // before any depth is reached. Either way without recursion.
  EXPECT_EQ(reason(with_body("application/json", std::string(500'000, '[') + std::string(500'000, ']')).body_json()),
            "http.body.too_deep");
  EXPECT_EQ(reason(with_body("application/json", std::string(1'000'000, '[')).body_json()), "http.body.malformed_json");
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

TEST(BodyDecode, JsonDuplicateKeysAreRefusedAtEveryLevel) {
  // Two readers of one body must never see different values: no "last one wins".
  for (const char* body : {R"({"a": 1, "a": 2})", R"({"x": {"k": "1", "k": "1"}})", R"([{"q": 1, "q": 1}])"}) {
    auto r = with_body("application/json", body).body_json();
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(reason(r), "http.body.malformed_json") << body;
    EXPECT_NE(r.error().detail.find("duplicate key"), std::string::npos) << r.error().detail;
  }
  EXPECT_TRUE(with_body("application/json", R"({"a": {"k": 1}, "b": {"k": 1}})").body_json());
}

TEST(BodyDecode, JsonValuesKeepTheirTypes) {
  auto r = with_body("application/json",
                     R"({"i": -9223372036854775808, "u": 18446744073709551615, "d": 0.5, "e": 1e3, "t": true,)"
                     R"( "n": null, "s": "\u00e9\n\"", "a": [], "o": {}})")
               .body_json();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE((*r)["i"].is_number_integer());
  // The same integer model as nlohmann's own parser: non-negative integers are unsigned.
  EXPECT_EQ(with_body("application/json", R"({"v": 1, "w": -1})").body_json().value(), json::parse(R"({"v": 1, "w": -1})"));
  EXPECT_TRUE(with_body("application/json", R"({"v": 1})").body_json().value()["v"].is_number_unsigned());
  EXPECT_EQ((*r)["i"].get<int64_t>(), INT64_MIN);
  EXPECT_EQ((*r)["u"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ((*r)["d"].get<double>(), 0.5);
  EXPECT_EQ((*r)["e"].get<double>(), 1000.0);
  EXPECT_EQ((*r)["t"], true);
  EXPECT_TRUE((*r)["n"].is_null());
  EXPECT_EQ((*r)["s"], "\u00e9\n\"");
  EXPECT_EQ((*r)["a"], json::array());
  EXPECT_EQ((*r)["o"], json::object());
  // Integers beyond 64 bits are not silently turned into doubles.
  EXPECT_EQ(reason(with_body("application/json", R"({"big": 18446744073709551616})").body_json()),
            "http.body.malformed_json");
}

TEST(BodyDecode, LargeJsonBodiesParseLikeSmallOnes) {
  // Beyond the per-thread parser's capacity a body gets its own parser: same result.
  const std::string big(300'000, 'A');
  auto r = with_body("application/json", R"({"event_log": ")" + big + R"(", "n": 1})").body_json();
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ((*r)["event_log"].get_ref<const std::string&>().size(), big.size());
  // And a small one on the same thread afterwards still works.
  EXPECT_EQ(with_body("application/json", R"({"n": 2})").body_json().value()["n"], 2);
}

TEST(BodyDecode, MalformedJsonAndWrongTypes) {
  EXPECT_EQ(reason(with_body("application/json", "{").body_json()), "http.body.malformed_json");
  EXPECT_EQ(reason(with_body("application/json", "\"\xff\"").body_json()), "http.body.malformed_json");
  for (const char* b : {"", " ", "{} {}", "{\"a\": 1,}", "[1 2]", "{\"a\" 1}", "nul", "01", "\"\\x\"", "'a'"}) {
    EXPECT_EQ(reason(with_body("application/json", b).body_json()), "http.body.malformed_json") << b;
  }
  auto r = with_body("text/plain", "x").body_json();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 415);
  EXPECT_EQ(with_body("", "").body_json().error().status, 415);
}

}  // namespace
}  // namespace attestd::server
