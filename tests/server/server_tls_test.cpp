// TLS of the server core, over real loopback connections: versions, ciphers, reload.
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "attestd/server/self_signed.h"
#include "test_client.h"
#include "test_server.h"

namespace attestd::server::test {
namespace {

TEST(ServerTls, HealthzOverTls13) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto c = TlsClient::connect(s.port(), versions(TLS1_3_VERSION, TLS1_3_VERSION));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->protocol_version(), TLS1_3_VERSION);
  auto r = c->request("GET", "/healthz");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json(), nlohmann::json({{"status", "ok"}}));
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("x-request-id").size(), 32U);
  EXPECT_EQ(r->header("cache-control"), "no-store");
}

TEST(ServerTls, HealthzOverTls12UsesEcdheAead) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto c = TlsClient::connect(s.port(), versions(TLS1_2_VERSION, TLS1_2_VERSION));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->protocol_version(), TLS1_2_VERSION);
  EXPECT_TRUE(c->cipher().starts_with("ECDHE-ECDSA-")) << c->cipher();
  EXPECT_TRUE(c->cipher().find("GCM") != std::string::npos || c->cipher().find("CHACHA20") != std::string::npos)
      << c->cipher();
  auto r = c->request("GET", "/healthz");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 200);
}

TEST(ServerTls, VerifiesAgainstTheSelfSignedCertificateForLocalhost) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto c = TlsClient::connect(s.port(), verifying(s.config.tls_certificate.string()));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->request("GET", "/healthz")->status, 200);
}

// The control for the refusal below: the very same client options complete a TLS 1.1
// handshake with a server that allows it, so the refusal is attestd's doing and not the
// client's inability to offer TLS 1.1 (Debian's openssl.cnf disables it by default).
TEST(ServerTls, Tls11ClientWorksAgainstALegacyServer) {
  TempDir dir;
  write_self_signed(dir.path() / "c.pem", dir.path() / "k.pem");
  SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_security_level(sctx, 0);
  SSL_CTX_set_cipher_list(sctx, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(sctx, TLS1_1_VERSION);
  SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
  ASSERT_EQ(SSL_CTX_use_certificate_file(sctx, (dir.path() / "c.pem").c_str(), SSL_FILETYPE_PEM), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(sctx, (dir.path() / "k.pem").c_str(), SSL_FILETYPE_PEM), 1);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::thread server([&] {
    SSL* ssl = SSL_new(sctx);
    SSL_set_fd(ssl, fds[0]);
    SSL_accept(ssl);
    SSL_free(ssl);
  });
  SSL_CTX* cctx = make_client_ctx(versions(TLS1_1_VERSION, TLS1_1_VERSION, true));
  SSL* ssl = SSL_new(cctx);
  SSL_set_fd(ssl, fds[1]);
  int rc = SSL_connect(ssl);
  EXPECT_EQ(rc, 1) << ERR_error_string(ERR_get_error(), nullptr);
  EXPECT_EQ(SSL_version(ssl), TLS1_1_VERSION);
  SSL_free(ssl);
  ::close(fds[1]);
  server.join();
  ::close(fds[0]);
  SSL_CTX_free(cctx);
  SSL_CTX_free(sctx);
}

TEST(ServerTls, Tls11IsRefused) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  for (int v : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto c = TlsClient::connect(s.port(), versions(v, v, true));
    ASSERT_FALSE(c) << "TLS version " << v << " was accepted";
    EXPECT_NE(c.error().find("version"), std::string::npos) << c.error();
  }
  auto m = fetch(s.port(), "GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("attestd_tls_handshake_failures_total 2"), std::string::npos) << m->body;
}

TEST(ServerTls, Tls12CbcSuitesAreRefused) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  ClientOptions o = versions(TLS1_2_VERSION, TLS1_2_VERSION, true);
  o.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384";
  auto c = TlsClient::connect(s.port(), o);
  EXPECT_FALSE(c);
}

TEST(ServerTls, ReloadSwapsCertificateForNewHandshakesOnly) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto old_conn = TlsClient::connect(s.port());
  ASSERT_TRUE(old_conn) << old_conn.error();
  ASSERT_EQ(old_conn->request("GET", "/healthz")->status, 200);
  const std::string old_cert = old_conn->peer_certificate_der();

  write_self_signed(s.config.tls_certificate, s.config.tls_private_key);
  auto reloaded = s.server->reload_tls();
  ASSERT_TRUE(reloaded) << reloaded.error();

  auto new_conn = TlsClient::connect(s.port(), verifying(s.config.tls_certificate.string()));
  ASSERT_TRUE(new_conn) << new_conn.error();
  EXPECT_NE(new_conn->peer_certificate_der(), old_cert);
  EXPECT_EQ(new_conn->request("GET", "/healthz")->status, 200);
  // The connection established before the reload is untouched.
  auto again = old_conn->request("GET", "/healthz");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->status, 200);
}

TEST(ServerTls, FailedReloadKeepsTheOldCertificate) {
  TestServer s;
  ASSERT_EQ(s.error, "");
  auto before = TlsClient::connect(s.port());
  ASSERT_TRUE(before);
  const std::string cert = before->peer_certificate_der();
  std::ofstream(s.config.tls_private_key) << "not a key";
  auto reloaded = s.server->reload_tls();
  ASSERT_FALSE(reloaded);
  EXPECT_NE(reloaded.error().find("private key"), std::string::npos) << reloaded.error();
  auto after = TlsClient::connect(s.port());
  ASSERT_TRUE(after) << after.error();
  EXPECT_EQ(after->peer_certificate_der(), cert);
  auto m = after->request("GET", "/metrics");
  EXPECT_NE(m->body.find("attestd_tls_reloads_total{result=\"failure\"} 1"), std::string::npos);
}

TEST(ServerTls, CreateFailsOnMismatchedKey) {
  TempDir dir;
  Config c = test_config(dir.path());
  write_self_signed(c.tls_certificate, c.tls_private_key);
  auto other = generate_self_signed({});
  ASSERT_TRUE(other);
  std::ofstream(c.tls_private_key) << other->private_key_pem;
  TestServer s(c);
  EXPECT_NE(s.error.find("private key"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace attestd::server::test
