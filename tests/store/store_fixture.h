// Shared set-up for the store tests: a fresh database file in a temporary directory (never
// :memory:, which cannot be WAL), tenants with admin credentials, and fixed times.
#pragma once

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "attestd/store/store.h"
#include "sqlite_store.h"

namespace attestd::store::testing {

// 2024-01-01T00:00:00Z plus `ms`: tests never read the clock.
inline Timestamp at(int64_t ms) { return Timestamp(std::chrono::milliseconds(1'704'067'200'000LL + ms)); }
inline RequestContext ctx_at(int64_t ms) { return RequestContext{at(ms), "req-test", "127.0.0.1"}; }

inline Sha256 random_hash() {
  Sha256 h{};
  EXPECT_EQ(RAND_bytes(h.data(), static_cast<int>(h.size())), 1);
  return h;
}
inline Nonce random_nonce() { return random_hash(); }

// A directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "attestd-store-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  StoreOptions options() const {
    StoreOptions o;
    o.durability = durability_;
    return o;
  }

  void reopen() {
    store_.reset();
    auto opened = sqlite::SqliteStore::open(db_path(), options());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  void close() { store_.reset(); }

  std::filesystem::path db_path() const { return dir_.path() / "attestd.db"; }

  // Creates a tenant and an admin token, and authenticates it: the only way to get a scope.
  TenantScope tenant(const std::string& name, Role role = Role::admin) {
    if (!store_->find_tenant(name)) {
      auto t = store_->create_tenant(name, "test-operator", ctx_at(0));
      EXPECT_TRUE(t) << t.error().message;
    }
    NewToken token;
    token.role = role;
    token.token_sha256 = random_hash();
    auto created = store_->create_token(name, token, "test-operator", ctx_at(0));
    EXPECT_TRUE(created) << created.error().message;
    auto cred = store_->authenticate(token.token_sha256, at(0));
    EXPECT_TRUE(cred) << cred.error().message;
    return *cred->scope;
  }

  NewHost host(const std::string& id) {
    NewHost h;
    h.host_id = id;
    h.ak_public = {0x00, 0x01, 0x02};
    h.ak_name = {0x00, 0x0b, 0xaa};
    h.labels = {{"rack", "r1"}};
    return h;
  }

  NewAttestation affirming() {
    NewAttestation a;
    a.verdict = Verdict::affirming;
    a.token = "eyJ.ear.token";
    a.policy_name = "default";
    a.policy_version = 1;
    a.evidence_digests = {{"tpm.quote", "00ff"}};
    return a;
  }

  // A host and an unexpired challenge for it (expires at +120 s).
  Challenge host_with_challenge(const TenantScope& scope, const std::string& host_id) {
    if (!store_->get_host(scope, host_id)) {
      auto h = store_->create_host(scope, host(host_id), ctx_at(0));
      EXPECT_TRUE(h) << h.error().message;
    }
    auto ch = store_->create_challenge(scope, host_id, random_nonce(), at(120'000), ctx_at(0));
    EXPECT_TRUE(ch) << ch.error().message;
    return *ch;
  }

  Durability durability_ = Durability::full;  // what the service runs with
  TempDir dir_;
  std::unique_ptr<sqlite::SqliteStore> store_;
};

}  // namespace attestd::store::testing
