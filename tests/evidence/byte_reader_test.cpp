#include "attestd/evidence/byte_reader.h"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace attestd::evidence {
namespace {

constexpr std::array<uint8_t, 8> kBytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

TEST(ByteReader, ReadsLittleAndBigEndianIntegers) {
  ByteReader r(kBytes);
  uint16_t a = 0;
  uint32_t b = 0;
  uint16_t c = 0;
  ASSERT_TRUE(r.read_u16_le(a));
  ASSERT_TRUE(r.read_u32_be(b));
  ASSERT_TRUE(r.read_u16_be(c));
  EXPECT_EQ(a, 0x0201);
  EXPECT_EQ(b, 0x03040506u);
  EXPECT_EQ(c, 0x0708);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, ReadsSixtyFourBitIntegers) {
  ByteReader le(kBytes);
  ByteReader be(kBytes);
  uint64_t x = 0;
  uint64_t y = 0;
  ASSERT_TRUE(le.read_u64_le(x));
  ASSERT_TRUE(be.read_u64_be(y));
  EXPECT_EQ(x, 0x0807060504030201ull);
  EXPECT_EQ(y, 0x0102030405060708ull);
}

TEST(ByteReader, FailedReadLeavesPositionUnchanged) {
  ByteReader r(std::span<const uint8_t>(kBytes).first(3));
  uint32_t v = 0xdeadbeef;
  EXPECT_FALSE(r.read_u32_le(v));
  EXPECT_EQ(v, 0xdeadbeefu);
  EXPECT_EQ(r.position(), 0u);
  std::span<const uint8_t> out;
  EXPECT_FALSE(r.read_bytes(4, out));
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(ByteReader, HugeLengthDoesNotOverflowTheBoundsCheck) {
  ByteReader r(kBytes);
  ASSERT_TRUE(r.skip(2));
  std::span<const uint8_t> out;
  EXPECT_FALSE(r.read_bytes(std::numeric_limits<size_t>::max(), out));
  EXPECT_FALSE(r.skip(std::numeric_limits<size_t>::max() - 1));
  EXPECT_EQ(r.position(), 2u);
}

TEST(ByteReader, SubReaderCannotReadPastItsParentSlice) {
  ByteReader r(kBytes);
  ByteReader child;
  ASSERT_TRUE(r.read_sub(3, child));
  uint32_t v = 0;
  EXPECT_FALSE(child.read_u32_le(v));
  uint8_t b = 0;
  ASSERT_TRUE(child.read_u8(b));
  EXPECT_EQ(b, 0x01);
  EXPECT_EQ(r.position(), 3u);
  ASSERT_TRUE(r.read_u8(b));
  EXPECT_EQ(b, 0x04);
}

TEST(ByteReader, PeekDoesNotMove) {
  ByteReader r(kBytes);
  std::span<const uint8_t> out;
  ASSERT_TRUE(r.peek_bytes(2, out));
  EXPECT_EQ(out[1], 0x02);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_FALSE(r.peek_bytes(9, out));
}

}  // namespace
}  // namespace attestd::evidence
