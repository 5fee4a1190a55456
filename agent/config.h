// The agent's configuration: a JSON file (--config) whose fields the command-line flags override.
//   {"server": "https://attestd.example:8443", "ca_file": "/etc/attest-agent/ca.pem",
//    "credential_file": "/etc/attest-agent/token", "host_id": "node-1",
//    "tcti": "device:/dev/tpmrm0", "state_dir": "/var/lib/attest-agent",
//    "pcrs": [0,1,2,3,4,5,6,7,8,9], "event_log": "/sys/kernel/security/tpm0/binary_bios_measurements",
//    "ek_alg": "rsa", "ak_alg": "rsa", "key_type": "p256", "tpm_timeout_s": 30,
//    "server_timeout_s": 60, "nvml_library": "libnvidia-ml.so.1"}
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ephemeral_key.h"
#include "error.h"
#include "tpm.h"

namespace attestd::agent {

struct Config {
  std::string server;
  std::string ca_file;
  std::string credential_file;
  // The alternative to a token (issue 8): a TLS client certificate registered for this host at
  // attestd, and its private key (PEM files). Exactly one of credential_file and these.
  std::string client_certificate_file;
  std::string client_key_file;
  std::string host_id;
  std::string tcti = "device:/dev/tpmrm0";
  std::filesystem::path state_dir = "/var/lib/attest-agent";
  std::vector<unsigned> pcrs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  // A path, or kNoEventLog to attest without one (event_log.h): fail closed, never skip silently.
  std::string event_log = "/sys/kernel/security/tpm0/binary_bios_measurements";
  EkTemplate ek_alg = EkTemplate::rsa2048;  // "ek_alg": rsa | ecc | ecc384 (parse_ek_template)
  KeyAlg ak_alg = KeyAlg::rsa;
  EphemeralKeyType key_type = EphemeralKeyType::p256;
  std::optional<std::string> ek_certificate_file;  // when the TPM has none in NV
  int tpm_timeout_s = 30;
  int server_timeout_s = 60;
  // NVML is asked for GPU evidence when this library loads; empty turns it off.
  std::string nvml_library = "libnvidia-ml.so.1";
};

// Reads `path` into `config` (fields absent from the file keep their value). Fails with
// agent.config.invalid naming the field.
std::expected<void, Error> load_config_file(const std::filesystem::path& path, Config& config);
// Checks what every server command needs (server, ca_file, credential_file or a client certificate
// and key, host_id, PCR range, an event-log path or "none").
std::expected<void, Error> validate_config(const Config& config);
// "1,2,7" or "0-9" → indices < 24. Fails with agent.config.invalid.
std::expected<std::vector<unsigned>, Error> parse_pcr_list(std::string_view text);

}  // namespace attestd::agent
