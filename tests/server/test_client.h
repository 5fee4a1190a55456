// A small blocking HTTPS/1.1 client over OpenSSL and a BSD socket, for tests: real TLS against
// the real server, with knobs to pin protocol versions and ciphers. Not Beast, so that the
// tests neither share the server's HTTP code nor pay its compile time.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace attestd::server::test {

struct ClientOptions {
  int min_version = 0x0303;  // TLS1_2_VERSION
  int max_version = 0x0304;  // TLS1_3_VERSION
  std::string tls12_ciphers;  // empty: OpenSSL's default
  bool allow_legacy = false;  // security level 0, so that TLS 1.0/1.1 can even be offered
  std::string ca_file;        // verify the server against this PEM; empty: no verification
  std::chrono::milliseconds timeout{5000};
};

// Options pinned to one protocol version range.
inline ClientOptions versions(int min_version, int max_version, bool allow_legacy = false) {
  ClientOptions o;
  o.min_version = min_version;
  o.max_version = max_version;
  o.allow_legacy = allow_legacy;
  return o;
}
inline ClientOptions verifying(std::string ca_file) {
  ClientOptions o;
  o.ca_file = std::move(ca_file);
  return o;
}

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// Builds a client SSL_CTX; the caller owns it (SSL_CTX_free).
SSL_CTX* make_client_ctx(const ClientOptions& options);

class TlsClient {
 public:
  // Connects to 127.0.0.1:port and completes the handshake; fails with OpenSSL's reason.
  static std::expected<TlsClient, std::string> connect(uint16_t port, const ClientOptions& options = {});

  TlsClient(TlsClient&& other) noexcept;
  TlsClient& operator=(TlsClient&& other) noexcept;
  ~TlsClient();

  // Writes bytes as they are.
  bool send_raw(std::string_view bytes);
  // Sends one request (Host and Content-Length added) and reads the response.
  std::expected<HttpResponse, std::string> request(std::string_view method, std::string_view target,
                                                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                                                   std::string_view body = {});
  // Reads one response (Content-Length framed).
  std::expected<HttpResponse, std::string> read_response();
  // True when the server closes the connection within `within` (EOF or reset, no data).
  bool wait_closed(std::chrono::milliseconds within);

  [[nodiscard]] int protocol_version() const;  // TLS1_2_VERSION, TLS1_3_VERSION
  [[nodiscard]] std::string cipher() const;
  [[nodiscard]] std::string peer_certificate_der() const;

 private:
  TlsClient(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  void reset();
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;  // bytes read past the previous response
};

// One request on a fresh connection.
std::expected<HttpResponse, std::string> fetch(uint16_t port, std::string_view method, std::string_view target,
                                               const std::vector<std::pair<std::string, std::string>>& headers = {},
                                               std::string_view body = {});

}  // namespace attestd::server::test
