#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attestd/server/self_signed.h"
#include "test_server.h"

namespace attestd::server {
namespace {

X509* parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

TEST(SelfSigned, P256CertificateForLocalhostAnd127001) {
  auto pems = generate_self_signed({});
  ASSERT_TRUE(pems) << pems.error();
  X509* cert = parse_cert(pems->certificate_pem);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[64] = {};
  size_t len = 0;
  EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert, "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_verify(cert, key), 1) << "self-signed";
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(cert)), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(cert)), 1);
  X509_free(cert);
  EXPECT_NE(pems->private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(SelfSigned, EnsureGeneratesOnceWithKeyMode0600) {
  test::TempDir dir;
  auto cert = dir.path() / "tls/server.crt";
  auto key = dir.path() / "tls/server.key";
  auto first = ensure_tls_files(cert, key);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(*first, TlsFilesOutcome::generated);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  std::ifstream in(cert);
  std::string before((std::istreambuf_iterator<char>(in)), {});
  auto second = ensure_tls_files(cert, key);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, TlsFilesOutcome::existing);
  std::ifstream again(cert);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), {}), before);
}

TEST(SelfSigned, OneFileWithoutTheOtherIsAnError) {
  test::TempDir dir;
  auto cert = dir.path() / "c.pem";
  auto key = dir.path() / "k.pem";
  std::ofstream(key) << "existing key";
  auto r = ensure_tls_files(cert, key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("refusing"), std::string::npos);
  std::ifstream in(key);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "existing key");
}

}  // namespace
}  // namespace attestd::server
