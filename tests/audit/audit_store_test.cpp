// The audit chain through the real store (a SQLite file): the documented encoding, linking,
// tamper detection by the chain walker, filtered queries with tenant isolation, checkpoints
// signed and verified with real ES256 keys, and refused requests in the system chain.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attestd/result/base64url.h"
#include "attestd/result/signing_key.h"
#include "attestd/server/request.h"
#include "attestd/service/audit_auth_failures.h"
#include "attestd/service/audit_checkpoints.h"
#include "attestd/store/audit_chain.h"
#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

ChainRecord to_chain(const std::string& tenant_id, const AuditRecord& r) {
  return ChainRecord{r.id,        tenant_id,         r.chain_seq, r.time.time_since_epoch().count(),
                     r.actor,     r.action,          r.object,    r.details_text,
                     r.request_id, r.client_address, r.prev_hash, r.hash};
}

class AuditChainTest : public StoreTest {
 protected:
  // The tenant's whole chain, oldest first, as the walker wants it.
  std::vector<ChainRecord> chain(const TenantScope& scope) {
    auto records = store_->export_audit(scope, 0, std::nullopt, 10000);
    EXPECT_TRUE(records) << records.error().message;
    std::vector<ChainRecord> out;
    for (const auto& r : *records) out.push_back(to_chain(scope.tenant_id(), r));
    return out;
  }

  std::optional<ChainFault> walk(const std::string& tenant, const std::vector<ChainRecord>& records) {
    ChainVerifier v(tenant);
    for (const auto& r : records) v.add(r);
    return v.fault();
  }

  // A tenant with a few hosts and attestations, one of them contraindicated with two reasons.
  TenantScope populated(const std::string& name) {
    const auto scope = tenant(name);
    for (int i = 0; i < 3; ++i) {
      const std::string host_id = fmt::format("{}-h{}", name, i);
      const auto ch = host_with_challenge(scope, host_id);
      NewAttestation a = affirming();
      if (i == 1) {
        a.verdict = Verdict::contraindicated;
        a.reasons = {{"tpm.quote.pcr_digest_mismatch", ""}, {"eventlog.replay.pcr_mismatch", ""}};
      }
      EXPECT_TRUE(store_->consume_challenge_and_record(scope, ch.id, host_id, a, ctx_at(1000 * (i + 1))));
    }
    return scope;
  }
};

TEST_F(AuditChainTest, CanonicalEncodingIsTheDocumentedOne) {
  ChainRecord r;
  r.tenant_id = "t1";
  r.chain_seq = 2;
  r.time_ms = -5;
  r.actor = "tok";
  r.action = "host.create";
  r.object = "host:h";
  r.details = "{\"a\":\"\xc3\xa9\"}";
  r.request_id = "r";
  r.client_address = "::1";
  // 01 | 00000002 "t1" | u64be 2 | i64be -5 | 00000003 "tok" | 0000000b "host.create" | 00000006
  // "host:h" | 0000000a {"a":"é"} | 00000001 "r" | 00000003 "::1"  (docs/audit.md)
  EXPECT_EQ(audit_canonical(r),
            from_hex("010000000274310000000000000002fffffffffffffffb00000003746f6b0000000b686f73742e637265617465"
                     "00000006686f73743a680000000a7b2261223a22c3a9227d0000000172000000033a3a31"));
  Sha256 prev;
  prev.fill(7);
  EXPECT_EQ(audit_hex(audit_chain_hash(prev, r)), "0fef24169934300c06f81e367a83cafe582355db0ecf9aae4f671d6bbb2d0443");
}

TEST_F(AuditChainTest, EveryAppendLinksToThePreviousRecordOfItsTenantsChain) {
  const auto a = populated("a");
  const auto b = populated("b");
  for (const auto* scope : {&a, &b}) {
    const auto records = chain(*scope);
    ASSERT_GE(records.size(), 7u);
    EXPECT_EQ(records.front().prev_hash, kAuditGenesis);
    for (size_t i = 1; i < records.size(); ++i) EXPECT_EQ(records[i].prev_hash, records[i - 1].hash);
    EXPECT_FALSE(walk(scope->tenant_id(), records)) << walk(scope->tenant_id(), records)->message;
  }
}

TEST_F(AuditChainTest, WalkerNamesAnEditedRecord) {
  const auto a = populated("a");
  auto records = chain(a);
  records[4].details = R"({"verdict":"affirming"})";
  const auto fault = walk(a.tenant_id(), records);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->reason_id, "audit.chain.hash_mismatch");
  EXPECT_EQ(fault->chain_seq, 5);
}

TEST_F(AuditChainTest, WalkerNamesADeletedRecord) {
  const auto a = populated("a");
  auto records = chain(a);
  records.erase(records.begin() + 3);
  const auto fault = walk(a.tenant_id(), records);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->reason_id, "audit.chain.seq_gap");
  EXPECT_EQ(fault->chain_seq, 4);
}

TEST_F(AuditChainTest, WalkerNamesSwappedRecords) {
  const auto a = populated("a");
  auto records = chain(a);
  std::swap(records[2], records[3]);
  std::swap(records[2].chain_seq, records[3].chain_seq);
  const auto fault = walk(a.tenant_id(), records);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->reason_id, "audit.chain.prev_mismatch");
  EXPECT_EQ(fault->chain_seq, 3);
}

TEST_F(AuditChainTest, WalkerNamesARecordAppendedOutOfOrder) {
  const auto a = populated("a");
  auto records = chain(a);
  std::swap(records[2].id, records[3].id);
  const auto fault = walk(a.tenant_id(), records);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->reason_id, "audit.chain.order");
  EXPECT_EQ(fault->chain_seq, 4);
}

TEST_F(AuditChainTest, WalkerRefusesARecordOfAnotherChain) {
  const auto a = populated("a");
  const auto b = populated("b");
  auto records = chain(a);
  records[2] = chain(b)[2];
  const auto fault = walk(a.tenant_id(), records);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->reason_id, "audit.chain.tenant_mismatch");
  EXPECT_EQ(fault->chain_seq, 3);
}

TEST_F(AuditChainTest, FiltersSelectByHostVerdictReasonAndTime) {
  const auto a = populated("a");
  AuditQuery q;
  q.host = "a-h1";
  auto by_host = store_->list_audit(a, q);
  ASSERT_TRUE(by_host);
  ASSERT_EQ(by_host->size(), 3u);  // host.create, challenge.create, attestation.record; newest first
  EXPECT_EQ((*by_host)[0].action, "attestation.record");
  for (const auto& r : *by_host) EXPECT_EQ(r.object, "host:a-h1");

  q = {};
  q.verdict = "contraindicated";
  auto by_verdict = store_->list_audit(a, q);
  ASSERT_TRUE(by_verdict);
  ASSERT_EQ(by_verdict->size(), 1u);
  EXPECT_EQ((*by_verdict)[0].object, "host:a-h1");

  q = {};
  q.reason = "eventlog.replay.pcr_mismatch";
  q.action = "attestation.record";
  auto by_reason = store_->list_audit(a, q);
  ASSERT_TRUE(by_reason);
  ASSERT_EQ(by_reason->size(), 1u);
  EXPECT_EQ((*by_reason)[0].details["verdict"], "contraindicated");

  q = {};
  q.action = "attestation.record";
  q.since = at(2000);
  q.until = at(3000);
  auto by_time = store_->list_audit(a, q);
  ASSERT_TRUE(by_time);
  ASSERT_EQ(by_time->size(), 1u);
  EXPECT_EQ((*by_time)[0].time, at(2000));
}

TEST_F(AuditChainTest, CursorPagesThroughEveryRecordOnceNewestFirst) {
  const auto a = populated("a");
  const size_t total = chain(a).size();
  AuditQuery q;
  q.limit = 2;
  std::vector<int64_t> seqs;
  for (;;) {
    auto page = store_->list_audit(a, q);
    ASSERT_TRUE(page);
    for (const auto& r : *page) seqs.push_back(r.chain_seq);
    if (page->size() < 2) break;
    q.before_id = page->back().id;
  }
  ASSERT_EQ(seqs.size(), total);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(total - i));
}

TEST_F(AuditChainTest, ATenantSeesOnlyItsOwnRecords) {
  const auto a = populated("a");
  const auto b = tenant("b", Role::auditor);
  AuditQuery q;
  q.host = "a-h1";
  auto seen = store_->list_audit(b, q);
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->empty());
  q = {};
  q.reason = "eventlog.replay.pcr_mismatch";
  EXPECT_TRUE(store_->list_audit(b, q)->empty());
  auto all = store_->list_audit(b, AuditQuery{});
  ASSERT_TRUE(all);
  for (const auto& r : *all) EXPECT_NE(r.object, "host:a-h1");
  auto exported = store_->export_audit(b, 0, std::nullopt, 10000);
  ASSERT_TRUE(exported);
  for (const auto& r : *exported) EXPECT_EQ(r.action, "token.create");  // b's own token only
  EXPECT_TRUE(store_->list_audit_checkpoints(b, 10)->empty());
}

class AuditCheckpointTest : public AuditChainTest {
 protected:
  void SetUp() override {
    AuditChainTest::SetUp();
    auto key = result::SigningKey::generate();
    ASSERT_TRUE(key);
    keys_ = std::make_shared<const result::KeySet>(*key);
  }
  std::shared_ptr<Store> shared_store() {
    return std::shared_ptr<Store>(store_.get(), [](Store*) {});  // the fixture owns it
  }
  std::shared_ptr<const result::KeySet> keys_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::time_point(at(100'000));
};

TEST_F(AuditCheckpointTest, CheckpointIsSignedOverTheChainHeadAndVerifies) {
  const auto a = populated("a");
  service::Checkpointer cp(shared_store(), keys_, {.every_records = 1000, .interval = std::chrono::seconds(60)},
                           [this] { return now_; });
  auto stored = cp.run_once();  // a chain without any checkpoint is due at once
  ASSERT_TRUE(stored) << stored.error();
  EXPECT_EQ(*stored, 2);  // tenant a's chain and the system chain (tenant.create)
  const auto records = chain(a);
  auto checkpoints = store_->list_audit_checkpoints(a, 10);
  ASSERT_TRUE(checkpoints);
  ASSERT_EQ(checkpoints->size(), 1u);
  EXPECT_EQ((*checkpoints)[0].size, static_cast<int64_t>(records.size()));
  EXPECT_EQ((*checkpoints)[0].head, *records.back().hash);
  auto claims = service::verify_checkpoint((*checkpoints)[0].jws, keys_->verification_keys());
  ASSERT_TRUE(claims) << claims.error().reason_id;
  EXPECT_EQ(claims->tenant_id, a.tenant_id());
  EXPECT_EQ(claims->size, static_cast<int64_t>(records.size()));
  EXPECT_EQ(claims->head, *records.back().hash);
  EXPECT_EQ(claims->time_ms, std::chrono::time_point_cast<std::chrono::milliseconds>(now_).time_since_epoch().count());
  EXPECT_EQ(*cp.run_once(), 0);  // nothing new: nothing signed
}

TEST_F(AuditCheckpointTest, CheckpointsFollowTheRecordCountAndTheInterval) {
  const auto a = tenant("a");
  service::Checkpointer cp(shared_store(), keys_, {.every_records = 5, .interval = std::chrono::seconds(60)},
                           [this] { return now_; });
  ASSERT_TRUE(cp.run_once());
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store_->append_audit(a, {"test.event", "x", {}}, ctx_at(i)));
  };
  append(4);
  EXPECT_EQ(*cp.run_once(), 0);  // 4 < 5 and the newest checkpoint is fresh
  append(1);
  EXPECT_EQ(*cp.run_once(), 1);  // 5 new records
  append(1);
  EXPECT_EQ(*cp.run_once(), 0);
  now_ += std::chrono::seconds(61);
  EXPECT_EQ(*cp.run_once(), 1);  // one record, but the newest checkpoint is older than the interval
  EXPECT_EQ(store_->list_audit_checkpoints(a, 10)->size(), 3u);
}

TEST_F(AuditCheckpointTest, StoreRefusesACheckpointThatDoesNotMatchTheChain) {
  const auto a = populated("a");
  const auto records = chain(a);
  const Timestamp t = at(0);
  auto wrong_head = store_->add_audit_checkpoint(a.tenant_id(), {2, random_hash(), t, "x.y.z"});
  ASSERT_FALSE(wrong_head);
  EXPECT_EQ(wrong_head.error().code, StoreErrorCode::invalid_argument);
  auto beyond = store_->add_audit_checkpoint(a.tenant_id(), {999, *records.back().hash, t, "x.y.z"});
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, StoreErrorCode::invalid_argument);
  const AuditCheckpoint good{2, *records[1].hash, t, "x.y.z"};
  ASSERT_TRUE(store_->add_audit_checkpoint(a.tenant_id(), good));
  auto again = store_->add_audit_checkpoint(a.tenant_id(), good);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, StoreErrorCode::conflict);
}

TEST_F(AuditCheckpointTest, ForgedCheckpointsAreRefusedWithTheirReason) {
  const service::CheckpointClaims claims{"tenant", 3, random_hash(), 1234};
  auto jws = service::sign_checkpoint(keys_->active(), claims);
  ASSERT_TRUE(jws) << jws.error();
  ASSERT_TRUE(service::verify_checkpoint(*jws, keys_->verification_keys()));

  std::string bad_sig = *jws;
  bad_sig[bad_sig.size() - 5] = bad_sig[bad_sig.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(service::verify_checkpoint(bad_sig, keys_->verification_keys()).error().reason_id,
            "audit.checkpoint.signature_invalid");

  // The payload swapped for one claiming a larger log, signature kept.
  const size_t d1 = jws->find('.'), d2 = jws->rfind('.');
  const std::string forged_payload = result::base64url_encode(
      nlohmann::json({{"tenant", "tenant"}, {"size", 4}, {"head", audit_hex(claims.head)}, {"time", 1234}}).dump());
  const std::string swapped = jws->substr(0, d1 + 1) + forged_payload + jws->substr(d2);
  EXPECT_EQ(service::verify_checkpoint(swapped, keys_->verification_keys()).error().reason_id,
            "audit.checkpoint.signature_invalid");

  auto other = result::SigningKey::generate();
  ASSERT_TRUE(other);
  const std::vector<result::VerificationKey> others{other->verification_key()};
  EXPECT_EQ(service::verify_checkpoint(*jws, others).error().reason_id, "audit.checkpoint.unknown_key");

  const std::string none = result::base64url_encode(std::string(R"({"alg":"none","typ":"attestd-audit-checkpoint"})")) +
                           jws->substr(d1, d2 - d1) + ".";
  EXPECT_EQ(service::verify_checkpoint(none, keys_->verification_keys()).error().reason_id,
            "audit.checkpoint.malformed");
  EXPECT_EQ(service::verify_checkpoint("a.b", keys_->verification_keys()).error().reason_id,
            "audit.checkpoint.malformed");
}

TEST_F(AuditCheckpointTest, RefusedRequestIsRecordedInTheSystemChainWithoutTheToken) {
  service::AuditAuthFailures observer(shared_store(), [this] { return now_; });
  server::Request request;
  request.method = server::Method::get;
  request.path = "/v1/audit";
  request.route_pattern = "/v1/audit";
  request.request_id = "rid-1";
  request.client_address = "198.51.100.9";
  request.headers = {{"authorization", "Bearer s3cret-token-value"}};
  observer.on_auth_failure(request, {server::AuthFailureKind::invalid_credentials, "auth.token.invalid", "bad", {}});

  server::Principal principal;
  principal.tenant_id = "t-1";
  principal.credential_id = "token-id-7";
  request.principal = principal;
  observer.on_auth_failure(request, {server::AuthFailureKind::forbidden, "auth.role.forbidden", "role", {}});

  auto records = store_->export_system_audit(0, 100);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2u);
  const auto& first = (*records)[0];
  EXPECT_EQ(first.action, "auth.failure");
  EXPECT_EQ(first.actor, "anonymous");
  EXPECT_EQ(first.details["reason"], "auth.token.invalid");
  EXPECT_EQ(first.details["path"], "/v1/audit");
  EXPECT_EQ(first.request_id, "rid-1");
  EXPECT_EQ(first.client_address, "198.51.100.9");
  EXPECT_EQ(first.details_text.find("s3cret"), std::string::npos);
  const auto& second = (*records)[1];
  EXPECT_EQ(second.actor, "token-id-7");
  EXPECT_EQ(second.details["tenant_id"], "t-1");
  EXPECT_EQ(second.details["reason"], "auth.role.forbidden");
  ChainVerifier v{std::string()};
  for (const auto& r : *records) v.add(to_chain("", r));
  EXPECT_FALSE(v.fault());
}

}  // namespace
}  // namespace attestd::store::testing
