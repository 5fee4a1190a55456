// attestd's configuration: every key has a default (documented in verifier/CONFIG.md), so
// `attestd --data-dir DIR` needs no file; a JSON config file overrides any subset.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace attestd::server {

struct ListenAddress {
  std::string host = "127.0.0.1";  // an IP literal (IPv6 without brackets)
  uint16_t port = 8443;            // 0: the kernel picks one (tests); Server::port() tells which

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

struct Config {
  ListenAddress listen;
  unsigned threads = 0;  // worker threads; 0 = std::thread::hardware_concurrency()
  // Threads that run route handlers, apart from the I/O workers: a handler waiting for its
  // group commit must not stall the connections of its I/O thread, and the more requests wait
  // together, the larger the batch. 0 = 16 per core.
  unsigned handler_threads = 0;

  // Relative paths are taken relative to the data directory (resolve_paths).
  std::filesystem::path tls_certificate = "tls/server.crt";
  std::filesystem::path tls_private_key = "tls/server.key";
  // Ask every client for a certificate (never require one): hosts may authenticate with a
  // registered client certificate instead of a token (issue 8). tls.client_certificates "off"
  // makes the server stop asking.
  bool request_client_certificates = true;
  // The key broker's key-encryption key (issue 6): 32 bytes, created mode 0600 on first start.
  std::filesystem::path key_encryption_key = "key-encryption-key";

  size_t max_header_bytes = 16 * 1024;     // request line + headers; beyond: 431
  size_t max_body_bytes = 1024 * 1024;     // beyond: 413
  size_t max_nesting_depth = 64;           // JSON/CBOR bodies; beyond: 400
  size_t max_connections = 1024;           // served concurrently
  size_t overload_connections = 64;        // beyond max_connections, answered 503 then closed
  std::chrono::seconds retry_after{1};     // Retry-After of those 503s
  // Requests handed to the handler pool and not yet answered (queued or running); beyond: 503 +
  // Retry-After at once, so overload sheds load instead of growing an unbounded queue. Below
  // max_connections, or it would never bind: one request per HTTP/1.1 connection at a time.
  size_t max_pending_requests = 256;
  // Failed authentications per client address (issue 8): a bucket of `burst`, refilled at
  // `per_minute`; beyond it 429 with Retry-After, and one audit row per address and minute.
  uint64_t auth_failures_per_minute = 60;
  uint64_t auth_failure_burst = 30;

  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};   // waiting for and reading a request's headers
  std::chrono::milliseconds read_timeout{30'000};   // reading a request's body
  std::chrono::milliseconds write_timeout{30'000};  // writing a response
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests after SIGTERM

  std::chrono::seconds nonce_lifetime{120};  // challenges (DESIGN.md §1)
  std::chrono::seconds token_lifetime{300};  // EAR tokens issued with verdicts

  uint64_t audit_checkpoint_every = 1000;                // records per signed checkpoint (issue 7)
  std::chrono::seconds audit_checkpoint_interval{60};    // or this long, whichever comes first

  friend bool operator==(const Config&, const Config&) = default;
};

// Parses "HOST:PORT" ("127.0.0.1:8443", "[::1]:0").
std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text);

// Applies a JSON config document over the defaults. Unknown keys, wrong types and out-of-range
// values are errors naming the key.
std::expected<Config, std::string> parse_config(std::string_view json_text);
// Reads and parses a config file.
std::expected<Config, std::string> load_config_file(const std::filesystem::path& path);

// Makes the TLS and key-encryption-key paths absolute against the data directory.
void resolve_paths(Config& config, const std::filesystem::path& data_dir);

}  // namespace attestd::server
