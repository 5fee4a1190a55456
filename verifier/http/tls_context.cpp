#include "tls_context.h"

#include <array>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace attestd::server::detail {
namespace {

// TLS 1.2: ECDHE only (forward secrecy) with AES-GCM or ChaCha20-Poly1305, ECDSA first since the
// default certificate is P-256 (Mozilla "intermediate", 2023). TLS 1.3 suites are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

// Any chain is acceptable: a client certificate is a credential only when its SHA-256 is
// registered for a host, which the authenticator checks per request. OpenSSL still checks the
// CertificateVerify signature, so a peer cannot present a certificate whose key it lacks.
int accept_any_chain(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

// Names the server's session cache; OpenSSL refuses to resume a session under SSL_VERIFY_PEER
// without one.
constexpr unsigned char kSessionIdContext[] = "attestd";

std::string last_openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return buf.data();
}

}  // namespace

std::expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context(
    const std::filesystem::path& certificate, const std::filesystem::path& private_key,
    bool request_client_certificates) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  if (ec) return std::unexpected(fmt::format("TLS options: {}", ec.message()));
  // The options above say "not these"; the minimum version also rules out anything older that a
  // future OpenSSL might add below 1.2, whatever the system openssl.cnf says.
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return std::unexpected("TLS minimum version: " + last_openssl_error());
  }
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return std::unexpected("TLS cipher configuration: " + last_openssl_error());
  }
  ctx->use_certificate_chain_file(certificate.string(), ec);
  if (ec) return std::unexpected(fmt::format("TLS certificate {}: {}", certificate.string(), ec.message()));
  ctx->use_private_key_file(private_key.string(), ssl::context::pem, ec);
  if (ec) return std::unexpected(fmt::format("TLS private key {}: {}", private_key.string(), ec.message()));
  if (SSL_CTX_check_private_key(native) != 1) {
    return std::unexpected(fmt::format("TLS private key {} does not match certificate {}", private_key.string(),
                                       certificate.string()));
  }
  if (request_client_certificates) {
    // Without SSL_VERIFY_FAIL_IF_NO_PEER_CERT: a client without a certificate still connects and
    // authenticates with its bearer token.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, accept_any_chain);
    if (SSL_CTX_set_session_id_context(native, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
      return std::unexpected("TLS session id context: " + last_openssl_error());
    }
  }
  return ctx;
}

}  // namespace attestd::server::detail
