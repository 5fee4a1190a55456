#include "config.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

#include "event_log.h"

namespace attestd::agent {

namespace {

constexpr unsigned kPcrCount = 24;  // PC Client PTP: 24 PCRs per bank

Error invalid(std::string message) {
  return {"agent.config.invalid", std::move(message)};
}

std::expected<KeyAlg, Error> key_alg(const std::string& v, const char* field) {
  if (v == "rsa") return KeyAlg::rsa;
  if (v == "ecc") return KeyAlg::ecc;
  return std::unexpected(invalid(fmt::format("{}: \"rsa\" or \"ecc\"", field)));
}

}  // namespace

std::expected<std::vector<unsigned>, Error> parse_pcr_list(std::string_view text) {
  std::vector<unsigned> out;
  auto number = [](std::string_view s) -> std::optional<unsigned> {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v >= kPcrCount) return std::nullopt;
    return v;
  };
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const size_t dash = item.find('-');
    const auto lo = number(item.substr(0, dash));
    const auto hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) return std::unexpected(invalid(fmt::format("bad PCR list \"{}\"", text)));
    for (unsigned p = *lo; p <= *hi; ++p) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::expected<void, Error> load_config_file(const std::filesystem::path& path, Config& config) {
  std::ifstream in(path);
  if (!in) return std::unexpected(invalid(fmt::format("cannot read {}", path.string())));
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::unexpected(invalid(fmt::format("{} is not a JSON object", path.string())));
  try {
    for (const auto& [key, value] : j.items()) {
      if (key == "server")
        config.server = value.get<std::string>();
      else if (key == "ca_file")
        config.ca_file = value.get<std::string>();
      else if (key == "credential_file")
        config.credential_file = value.get<std::string>();
      else if (key == "client_certificate")
        config.client_certificate_file = value.get<std::string>();
      else if (key == "client_key")
        config.client_key_file = value.get<std::string>();
      else if (key == "host_id")
        config.host_id = value.get<std::string>();
      else if (key == "tcti")
        config.tcti = value.get<std::string>();
      else if (key == "state_dir")
        config.state_dir = value.get<std::string>();
      else if (key == "event_log")
        config.event_log = value.get<std::string>();
      else if (key == "ek_certificate_file")
        config.ek_certificate_file = value.get<std::string>();
      else if (key == "tpm_timeout_s")
        config.tpm_timeout_s = value.get<int>();
      else if (key == "server_timeout_s")
        config.server_timeout_s = value.get<int>();
      else if (key == "nvml_library")
        config.nvml_library = value.get<std::string>();
      else if (key == "pcrs") {
        std::string list;
        for (const auto& p : value) list += (list.empty() ? "" : ",") + std::to_string(p.get<unsigned>());
        auto parsed = parse_pcr_list(list);
        if (!parsed) return std::unexpected(parsed.error());
        config.pcrs = *parsed;
      } else if (key == "ek_alg") {
        const auto ek = parse_ek_template(value.get<std::string>());
        if (!ek) return std::unexpected(invalid("ek_alg: \"rsa\", \"ecc\" or \"ecc384\""));
        config.ek_alg = *ek;
      } else if (key == "ak_alg") {
        auto alg = key_alg(value.get<std::string>(), key.c_str());
        if (!alg) return std::unexpected(alg.error());
        config.ak_alg = *alg;
      } else if (key == "key_type") {
        const auto v = value.get<std::string>();
        if (v != "p256" && v != "rsa3072") return std::unexpected(invalid("key_type: \"p256\" or \"rsa3072\""));
        config.key_type = v == "p256" ? EphemeralKeyType::p256 : EphemeralKeyType::rsa3072;
      } else {
        return std::unexpected(invalid(fmt::format("{}: unknown field \"{}\"", path.string(), key)));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(invalid(fmt::format("{}: {}", path.string(), e.what())));
  }
  return {};
}

std::expected<void, Error> validate_config(const Config& config) {
  if (config.server.empty()) return std::unexpected(invalid("no server URL (--server or \"server\")"));
  if (config.ca_file.empty()) return std::unexpected(invalid("no pinned CA file (--ca-file or \"ca_file\")"));
  const bool certificate = !config.client_certificate_file.empty() || !config.client_key_file.empty();
  if (certificate && (config.client_certificate_file.empty() || config.client_key_file.empty())) {
    return std::unexpected(invalid("a client certificate needs both --client-cert and --client-key"));
  }
  if (certificate && !config.credential_file.empty()) {
    return std::unexpected(invalid("give a token (--credential-file) or a client certificate, not both"));
  }
  if (!certificate && config.credential_file.empty()) {
    return std::unexpected(invalid("no credential file (--credential-file) or client certificate (--client-cert)"));
  }
  if (config.host_id.empty()) return std::unexpected(invalid("no host id (--host-id or \"host_id\")"));
  if (config.pcrs.empty()) return std::unexpected(invalid("no PCRs to quote"));
  if (config.event_log.empty()) {
    return std::unexpected(
        invalid(fmt::format("event_log is empty: give its path or \"{}\" to send none", kNoEventLog)));
  }
  if (config.tpm_timeout_s <= 0 || config.server_timeout_s <= 0) {
    return std::unexpected(invalid("tpm_timeout_s and server_timeout_s must be positive"));
  }
  return {};
}

}  // namespace attestd::agent
