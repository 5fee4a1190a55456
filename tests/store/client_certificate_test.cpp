// Host client certificates in the store (issue 8): registration keyed by the SHA-256 of the DER
// across all tenants, listing and revocation scoped to the tenant's host, audit rows in the
// tenant's chain, and authentication by fingerprint with its refusals (unknown, revoked, outside
// the validity period, tenant deleted).
#include "ids.h"
#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class ClientCertificateTest : public StoreTest {
 protected:
  // A "certificate" valid from +0 s to +3600 s: the store keeps bytes and times, the service
  // parses (tests/service/client_certificates_api_test.cpp uses real certificates).
  static NewClientCertificate cert(Sha256 sha = random_hash()) {
    NewClientCertificate c;
    c.der = {0x30, 0x03, 0x02, 0x01, 0x01};
    c.der_sha256 = sha;
    c.not_before = at(0);
    c.not_after = at(3'600'000);
    return c;
  }

  std::vector<AuditRecord> audit(const TenantScope& scope, const std::string& action) {
    AuditQuery q;
    q.action = action;
    auto rows = store_->list_audit(scope, q);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<AuditRecord>{};
  }
};

TEST_F(ClientCertificateTest, AddListRevokeAreAuditedInTheTenantsChain) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  const auto c = cert();
  auto added = store_->add_client_certificate(acme, "web-1", c, ctx_at(10));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->host_id, "web-1");
  EXPECT_EQ(added->der_sha256, c.der_sha256);
  EXPECT_EQ(added->created_at, at(10));
  EXPECT_FALSE(added->revoked_at);

  auto listed = store_->list_client_certificates(acme, "web-1");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front().id, added->id);
  EXPECT_EQ(listed->front().not_after, c.not_after);

  auto revoked = store_->revoke_client_certificate(acme, "web-1", added->id, ctx_at(20));
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(revoked->revoked_at, at(20));
  // Idempotent, audited once.
  auto again = store_->revoke_client_certificate(acme, "web-1", added->id, ctx_at(30));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->revoked_at, at(20));

  const auto adds = audit(acme, "host.certificate.add");
  ASSERT_EQ(adds.size(), 1U);
  EXPECT_EQ(adds[0].object, "host:web-1");
  EXPECT_EQ(adds[0].details["certificate_id"], added->id);
  EXPECT_EQ(adds[0].details["sha256"], sqlite::to_hex(c.der_sha256));
  const auto revokes = audit(acme, "host.certificate.revoke");
  ASSERT_EQ(revokes.size(), 1U);
  EXPECT_EQ(revokes[0].details["certificate_id"], added->id);
  EXPECT_EQ(revokes[0].time, at(20));
}

TEST_F(ClientCertificateTest, AnotherTenantsHostIsAMissingHost) {
  const auto acme = tenant("acme");
  const auto globex = tenant("globex");
  ASSERT_TRUE(store_->create_host(globex, host("web-1"), ctx_at(0)));
  auto theirs = store_->add_client_certificate(globex, "web-1", cert(), ctx_at(0));
  ASSERT_TRUE(theirs);

  const auto expect_missing_host = [](const auto& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StoreErrorCode::not_found);
    EXPECT_EQ(r.error().message, "no such host");
  };
  expect_missing_host(store_->add_client_certificate(acme, "web-1", cert(), ctx_at(0)));
  expect_missing_host(store_->list_client_certificates(acme, "web-1"));
  expect_missing_host(store_->revoke_client_certificate(acme, "web-1", theirs->id, ctx_at(0)));
  expect_missing_host(store_->add_client_certificate(acme, "nowhere", cert(), ctx_at(0)));

  // The own host with the other tenant's certificate id: a certificate that does not exist.
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  auto r = store_->revoke_client_certificate(acme, "web-1", theirs->id, ctx_at(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::not_found);
  EXPECT_EQ(r.error().message, "no such certificate");
  // And theirs is untouched.
  auto live = store_->authenticate_certificate(store_->list_client_certificates(globex, "web-1")->front().der_sha256,
                                               at(1));
  EXPECT_TRUE(live);
}

TEST_F(ClientCertificateTest, ACertificateOfAnotherHostOfTheTenantIsNotThisHostsToRevoke) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(acme, host("web-2"), ctx_at(0)));
  auto c2 = store_->add_client_certificate(acme, "web-2", cert(), ctx_at(0));
  ASSERT_TRUE(c2);
  auto r = store_->revoke_client_certificate(acme, "web-1", c2->id, ctx_at(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::not_found);
  EXPECT_TRUE(store_->list_client_certificates(acme, "web-1")->empty());
}

TEST_F(ClientCertificateTest, ASha256IsRegisteredOnceAcrossTenantsAndTheConflictNamesNoOne) {
  const auto acme = tenant("acme");
  const auto globex = tenant("globex");
  ASSERT_TRUE(store_->create_host(acme, host("acme-web"), ctx_at(0)));
  ASSERT_TRUE(store_->create_host(globex, host("globex-web"), ctx_at(0)));
  const auto c = cert();
  ASSERT_TRUE(store_->add_client_certificate(globex, "globex-web", c, ctx_at(0)));
  for (const auto& [scope, host_id] : {std::pair{acme, "acme-web"}, std::pair{globex, "globex-web"}}) {
    auto dup = store_->add_client_certificate(scope, host_id, c, ctx_at(0));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, StoreErrorCode::conflict);
    EXPECT_EQ(dup.error().message, "this certificate is already registered");
  }
  EXPECT_TRUE(audit(acme, "host.certificate.add").empty());
}

TEST_F(ClientCertificateTest, AuthenticationIsAnAttesterOfExactlyItsHost) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  const auto c = cert();
  auto added = store_->add_client_certificate(acme, "web-1", c, ctx_at(0));
  ASSERT_TRUE(added);
  auto cred = store_->authenticate_certificate(c.der_sha256, at(1000));
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->role, Role::attester);
  EXPECT_EQ(cred->token_id, added->id);
  ASSERT_TRUE(cred->scope);
  EXPECT_EQ(cred->scope->tenant_id(), acme.tenant_id());
  EXPECT_EQ(cred->scope->actor(), added->id);
  EXPECT_EQ(cred->allowed_hosts, std::vector<std::string>{"web-1"});
  EXPECT_FALSE(cred->allowed_keys);
  // The scope it gives sees the tenant's host.
  EXPECT_TRUE(store_->get_host(*cred->scope, "web-1"));
}

TEST_F(ClientCertificateTest, AuthenticationRefusesUnknownRevokedAndOutOfValidity) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  const auto c = cert();
  auto added = store_->add_client_certificate(acme, "web-1", c, ctx_at(0));
  ASSERT_TRUE(added);

  auto unknown = store_->authenticate_certificate(random_hash(), at(1000));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, StoreErrorCode::not_found);

  // Both ends of the validity are inclusive (RFC 5280 §4.1.2.5).
  EXPECT_TRUE(store_->authenticate_certificate(c.der_sha256, c.not_before));
  EXPECT_TRUE(store_->authenticate_certificate(c.der_sha256, c.not_after));
  for (const auto t : {c.not_before - std::chrono::milliseconds(1), c.not_after + std::chrono::milliseconds(1)}) {
    auto r = store_->authenticate_certificate(c.der_sha256, t);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StoreErrorCode::token_expired);
  }

  ASSERT_TRUE(store_->revoke_client_certificate(acme, "web-1", added->id, ctx_at(5)));
  auto revoked = store_->authenticate_certificate(c.der_sha256, at(1000));
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, StoreErrorCode::token_revoked);
}

TEST_F(ClientCertificateTest, DeletingTheTenantDeletesItsCertificatesAndFreesTheirHashes) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  const auto c = cert();
  ASSERT_TRUE(store_->add_client_certificate(acme, "web-1", c, ctx_at(0)));
  auto deleted = store_->delete_tenant("acme", "test-operator", ctx_at(10));
  ASSERT_TRUE(deleted) << deleted.error().message;
  auto gone = store_->authenticate_certificate(c.der_sha256, at(1000));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, StoreErrorCode::not_found);
  // The certificate may now be registered by someone else.
  const auto globex = tenant("globex");
  ASSERT_TRUE(store_->create_host(globex, host("web-1"), ctx_at(0)));
  EXPECT_TRUE(store_->add_client_certificate(globex, "web-1", c, ctx_at(20)));
}

TEST_F(ClientCertificateTest, RevocationByAnotherStoreInstanceIsSeenAtOnce) {
  const auto acme = tenant("acme");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  const auto c = cert();
  auto added = store_->add_client_certificate(acme, "web-1", c, ctx_at(0));
  ASSERT_TRUE(added);
  ASSERT_TRUE(store_->authenticate_certificate(c.der_sha256, at(1000)));
  {
    // As `attestctl --data-dir` in another process would.
    auto other = sqlite::SqliteStore::open(db_path(), options());
    ASSERT_TRUE(other) << other.error().message;
    ASSERT_TRUE((*other)->revoke_client_certificate(acme, "web-1", added->id, ctx_at(50)));
  }
  auto r = store_->authenticate_certificate(c.der_sha256, at(1000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, StoreErrorCode::token_revoked);
}

}  // namespace
}  // namespace attestd::store::testing
