// The key-encryption key file and the sealing of stored secrets.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "attestd/broker/kek.h"
#include "store_fixture.h"

namespace attestd::broker {
namespace {

namespace fs = std::filesystem;
using store::testing::TempDir;

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(KekTest, FirstStartCreatesA32ByteOwnerOnlyFileAndLaterStartsLoadIt) {
  TempDir dir;
  const fs::path path = dir.path() / kKekFileName;
  auto created = Kek::load_or_create(path);
  ASSERT_TRUE(created) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto loaded = Kek::load_or_create(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->id(), created->id());
  // Same key: what one seals the other opens.
  const auto sealed = created->seal({"t", "k", 1}, bytes("secret"));
  ASSERT_TRUE(sealed);
  EXPECT_TRUE(loaded->open({"t", "k", 1}, sealed->nonce, sealed->ciphertext));
}

class KekPermissionTest : public ::testing::TestWithParam<mode_t> {};

TEST_P(KekPermissionTest, shouldRefuseToLoadBecauseGroupOrOthersHaveAccess) {
  TempDir dir;
  const fs::path path = dir.path() / kKekFileName;
  ASSERT_TRUE(Kek::load_or_create(path));
  ASSERT_EQ(::chmod(path.c_str(), GetParam()), 0);
  auto loaded = Kek::load_or_create(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().id, kKekInsecure);
}

INSTANTIATE_TEST_SUITE_P(Modes, KekPermissionTest, ::testing::Values(0640, 0604, 0660, 0644, 0602, 0620, 0601));

TEST(KekTest, shouldRefuseBecauseTheFileIsASymlink) {
  TempDir dir;
  const fs::path real = dir.path() / "real";
  ASSERT_TRUE(Kek::load_or_create(real));
  const fs::path link = dir.path() / kKekFileName;
  fs::create_symlink(real, link);
  auto loaded = Kek::load_or_create(link);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().id, kKekIo);  // O_NOFOLLOW: ELOOP
}

TEST(KekTest, shouldRefuseBecauseTheFileIsNot32Bytes) {
  TempDir dir;
  const fs::path path = dir.path() / kKekFileName;
  {
    std::ofstream(path) << std::string(31, 'x');
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto loaded = Kek::load_or_create(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().id, kKekInvalid);
  {
    std::ofstream(path) << std::string(33, 'x');
  }
  loaded = Kek::load_or_create(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().id, kKekInvalid);
}

TEST(KekTest, shouldRefuseBecauseTheFileIsADirectory) {
  TempDir dir;
  const fs::path path = dir.path() / kKekFileName;
  fs::create_directory(path);
  ::chmod(path.c_str(), 0700);
  auto loaded = Kek::load_or_create(path);
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(loaded.error().id == kKekInsecure || loaded.error().id == kKekIo) << loaded.error().id;
}

TEST(KekTest, shouldRefuseBecauseAnotherUserOwnsTheFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  TempDir dir;
  const fs::path path = dir.path() / kKekFileName;
  ASSERT_TRUE(Kek::load_or_create(path));
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  auto loaded = Kek::load_or_create(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().id, kKekInsecure);
}

Kek fixed_kek(uint8_t fill) {
  std::array<uint8_t, kKekSize> k{};
  k.fill(fill);
  return Kek::from_bytes(k);
}

TEST(SealTest, OpensOnlyWhereItWasSealed) {
  const Kek kek = fixed_kek(7);
  const auto secret = bytes("model decryption key");
  const SealContext here{"tenant-a", "model", 2};
  const auto sealed = kek.seal(here, secret);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->ciphertext.size(), secret.size() + kSealTagSize);
  auto opened = kek.open(here, sealed->nonce, sealed->ciphertext);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(std::ranges::equal(opened->span(), secret));

  // A row moved to another tenant, key or version does not open.
  for (const SealContext& elsewhere : {SealContext{"tenant-b", "model", 2}, SealContext{"tenant-a", "other", 2},
                                       SealContext{"tenant-a", "model", 1}}) {
    auto moved = kek.open(elsewhere, sealed->nonce, sealed->ciphertext);
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().id, kSealOpenFailed);
  }
  // Another KEK does not open it either.
  auto other = fixed_kek(8).open(here, sealed->nonce, sealed->ciphertext);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().id, kSealOpenFailed);
  EXPECT_NE(fixed_kek(8).id(), kek.id());
}

TEST(SealTest, shouldNotOpenBecauseABitFlipped) {
  const Kek kek = fixed_kek(1);
  const SealContext here{"t", "k", 1};
  auto sealed = kek.seal(here, bytes("0123456789abcdef"));
  ASSERT_TRUE(sealed);
  for (size_t i = 0; i < sealed->ciphertext.size(); i += 5) {
    auto c = sealed->ciphertext;
    c[i] ^= 0x80;
    auto opened = kek.open(here, sealed->nonce, c);
    ASSERT_FALSE(opened) << "byte " << i;
    EXPECT_EQ(opened.error().id, kSealOpenFailed);
  }
  auto n = sealed->nonce;
  n[0] ^= 1;
  EXPECT_FALSE(kek.open(here, n, sealed->ciphertext));
  EXPECT_FALSE(kek.open(here, std::span<const uint8_t>(n.data(), 11), sealed->ciphertext));
  EXPECT_FALSE(kek.open(here, sealed->nonce, std::span<const uint8_t>(sealed->ciphertext.data(), 15)));
}

TEST(SealTest, EverySealUsesAFreshNonce) {
  const Kek kek = fixed_kek(3);
  const auto a = kek.seal({"t", "k", 1}, bytes("same"));
  const auto b = kek.seal({"t", "k", 1}, bytes("same"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->ciphertext, b->ciphertext);
}

}  // namespace
}  // namespace attestd::broker
