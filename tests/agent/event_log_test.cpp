// The agent's event-log reader fails closed: a configured log that is missing, unreadable, empty
// or oversized is an error with its own reason id; only "none" sends no log.
#include "event_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace attestd::agent {
namespace {

class ReadEventLog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("agent_event_log_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ReadEventLog, ReturnsEveryByteOfTheLog) {
  const Bytes bytes = {0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xff, 0x0a, 0x00};
  const auto path = dir_ / "binary_bios_measurements";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 11);
  auto log = read_event_log(path.string());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  ASSERT_TRUE(log->has_value());
  EXPECT_EQ(**log, bytes);
}

TEST_F(ReadEventLog, NoneSendsNoLog) {
  auto log = read_event_log("none");
  ASSERT_TRUE(log.has_value());
  EXPECT_FALSE(log->has_value());
}

TEST_F(ReadEventLog, AMissingLogIsAnError) {
  auto log = read_event_log((dir_ / "absent").string());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, "agent.eventlog.missing");
  EXPECT_NE(log.error().message.find("absent"), std::string::npos) << log.error().message;
}

TEST_F(ReadEventLog, AnUnreadableLogIsAnError) {
  // A directory opens but does not read (EISDIR), whoever runs the test (root reads a mode-000 file).
  auto log = read_event_log(dir_.string());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, "agent.eventlog.unreadable");
  // A path through a regular file (ENOTDIR) exists in no sense that matters: unreadable, not missing.
  const auto file = dir_ / "file";
  std::ofstream(file) << "x";
  log = read_event_log((file / "log").string());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, "agent.eventlog.unreadable");
}

TEST_F(ReadEventLog, AnEmptyLogIsAnError) {
  const auto path = dir_ / "empty";
  std::ofstream{path};
  auto log = read_event_log(path.string());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, "agent.eventlog.empty");
}

TEST_F(ReadEventLog, ALogBeyondTheBoundIsAnError) {
  const auto path = dir_ / "huge";
  std::ofstream{path};
  std::filesystem::resize_file(path, kMaxEventLogSize + 1);  // sparse: no 8 MiB written
  auto log = read_event_log(path.string());
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().id, "agent.eventlog.too_large");
  std::filesystem::resize_file(path, kMaxEventLogSize);  // exactly the bound is accepted
  log = read_event_log(path.string());
  ASSERT_TRUE(log.has_value()) << log.error().message;
  EXPECT_EQ((*log)->size(), kMaxEventLogSize);
}

}  // namespace
}  // namespace attestd::agent
