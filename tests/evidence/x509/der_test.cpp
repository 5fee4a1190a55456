// The DER TLV reader refuses what DER forbids (X.690 10.1) and reads the rest exactly.
#include "der.h"

#include <gtest/gtest.h>

namespace attestd::evidence::x509::der {
namespace {

bool reads(std::vector<uint8_t> bytes) {
  ByteReader r(bytes);
  Tlv tlv;
  return read_tlv(r, tlv) && r.empty();
}

TEST(DerTest, readsShortAndLongForms) {
  EXPECT_TRUE(reads({0x04, 0x00}));
  EXPECT_TRUE(reads({0x04, 0x01, 0xAA}));
  std::vector<uint8_t> long_form = {0x04, 0x81, 0x80};
  long_form.resize(3 + 0x80, 0);
  EXPECT_TRUE(reads(long_form));
}

TEST(DerTest, rejectsWhatDerForbids) {
  EXPECT_FALSE(reads({0x04, 0x80}));               // indefinite length
  EXPECT_FALSE(reads({0x04, 0x81, 0x01, 0xAA}));   // long form for a short length
  EXPECT_FALSE(reads({0x04, 0x82, 0x00, 0x80}));   // leading zero length octet
  EXPECT_FALSE(reads({0x1F, 0x01, 0x00}));         // high tag number form
  EXPECT_FALSE(reads({0x04, 0x85, 1, 0, 0, 0, 0}));  // more than 4 length octets
  EXPECT_FALSE(reads({0x04, 0x02, 0xAA}));         // length past the end
  EXPECT_FALSE(reads({0x04}));
}

TEST(DerTest, failedReadLeavesPositionUnchanged) {
  const std::vector<uint8_t> bytes = {0x04, 0x05, 0x00};
  ByteReader r(bytes);
  Tlv tlv;
  EXPECT_FALSE(read_tlv(r, tlv));
  EXPECT_EQ(r.position(), 0u);
  ByteReader content;
  const std::vector<uint8_t> octet = {0x04, 0x00};
  ByteReader r2(octet);
  EXPECT_FALSE(read_expected(r2, kTagSequence, content));
  EXPECT_EQ(r2.position(), 0u);
}

TEST(DerTest, smallUintIsMinimalAndNonNegative) {
  uint64_t v = 0;
  const std::vector<uint8_t> one = {0x01};
  EXPECT_TRUE(read_small_uint(ByteReader(one), v));
  EXPECT_EQ(v, 1u);
  const std::vector<uint8_t> padded = {0x00, 0x80};
  EXPECT_TRUE(read_small_uint(ByteReader(padded), v));
  EXPECT_EQ(v, 0x80u);
  const std::vector<uint8_t> non_minimal = {0x00, 0x01};
  EXPECT_FALSE(read_small_uint(ByteReader(non_minimal), v));
  const std::vector<uint8_t> negative = {0x80};
  EXPECT_FALSE(read_small_uint(ByteReader(negative), v));
  EXPECT_FALSE(read_small_uint(ByteReader(), v));
  const std::vector<uint8_t> nine = {0x01, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(read_small_uint(ByteReader(nine), v));
}

}  // namespace
}  // namespace attestd::evidence::x509::der
