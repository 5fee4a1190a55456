#include "attestd/server/config.h"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace attestd::server {
namespace {

using nlohmann::json;
using Error = std::unexpected<std::string>;

// Rejects keys of `object` (at `where`) that are not in `known`: a misspelt key would otherwise
// silently leave a limit at its default.
std::expected<void, std::string> only_known(const json& object, std::string_view where,
                                            std::initializer_list<std::string_view> known) {
  if (!object.is_object()) return Error(fmt::format("{}: expected an object", where));
  std::set<std::string_view> k(known);
  for (const auto& [key, value] : object.items()) {
    if (!k.contains(key)) return Error(fmt::format("{}: unknown key '{}'", where, key));
  }
  return {};
}

// Reads an integer key within [lo, hi] into `out` when present.
template <typename T>
std::expected<void, std::string> read_uint(const json& object, std::string_view where, const char* key, uint64_t lo,
                                           uint64_t hi, T& out) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return Error(fmt::format("{}{}: expected a non-negative integer", where, key));
  }
  auto v = it->get<uint64_t>();
  if (v < lo || v > hi) return Error(fmt::format("{}{}: {} is outside [{}, {}]", where, key, v, lo, hi));
  out = static_cast<T>(v);
  return {};
}

template <typename Duration>
std::expected<void, std::string> read_duration(const json& object, std::string_view where, const char* key,
                                               uint64_t lo, uint64_t hi, Duration& out) {
  uint64_t v = static_cast<uint64_t>(out.count());
  if (auto r = read_uint(object, where, key, lo, hi, v); !r) return r;
  out = Duration(static_cast<typename Duration::rep>(v));
  return {};
}

std::expected<void, std::string> read_path(const json& object, std::string_view where, const char* key,
                                           std::filesystem::path& out) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (!it->is_string() || it->get<std::string>().empty()) {
    return Error(fmt::format("{}{}: expected a non-empty string", where, key));
  }
  out = it->get<std::string>();
  return {};
}

constexpr uint64_t kDayMs = 24ULL * 3600 * 1000;

}  // namespace

std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text) {
  ListenAddress out;
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return Error(fmt::format("listen address '{}': expected [IPv6]:PORT", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return Error(fmt::format("listen address '{}': expected HOST:PORT", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Error(fmt::format("listen address '{}': write IPv6 addresses as [addr]:port", text));
    }
  }
  if (host.empty()) return Error(fmt::format("listen address '{}': empty host", text));
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return Error(fmt::format("listen address '{}': port must be 0..65535", text));
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

std::expected<Config, std::string> parse_config(std::string_view json_text) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    return Error(fmt::format("config: malformed JSON: {}", e.what()));
  }
  Config c;
  if (auto r = only_known(doc, "config", {"listen", "threads", "handler_threads", "tls", "limits", "timeouts", "attestation", "audit", "key_encryption_key"}); !r) {
    return Error(r.error());
  }
  if (auto it = doc.find("listen"); it != doc.end()) {
    if (!it->is_string()) return Error("listen: expected \"HOST:PORT\"");
    auto l = parse_listen_address(it->get<std::string>());
    if (!l) return Error(l.error());
    c.listen = *l;
  }
  if (auto r = read_uint(doc, "", "threads", 0, 1024, c.threads); !r) return Error(r.error());
  if (auto r = read_uint(doc, "", "handler_threads", 0, 4096, c.handler_threads); !r) return Error(r.error());

  if (auto r = read_path(doc, "", "key_encryption_key", c.key_encryption_key); !r) return Error(r.error());
  if (auto it = doc.find("tls"); it != doc.end()) {
    if (auto r = only_known(*it, "tls", {"certificate", "private_key", "client_certificates"}); !r) {
      return Error(r.error());
    }
    if (auto r = read_path(*it, "tls.", "certificate", c.tls_certificate); !r) return Error(r.error());
    if (auto r = read_path(*it, "tls.", "private_key", c.tls_private_key); !r) return Error(r.error());
    if (auto cc = it->find("client_certificates"); cc != it->end()) {
      const std::string value = cc->is_string() ? cc->get<std::string>() : std::string();
      if (value != "optional" && value != "off") {
        return Error("tls.client_certificates: expected \"optional\" or \"off\"");
      }
      c.request_client_certificates = value == "optional";
    }
  }
  if (auto it = doc.find("limits"); it != doc.end()) {
    const json& l = *it;
    if (auto r = only_known(l, "limits", {"max_header_bytes", "max_body_bytes", "max_nesting_depth",
                                          "max_connections", "overload_connections", "retry_after_s", "max_pending_requests",
                                          "auth_failures_per_minute", "auth_failure_burst"});
        !r) {
      return Error(r.error());
    }
    for (auto r : {read_uint(l, "limits.", "max_header_bytes", 1024, 1 << 20, c.max_header_bytes),
                   read_uint(l, "limits.", "max_body_bytes", 0, 1ULL << 30, c.max_body_bytes),
                   read_uint(l, "limits.", "max_nesting_depth", 1, 1024, c.max_nesting_depth),
                   read_uint(l, "limits.", "max_connections", 1, 1'000'000, c.max_connections),
                   read_uint(l, "limits.", "overload_connections", 0, 1'000'000, c.overload_connections),
                   read_duration(l, "limits.", "retry_after_s", 1, 3600, c.retry_after),
                   read_uint(l, "limits.", "max_pending_requests", 1, 1'000'000, c.max_pending_requests),
                   read_uint(l, "limits.", "auth_failures_per_minute", 1, 1'000'000, c.auth_failures_per_minute),
                   read_uint(l, "limits.", "auth_failure_burst", 1, 1'000'000, c.auth_failure_burst)}) {
      if (!r) return Error(r.error());
    }
  }
  if (auto it = doc.find("timeouts"); it != doc.end()) {
    const json& t = *it;
    if (auto r = only_known(t, "timeouts", {"handshake_ms", "idle_ms", "read_ms", "write_ms", "shutdown_grace_ms"});
        !r) {
      return Error(r.error());
    }
    for (auto r : {read_duration(t, "timeouts.", "handshake_ms", 1, kDayMs, c.handshake_timeout),
                   read_duration(t, "timeouts.", "idle_ms", 1, kDayMs, c.idle_timeout),
                   read_duration(t, "timeouts.", "read_ms", 1, kDayMs, c.read_timeout),
                   read_duration(t, "timeouts.", "write_ms", 1, kDayMs, c.write_timeout),
                   read_duration(t, "timeouts.", "shutdown_grace_ms", 0, kDayMs, c.shutdown_grace)}) {
      if (!r) return Error(r.error());
    }
  }
  if (auto it = doc.find("attestation"); it != doc.end()) {
    const json& a = *it;
    if (auto r = only_known(a, "attestation", {"nonce_lifetime_s", "token_lifetime_s"}); !r) return Error(r.error());
    for (auto r : {read_duration(a, "attestation.", "nonce_lifetime_s", 1, 86'400, c.nonce_lifetime),
                   read_duration(a, "attestation.", "token_lifetime_s", 1, 30 * 86'400, c.token_lifetime)}) {
      if (!r) return Error(r.error());
    }
  }
  if (auto it = doc.find("audit"); it != doc.end()) {
    const json& a = *it;
    if (auto r = only_known(a, "audit", {"checkpoint_every", "checkpoint_interval_s"}); !r) return Error(r.error());
    for (auto r : {read_uint(a, "audit.", "checkpoint_every", 1, 1'000'000, c.audit_checkpoint_every),
                   read_duration(a, "audit.", "checkpoint_interval_s", 1, 86'400, c.audit_checkpoint_interval)}) {
      if (!r) return Error(r.error());
    }
  }
  return c;
}

std::expected<Config, std::string> load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(fmt::format("config {}: cannot open", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  auto c = parse_config(text.str());
  if (!c) return Error(fmt::format("config {}: {}", path.string(), c.error()));
  return c;
}

void resolve_paths(Config& config, const std::filesystem::path& data_dir) {
  if (config.tls_certificate.is_relative()) config.tls_certificate = data_dir / config.tls_certificate;
  if (config.tls_private_key.is_relative()) config.tls_private_key = data_dir / config.tls_private_key;
  if (config.key_encryption_key.is_relative()) config.key_encryption_key = data_dir / config.key_encryption_key;
}

}  // namespace attestd::server
