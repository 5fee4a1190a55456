// The verified event-log cache: a hit returns exactly what verifying the bytes again would, a
// different byte is a different log, bad logs are never cached, and both bounds evict.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "verified_log_cache.h"

namespace attestd::service {
namespace {

std::vector<uint8_t> read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<uint8_t> vmboot(const char* boot) {
  auto bytes = read(std::filesystem::path(ATTESTD_SHARED_TESTDATA) / "vmboot" / boot / "eventlog.bin");
  EXPECT_FALSE(bytes.empty()) << boot;
  return bytes;
}

LogDigest digest_of(std::span<const uint8_t> bytes) {
  LogDigest d{};
  SHA256(bytes.data(), bytes.size(), d.data());
  return d;
}

std::vector<std::string> ids(const std::vector<evidence::Error>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.emplace_back(e.id);
  return out;
}

void expect_same(const VerifiedLog& a, const VerifiedLog& b) {
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.log.events.size(), b.log.events.size());
  EXPECT_EQ(a.replay.pcrs, b.replay.pcrs);
  EXPECT_EQ(a.replay.touched, b.replay.touched);
  EXPECT_EQ(ids(a.replay.reasons), ids(b.replay.reasons));
  EXPECT_EQ(ids(a.digest_reasons), ids(b.digest_reasons));
}

TEST(VerifiedLogCache, AHitReturnsWhatVerifyingAgainWouldAndPointsIntoItsOwnBytes) {
  VerifiedLogCache cache(8, 1 << 20);
  auto bytes = vmboot("sb-shim-grub");
  auto first = cache.get(bytes, digest_of(bytes));
  ASSERT_TRUE(first.has_value());
  // The request's buffer goes away; the cached events must not point into it.
  std::vector<uint8_t> copy = bytes;
  std::fill(bytes.begin(), bytes.end(), 0);
  auto second = cache.get(copy, digest_of(copy));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->get(), second->get());
  auto fresh = verify_log(copy);
  ASSERT_TRUE(fresh.has_value());
  expect_same(**second, **fresh);
  for (const auto& e : (*second)->log.events) {
    EXPECT_GE(e.data.data(), (*second)->bytes.data());
    EXPECT_LE(e.data.data() + e.data.size(), (*second)->bytes.data() + (*second)->bytes.size());
  }
  EXPECT_TRUE((*second)->digest_reasons.empty());
  EXPECT_EQ(cache.stats().hits, 1U);
  EXPECT_EQ(cache.stats().misses, 1U);
}

TEST(VerifiedLogCache, OneChangedByteIsADifferentLogWithItsOwnReasons) {
  VerifiedLogCache cache(8, 1 << 20);
  auto good = vmboot("sb-shim-grub");
  ASSERT_TRUE(cache.get(good, digest_of(good)).has_value());
  // Flip a byte of the last event's data (EV_EFI_ACTION "Exit Boot Services Returned with
  // Success", whose digest is the hash of its text): it still parses, but its digest no longer
  // matches, which the good log's cached result would hide.
  auto bad = good;
  bad[bad.size() - 1] ^= 0x01;
  auto tampered = cache.get(bad, digest_of(bad));
  ASSERT_TRUE(tampered.has_value());
  auto fresh = verify_log(bad);
  ASSERT_TRUE(fresh.has_value());
  expect_same(**tampered, **fresh);
  EXPECT_FALSE((*tampered)->digest_reasons.empty());
  EXPECT_EQ(cache.stats().misses, 2U);
  EXPECT_EQ(cache.stats().entries, 2U);
}

TEST(VerifiedLogCache, ALogThatDoesNotParseIsRefusedEveryTimeAndNeverCached) {
  VerifiedLogCache cache(8, 1 << 20);
  auto bytes = vmboot("nosb-direct");
  bytes.resize(bytes.size() / 2 + 3);  // cut mid-event
  for (int i = 0; i < 2; ++i) {
    auto r = cache.get(bytes, digest_of(bytes));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(std::string(r.error().id), std::string(verify_log(bytes).error().id));
  }
  EXPECT_EQ(cache.stats().entries, 0U);
  EXPECT_EQ(cache.stats().hits, 0U);
}

TEST(VerifiedLogCache, TheEntryBoundEvictsTheLeastRecentlyUsed) {
  VerifiedLogCache cache(2, 1 << 20);
  auto a = vmboot("nosb-direct");
  auto b = vmboot("nosb-direct-cmdline2");
  auto c = vmboot("sb-shim-grub");
  ASSERT_TRUE(cache.get(a, digest_of(a)));
  ASSERT_TRUE(cache.get(b, digest_of(b)));
  ASSERT_TRUE(cache.get(a, digest_of(a)));  // a is now the most recent
  ASSERT_TRUE(cache.get(c, digest_of(c)));  // evicts b
  EXPECT_EQ(cache.stats().entries, 2U);
  const auto hits = cache.stats().hits;
  ASSERT_TRUE(cache.get(a, digest_of(a)));
  EXPECT_EQ(cache.stats().hits, hits + 1);
  ASSERT_TRUE(cache.get(b, digest_of(b)));
  EXPECT_EQ(cache.stats().hits, hits + 1);  // b was evicted: a miss
}

TEST(VerifiedLogCache, TheByteBoundEvictsAndAnOversizedLogIsNotKept) {
  auto a = vmboot("nosb-direct");
  auto c = vmboot("sb-shim-grub");
  VerifiedLogCache cache(100, a.size() + c.size() - 1);
  ASSERT_TRUE(cache.get(a, digest_of(a)));
  ASSERT_TRUE(cache.get(c, digest_of(c)));  // together above the bound: a goes
  EXPECT_EQ(cache.stats().entries, 1U);
  EXPECT_LE(cache.stats().bytes, a.size() + c.size() - 1);

  VerifiedLogCache tiny(100, 100);
  ASSERT_TRUE(tiny.get(a, digest_of(a)));
  EXPECT_EQ(tiny.stats().entries, 0U);
  VerifiedLogCache off(0, 1 << 20);
  ASSERT_TRUE(off.get(a, digest_of(a)));
  EXPECT_EQ(off.stats().entries, 0U);
}

}  // namespace
}  // namespace attestd::service
