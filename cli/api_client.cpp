#include "api_client.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "attestd/client/https_client.h"
#include "file_io.h"

namespace attestd::cli {

namespace {

std::string env_or(const std::string& flag, const char* name) {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

void add_server_options(CLI::App& command, ServerOptions& options) {
  command.add_option("--server", options.url, "attestd base URL, e.g. https://127.0.0.1:8443 (or ATTESTD_URL)");
  command.add_option("--token-file", options.token_file,
                     "file holding the bearer token (or ATTESTD_TOKEN_FILE, or the token in ATTESTD_TOKEN)");
  command.add_option("--cacert", options.cacert,
                     "PEM file of the CA (or self-signed certificate) to trust (or ATTESTD_CACERT; "
                     "default: the system trust store)");
  command.add_option("--timeout", options.timeout_seconds, "seconds each step of a request may take (default 30)")
      ->check(CLI::Range(0.1, 3600.0));
}

std::expected<nlohmann::json, std::string> ApiResponse::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(fmt::format("HTTP {}: the answer is not JSON", status));
  return j;
}

std::string ApiResponse::error_summary() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("reasons") && j["reasons"].is_array() && !j["reasons"].empty()) {
    std::string out = fmt::format("HTTP {}", status);
    for (const auto& r : j["reasons"]) {
      if (!r.is_object()) continue;
      out += fmt::format("; {}: {}", r.value("id", std::string("?")), r.value("message", std::string()));
    }
    return out;
  }
  return fmt::format("HTTP {}: {}", status, body.substr(0, 200));
}

std::expected<ApiClient, std::string> ApiClient::create(const ServerOptions& options) {
  ApiClient c;
  c.url_ = env_or(options.url, "ATTESTD_URL");
  if (c.url_.empty()) return std::unexpected("no server: give --server URL or set ATTESTD_URL");
  const std::string token_file = env_or(options.token_file, "ATTESTD_TOKEN_FILE");
  if (!token_file.empty()) {
    auto bytes = read_file(token_file);
    if (!bytes) return std::unexpected(bytes.error());
    c.token_ = trim(std::string(bytes->begin(), bytes->end()));
    if (c.token_.empty()) return std::unexpected(fmt::format("{}: the token file is empty", token_file));
  } else {
    c.token_ = trim(env_or("", "ATTESTD_TOKEN"));
  }
  if (c.token_.empty()) return std::unexpected("no token: give --token-file FILE or set ATTESTD_TOKEN(_FILE)");
  try {
    const auto parsed = client::Url::parse(c.url_);
    c.tls_ = std::make_unique<client::TlsConfig>(env_or(options.cacert, "ATTESTD_CACERT"));
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
    c.http_ = std::make_unique<client::HttpsClient>(parsed, *c.tls_, timeout);
  } catch (const std::exception& e) {
    return std::unexpected(e.what());
  }
  return c;
}

ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

std::expected<ApiResponse, std::string> ApiClient::request(std::string_view method, std::string_view target,
                                                           const nlohmann::json* body) {
  try {
    const std::string text = body != nullptr ? body->dump() : std::string();
    auto r = http_->request(method, target, text, token_);
    return ApiResponse{r.status, std::move(r.content_type), std::move(r.body)};
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("{}: {}", url_, e.what()));
  }
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

int report_api_error(const std::expected<ApiResponse, std::string>& response) {
  if (!response) {
    std::cerr << "attestctl: " << response.error() << "\n";
    return kExitInvalid;
  }
  if (!response->ok()) {
    std::cerr << "attestctl: " << response->error_summary() << "\n";
    return kExitInvalid;
  }
  return kExitValid;
}

}  // namespace attestd::cli
