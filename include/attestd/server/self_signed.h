// The embedded-default TLS identity: a self-signed certificate for localhost.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace attestd::server {

struct SelfSignedOptions {
  std::string common_name = "attestd";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  std::chrono::days validity{365};
};

struct PemPair {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

// Generates an ECDSA P-256 key and a self-signed X.509 v3 certificate (SAN, serverAuth) valid
// from one hour ago (clock skew) for options.validity. Fails with OpenSSL's error text.
std::expected<PemPair, std::string> generate_self_signed(const SelfSignedOptions& options);

enum class TlsFilesOutcome { existing, generated };

// Leaves existing files alone when both exist; generates both when neither does (the key with
// mode 0600, written to a temporary file and renamed so a crash leaves no half key). One without
// the other is an error: attestd never overwrites key material it did not create.
std::expected<TlsFilesOutcome, std::string> ensure_tls_files(const std::filesystem::path& certificate,
                                                             const std::filesystem::path& private_key,
                                                             const SelfSignedOptions& options = {});

}  // namespace attestd::server
