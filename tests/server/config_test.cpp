#include <gtest/gtest.h>

#include "attestd/server/config.h"

namespace attestd::server {
namespace {

using namespace std::chrono_literals;

TEST(Config, EmptyDocumentGivesTheDocumentedDefaults) {
  auto c = parse_config("{}");
  ASSERT_TRUE(c) << c.error();
  const Config defaults;
  EXPECT_EQ(*c, defaults);
  EXPECT_EQ(c->listen, (ListenAddress{"127.0.0.1", 8443}));
  EXPECT_EQ(c->threads, 0U);
  EXPECT_EQ(c->nonce_lifetime, 120s);
  EXPECT_EQ(c->token_lifetime, 300s);
  EXPECT_EQ(c->max_body_bytes, 1024U * 1024U);
  EXPECT_EQ(c->max_header_bytes, 16U * 1024U);
}

TEST(Config, EveryKeyCanBeSet) {
  auto c = parse_config(R"({
    "listen": "[::1]:0", "threads": 3,
    "tls": {"certificate": "/etc/a.crt", "private_key": "k.pem"},
    "limits": {"max_header_bytes": 2048, "max_body_bytes": 10, "max_nesting_depth": 8,
               "max_connections": 5, "overload_connections": 0, "retry_after_s": 9},
    "timeouts": {"handshake_ms": 1, "idle_ms": 2, "read_ms": 3, "write_ms": 4, "shutdown_grace_ms": 0},
    "attestation": {"nonce_lifetime_s": 30, "token_lifetime_s": 60}
  })");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->listen, (ListenAddress{"::1", 0}));
  EXPECT_EQ(c->threads, 3U);
  EXPECT_EQ(c->tls_certificate, "/etc/a.crt");
  EXPECT_EQ(c->max_header_bytes, 2048U);
  EXPECT_EQ(c->max_body_bytes, 10U);
  EXPECT_EQ(c->max_nesting_depth, 8U);
  EXPECT_EQ(c->max_connections, 5U);
  EXPECT_EQ(c->overload_connections, 0U);
  EXPECT_EQ(c->retry_after, 9s);
  EXPECT_EQ(c->handshake_timeout, 1ms);
  EXPECT_EQ(c->idle_timeout, 2ms);
  EXPECT_EQ(c->read_timeout, 3ms);
  EXPECT_EQ(c->write_timeout, 4ms);
  EXPECT_EQ(c->shutdown_grace, 0ms);
  EXPECT_EQ(c->nonce_lifetime, 30s);
  EXPECT_EQ(c->token_lifetime, 60s);

  resolve_paths(*c, "/data");
  EXPECT_EQ(c->tls_certificate, "/etc/a.crt");
  EXPECT_EQ(c->tls_private_key, "/data/k.pem");
}

TEST(Config, UnknownKeysAreErrorsAtEveryLevel) {
  auto top = parse_config(R"({"listn": "127.0.0.1:1"})");
  ASSERT_FALSE(top);
  EXPECT_NE(top.error().find("listn"), std::string::npos);
  auto nested = parse_config(R"({"limits": {"max_body": 1}})");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().find("limits: unknown key 'max_body'"), std::string::npos) << nested.error();
}

TEST(Config, WrongTypesAndRangesAreErrorsNamingTheKey) {
  for (const char* doc : {R"({"threads": -1})", R"({"threads": "2"})", R"({"limits": {"max_header_bytes": 10}})",
                          R"({"timeouts": {"idle_ms": 0}})", R"({"tls": {"certificate": ""}})", R"({"listen": 8443})",
                          R"({"limits": []})", "[]", "{", R"({"attestation": {"nonce_lifetime_s": 1.5}})"}) {
    auto c = parse_config(doc);
    EXPECT_FALSE(c) << doc;
  }
  auto c = parse_config(R"({"timeouts": {"idle_ms": 0}})");
  EXPECT_NE(c.error().find("timeouts.idle_ms"), std::string::npos) << c.error();
}

TEST(Config, ListenAddresses) {
  EXPECT_EQ(parse_listen_address("0.0.0.0:443"), (ListenAddress{"0.0.0.0", 443}));
  EXPECT_EQ(parse_listen_address("[::]:8443"), (ListenAddress{"::", 8443}));
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:8x", "::1:80", "[::1]80"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST(Config, MissingFileIsAnError) {
  auto c = load_config_file("/nonexistent/attestd.json");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace attestd::server
