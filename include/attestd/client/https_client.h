// A blocking HTTPS/1.1 client for one keep-alive connection (Boost.Beast over Asio + OpenSSL),
// one per thread: attestctl, the load generator and the agent talk to attestd through it. It verifies the server certificate against a CA file and the
// URL's host (IP SAN for a literal address), keeps the connection open between requests and, when
// it must reconnect, resumes the TLS session so a reconnect costs no full handshake.
//
// Beast lives in the .cpp only: this header is plain C++ so that the tool's other files compile
// fast. Failures (connect, TLS, I/O, timeout) throw std::runtime_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attestd::client {

struct Url {
  std::string host;  // "127.0.0.1"
  std::string port;  // "8443"
  // Parses "https://HOST[:PORT][/]" (port 443 when absent). Throws on anything else.
  static Url parse(std::string_view text);
};

// The TLS settings every connection shares (one SSL_CTX). Thread-safe once built.
class TlsConfig {
 public:
  // Trusts only `ca_file` (PEM), or the system's trust store when it is empty; TLS 1.2 minimum
  // like the server.
  explicit TlsConfig(const std::string& ca_file);
  ~TlsConfig();
  TlsConfig(const TlsConfig&) = delete;
  TlsConfig& operator=(const TlsConfig&) = delete;

  // Presents this client certificate (PEM, leaf first) with its private key (PEM) on every
  // connection: a host's alternative to a bearer token (issue 8). Call before the first
  // connection. Throws naming the file when either cannot be loaded or they do not match.
  void use_client_certificate(const std::string& certificate_file, const std::string& private_key_file);

  struct Impl;
  [[nodiscard]] Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // every header, names lower-cased, in order
};

class HttpsClient {
 public:
  // Does not connect yet; the first request does. `tls` must outlive the client. Each step
  // (connect, handshake, sending, the whole response) must finish within `timeout`: a server
  // that accepts and never answers is an error, not a hang.
  HttpsClient(const Url& url, const TlsConfig& tls, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request (body with `content_type` when not empty, bearer token when not empty) and reads the whole
  // response. Reconnects first when the previous response closed the connection or an error broke
  // it. Throws on transport failures, after which the next call reconnects.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body,
                       std::string_view bearer_token, std::string_view content_type = "application/json");

  // Connections opened so far and how many of them resumed a TLS session.
  [[nodiscard]] uint64_t connects() const;
  [[nodiscard]] uint64_t resumed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace attestd::client
