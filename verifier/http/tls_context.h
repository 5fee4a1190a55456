// The server's TLS configuration and its hot swap on SIGHUP.
#pragma once

#include <atomic>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "beast.h"

namespace attestd::server::detail {

// A TLS server context for the certificate chain and key files: TLS 1.2 and 1.3 only, ECDHE
// with AEAD suites for 1.2, server cipher preference, no renegotiation, no compression.
// With `request_client_certificates` the server asks for (never requires) a client certificate
// and accepts any the client proves it holds the key of: trust in it is the authenticator's
// fingerprint lookup, not a CA (issue 8).
// Fails with a message naming the file and OpenSSL's reason.
std::expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context(
    const std::filesystem::path& certificate, const std::filesystem::path& private_key,
    bool request_client_certificates = true);

// The context new handshakes use. Each connection keeps the shared_ptr it started with, so a
// swap never touches established connections and an old context lives until its last one ends.
class TlsContextStore {
 public:
  explicit TlsContextStore(std::shared_ptr<ssl::context> initial) : current_(std::move(initial)) {}
  [[nodiscard]] std::shared_ptr<ssl::context> current() const { return current_.load(std::memory_order_acquire); }
  void replace(std::shared_ptr<ssl::context> next) { current_.store(std::move(next), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<ssl::context>> current_;
};

}  // namespace attestd::server::detail
