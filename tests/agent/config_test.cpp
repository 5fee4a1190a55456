// The agent's configuration file and PCR lists: bad input is a configuration error (exit 78).
#include "config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace attestd::agent {
namespace {

std::filesystem::path write_temp(const std::string& text) {
  static int n = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("agent_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".json");
  std::ofstream(path) << text;
  return path;
}

TEST(PcrList, ParsesRangesAndListsSortedWithoutDuplicates) {
  auto pcrs = parse_pcr_list("7,0-2,2,23");
  ASSERT_TRUE(pcrs.has_value());
  EXPECT_EQ(*pcrs, (std::vector<unsigned>{0, 1, 2, 7, 23}));
}

TEST(PcrList, RefusesOutOfRangeAndMalformedAsConfigInvalid) {
  for (const char* bad : {"24", "0-24", "5-3", "", "a", "1,,2", "-1", "1-"}) {
    auto pcrs = parse_pcr_list(bad);
    ASSERT_FALSE(pcrs.has_value()) << bad;
    EXPECT_EQ(pcrs.error().id, "agent.config.invalid") << bad;
  }
}

TEST(ConfigFile, ReadsEveryField) {
  const auto path = write_temp(R"({"server": "https://127.0.0.1:8443", "ca_file": "ca.pem",
    "credential_file": "tok", "host_id": "h1", "tcti": "swtpm:port=1", "state_dir": "/s", "pcrs": [7, 0],
    "event_log": "", "ek_alg": "ecc", "ak_alg": "ecc", "key_type": "rsa3072", "tpm_timeout_s": 5, "server_timeout_s": 7,
    "nvml_library": ""})");
  Config c;
  ASSERT_TRUE(load_config_file(path, c).has_value());
  EXPECT_EQ(c.server, "https://127.0.0.1:8443");
  EXPECT_EQ(c.host_id, "h1");
  EXPECT_EQ(c.tcti, "swtpm:port=1");
  EXPECT_EQ(c.pcrs, (std::vector<unsigned>{0, 7}));
  EXPECT_EQ(c.event_log, "");
  EXPECT_EQ(c.ek_alg, KeyAlg::ecc);
  EXPECT_EQ(c.key_type, EphemeralKeyType::rsa3072);
  EXPECT_EQ(c.tpm_timeout_s, 5);
  EXPECT_EQ(c.server_timeout_s, 7);
  EXPECT_EQ(c.nvml_library, "");
  EXPECT_TRUE(validate_config(c).has_value());
  std::filesystem::remove(path);
}

TEST(ConfigFile, ShippedExampleLoadsAndValidates) {
  Config c;
  auto r = load_config_file(AGENT_EXAMPLE_CONFIG, c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(validate_config(c).has_value());
  EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
}

TEST(ConfigFile, RefusesUnknownFieldsWrongTypesAndMissingEssentials) {
  for (const char* bad : {R"({"sever": "x"})", R"({"pcrs": "0-9"})", R"({"ek_alg": "dsa"})", R"([1])", "{"}) {
    const auto path = write_temp(bad);
    Config c;
    auto r = load_config_file(path, c);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().id, "agent.config.invalid") << bad;
    std::filesystem::remove(path);
  }
  Config c;  // nothing set: no server
  auto v = validate_config(c);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().id, "agent.config.invalid");
}

}  // namespace
}  // namespace attestd::agent
