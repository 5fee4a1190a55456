// attestctl's connection to a running attestd: where it is (--server / ATTESTD_URL), who we are
// (--token-file / ATTESTD_TOKEN_FILE / ATTESTD_TOKEN) and whom we trust (--cacert / ATTESTD_CACERT,
// else the system trust store). Flags win over the environment. The server certificate is always
// verified: there is no "insecure" switch, because a CLI that manages golden values and keys must
// not talk to whoever answers.
#pragma once

#include <CLI/CLI.hpp>
#include <expected>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace attestd::client {
class HttpsClient;
class TlsConfig;
}  // namespace attestd::client

namespace attestd::cli {

struct ServerOptions {
  std::string url;
  std::string token_file;
  std::string cacert;
  double timeout_seconds = 30;  // per step: connect, handshake, send, whole response
};

// Registers --server, --token-file and --cacert on a subcommand that talks to attestd.
void add_server_options(CLI::App& command, ServerOptions& options);

struct ApiResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;

  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
  // The body as JSON, or a message saying why it is not.
  [[nodiscard]] std::expected<nlohmann::json, std::string> json() const;
  // One line for an error answer: "HTTP 404 api.not_found: no such host" from problem+json, or the
  // status and the start of the body otherwise.
  [[nodiscard]] std::string error_summary() const;
};

class ApiClient {
 public:
  // Resolves flags and environment, reads the token file; does not connect yet.
  static std::expected<ApiClient, std::string> create(const ServerOptions& options);

  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ~ApiClient();

  // One request over the kept-alive connection; a transport failure (refused, TLS, timeout) is the
  // error, an HTTP error status is a response.
  std::expected<ApiResponse, std::string> request(std::string_view method, std::string_view target,
                                                  const nlohmann::json* body = nullptr);
  std::expected<ApiResponse, std::string> get(std::string_view target) { return request("GET", target); }
  std::expected<ApiResponse, std::string> put(std::string_view target, const nlohmann::json& body) {
    return request("PUT", target, &body);
  }
  std::expected<ApiResponse, std::string> post(std::string_view target, const nlohmann::json& body) {
    return request("POST", target, &body);
  }
  std::expected<ApiResponse, std::string> del(std::string_view target) { return request("DELETE", target); }

  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  ApiClient() = default;
  std::string url_;
  std::string token_;
  std::unique_ptr<client::TlsConfig> tls_;
  std::unique_ptr<client::HttpsClient> http_;
};

// Percent-encodes one path segment or query value (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view text);

// The usual ending of a command that talked to the server: prints the transport or HTTP error to
// stderr as "attestctl: ..." and returns the exit code for it (kExitInvalid), or kExitValid.
int report_api_error(const std::expected<ApiResponse, std::string>& response);

}  // namespace attestd::cli
