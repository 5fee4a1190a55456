// The crafted vectors in tests/data/eventlog: each <name>.bin is rejected with the reason id in
// <name>.reason, or parses when there is none.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "attestd/evidence/eventlog/event_log.h"
#include "test_support.h"

namespace attestd::evidence::eventlog {
namespace {

TEST(Vectors, EachCraftedLogIsRejectedWithTheReasonBesideIt) {
  const std::filesystem::path dir = std::filesystem::path(ATTESTD_TEST_DATA) / "eventlog";
  size_t rejected = 0, parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".bin") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const auto bytes = testing::read_file(entry.path());
    const auto log = parse_event_log(bytes);
    auto reason_path = entry.path();
    reason_path.replace_extension(".reason");
    if (!std::filesystem::exists(reason_path)) {
      EXPECT_TRUE(log.has_value()) << log.error().message;
      ++parsed;
      continue;
    }
    std::ifstream in(reason_path);
    std::string reason;
    std::getline(in, reason);
    ASSERT_FALSE(log.has_value()) << "parsed";
    EXPECT_EQ(log.error().id, reason) << log.error().message;
    ++rejected;
  }
  EXPECT_EQ(rejected, 12u);
  EXPECT_EQ(parsed, 2u);
}

}  // namespace
}  // namespace attestd::evidence::eventlog
