// The agent's configuration file and PCR lists: bad input is a configuration error (exit 78).
#include "config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "commands.h"

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
    "event_log": "none", "ek_alg": "ecc384", "ak_alg": "ecc", "key_type": "rsa3072", "tpm_timeout_s": 5,
    "server_timeout_s": 7,
    "nvml_library": ""})");
  Config c;
  ASSERT_TRUE(load_config_file(path, c).has_value());
  EXPECT_EQ(c.server, "https://127.0.0.1:8443");
  EXPECT_EQ(c.host_id, "h1");
  EXPECT_EQ(c.tcti, "swtpm:port=1");
  EXPECT_EQ(c.pcrs, (std::vector<unsigned>{0, 7}));
  EXPECT_EQ(c.event_log, "none");
  EXPECT_EQ(c.ek_alg, EkTemplate::ecc_p384);
  EXPECT_EQ(c.ak_alg, KeyAlg::ecc);
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


TEST(EkTemplate, TakesTpm2CreateekSpellingsOnly) {
  EXPECT_EQ(parse_ek_template("rsa"), EkTemplate::rsa2048);
  EXPECT_EQ(parse_ek_template("rsa2048"), EkTemplate::rsa2048);
  EXPECT_EQ(parse_ek_template("ecc"), EkTemplate::ecc_p256);
  EXPECT_EQ(parse_ek_template("ecc256"), EkTemplate::ecc_p256);
  EXPECT_EQ(parse_ek_template("ecc384"), EkTemplate::ecc_p384);
  for (const char* bad : {"", "RSA", "ecc521", "rsa3072", "ecc384 "}) EXPECT_FALSE(parse_ek_template(bad)) << bad;
}

TEST(EkTemplate, CertificateIndicesAreTheEkProfiles) {
  // TCG EK Credential Profile 2.x: L-1 RSA 2048, L-2 ECC P-256 (low range), H-3 ECC P-384 (high range).
  EXPECT_EQ(ek_certificate_index(EkTemplate::rsa2048), 0x01c00002u);
  EXPECT_EQ(ek_certificate_index(EkTemplate::ecc_p256), 0x01c0000au);
  EXPECT_EQ(ek_certificate_index(EkTemplate::ecc_p384), 0x01c00016u);
}

TEST(ConfigFile, AnEmptyEventLogIsAConfigurationErrorNoneIsTheOptOut) {
  Config c;
  c.server = "https://127.0.0.1:1";
  c.ca_file = "ca.pem";
  c.credential_file = "tok";
  c.host_id = "h";
  c.event_log = "";
  auto v = validate_config(c);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().id, "agent.config.invalid");
  EXPECT_NE(v.error().message.find("none"), std::string::npos) << v.error().message;
  c.event_log = "none";
  EXPECT_TRUE(validate_config(c).has_value());
}

TEST(ConfigFile, ExactlyOneCredentialATokenOrACertificateWithItsKey) {
  Config c;
  c.server = "https://127.0.0.1:1";
  c.ca_file = "ca.pem";
  c.host_id = "h";
  c.event_log = "none";
  const auto refusal = [&] {
    auto v = validate_config(c);
    if (v.has_value()) return std::string("accepted");
    EXPECT_EQ(v.error().id, "agent.config.invalid");
    return v.error().message;
  };
  EXPECT_NE(refusal().find("no credential file"), std::string::npos);
  c.client_certificate_file = "host.crt";  // a certificate without its key
  EXPECT_NE(refusal().find("needs both --client-cert and --client-key"), std::string::npos);
  c.client_certificate_file.clear();
  c.client_key_file = "host.key";  // a key without its certificate
  EXPECT_NE(refusal().find("needs both --client-cert and --client-key"), std::string::npos);
  c.client_certificate_file = "host.crt";
  EXPECT_TRUE(validate_config(c).has_value());
  c.credential_file = "tok";  // and a token as well
  EXPECT_NE(refusal().find("not both"), std::string::npos);
  c.client_certificate_file.clear();
  c.client_key_file.clear();
  EXPECT_TRUE(validate_config(c).has_value());
}

TEST(ExitStatus, ConfigurationAndTimeoutsHaveTheirOwnStatus) {
  EXPECT_EQ(exit_status({"agent.config.invalid", ""}), kExitConfig);
  EXPECT_EQ(exit_status({"agent.config.tcti", ""}), kExitConfig);
  EXPECT_EQ(exit_status({"agent.tpm.timeout", ""}), kExitTpmTimeout);
  EXPECT_EQ(exit_status({"agent.server.timeout", "", true}), kExitServerTimeout);
  EXPECT_EQ(exit_status({"agent.eventlog.missing", ""}), 1);
  EXPECT_EQ(exit_status({"agent.tpm.failure_mode", ""}), 1);
  EXPECT_TRUE(is_config_error({"agent.config.tcti", ""}));
  EXPECT_FALSE(is_config_error({"agent.configuration", ""}));
  EXPECT_FALSE(is_config_error({"agent.server.unreachable", "", true}));
}

}  // namespace
}  // namespace attestd::agent
