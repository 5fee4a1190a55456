// Issue 8: two tenants enrolling the same host id and using the same golden set, policy and key
// names do not interfere. Everything goes through the real server with each tenant's own tokens:
// each sees only its own, versions count independently, and deleting one leaves the other.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>

#include "access_world.h"

namespace attestd::access_test {
namespace {

using server::Method;

class TenantInterference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = std::make_unique<World>(); }
  static void TearDownTestSuite() { world_.reset(); }
  void SetUp() override { ASSERT_TRUE(world_->ok()) << world_->error(); }

  static HttpResponse call(const TenantObjects& t, Who who, Method m, std::string target,
                           std::optional<nlohmann::json> body = std::nullopt) {
    return world_->send_as(t, who, {m, std::move(target), std::move(body), {}});
  }

  static std::unique_ptr<World> world_;
};

std::unique_ptr<World> TenantInterference::world_;

TEST_F(TenantInterference, SameHostIdEnrolledByBothTenantsStaysTwoHosts) {
  World& w = *world_;
  const auto& a = w.a;
  const auto& b = w.b;
  const auto host = World::random_name("shared-host");
  // B trusts the swtpm CA too, so that both can start a real enrollment of the same TPM.
  for (const char* f :
       {"vmboot/nosb-direct/ca/swtpm-localca-rootca-cert.pem", "vmboot/nosb-direct/ca/issuercert.pem"}) {
    const auto pem = World::shared_bytes(f);
    const auto r = call(b, Who::admin, Method::post, "/v1/tpm-roots",
                        nlohmann::json{{"certificate", std::string(pem.begin(), pem.end())}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  const auto pem = World::shared_bytes("vmboot/nosb-direct/ak.pem");
  for (const auto* t : {&a, &b}) {
    const auto r = call(
        *t, Who::admin, Method::post, "/v1/hosts",
        nlohmann::json{
            {"host_id", host}, {"ak_public", std::string(pem.begin(), pem.end())}, {"labels", {{"owner", t->name}}}});
    ASSERT_EQ(r.status, 201) << t->name << ": " << r.body;
  }
  std::map<std::string, std::string> enrollment;
  for (const auto* t : {&a, &b}) {
    const auto r = call(*t, Who::attester, Method::post, "/v1/hosts/" + host + "/enrollment",
                        nlohmann::json{{"ak_public", w.enrollment_body_ak},
                                       {"ek_public", w.enrollment_body_ek},
                                       {"ek_certificate", w.enrollment_body_ek_cert}});
    ASSERT_EQ(r.status, 201) << t->name << ": " << r.body;
    enrollment[t->name] = r.json()["enrollment_id"];
  }
  EXPECT_NE(enrollment[a.name], enrollment[b.name]);
  for (const auto* t : {&a, &b}) {
    const auto r = call(*t, Who::admin, Method::get, "/v1/hosts/" + host);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["labels"]["owner"], t->name) << "each tenant sees its own host of that id";
    const auto list = call(*t, Who::auditor, Method::get, "/v1/hosts");
    ASSERT_EQ(list.status, 200) << list.body;
    int seen = 0;
    const auto hosts = list.json()["hosts"];
    for (const auto& h : hosts) {
      if (h["host_id"] == host) {
        ++seen;
        EXPECT_EQ(h["labels"]["owner"], t->name);
      }
    }
    EXPECT_EQ(seen, 1) << t->name;
  }
  // A's enrollment cannot be activated on B's host of the same id.
  const auto r =
      call(b, Who::attester, Method::post, "/v1/hosts/" + host + "/enrollment/" + enrollment[a.name] + "/activate",
           nlohmann::json{{"secret", "AAAA"}});
  EXPECT_EQ(r.status, 404) << r.body;
  // Challenges of the same host id are each tenant's own: A's cannot be used by B.
  const auto ca = call(a, Who::attester, Method::post, "/v1/challenges", nlohmann::json{{"host_id", host}});
  ASSERT_EQ(ca.status, 201) << ca.body;
  const auto cb = call(b, Who::attester, Method::post, "/v1/challenges", nlohmann::json{{"host_id", host}});
  ASSERT_EQ(cb.status, 201) << cb.body;
  EXPECT_NE(ca.json()["nonce"], cb.json()["nonce"]);
}

TEST_F(TenantInterference, SameDocumentNamesVersionIndependentlyAndDeleteSeparately) {
  const auto& a = world_->a;
  const auto& b = world_->b;
  for (const char* kind : {"reference-sets", "policies"}) {
    SCOPED_TRACE(kind);
    const bool policy = std::string_view(kind) == "policies";
    const auto name = World::random_name("shared-doc");
    const auto doc = [&](const TenantObjects& t) {
      return policy ? World::policy_doc(name, t.reference_set) : World::reference_set_doc(name);
    };
    const auto path = fmt::format("/v1/{}/{}", kind, name);
    // A writes twice, B once: each tenant's versions count on their own.
    for (int i = 1; i <= 2; ++i) {
      const auto r = call(a, Who::admin, Method::put, path, doc(a));
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json()["version"], i);
    }
    const auto rb = call(b, Who::admin, Method::put, path, doc(b));
    ASSERT_EQ(rb.status, 200) << rb.body;
    EXPECT_EQ(rb.json()["version"], 1) << "B's first version of the name, whatever A did";
    const auto va = call(a, Who::auditor, Method::get, path + "/versions");
    const auto vb = call(b, Who::auditor, Method::get, path + "/versions");
    ASSERT_EQ(va.status, 200) << va.body;
    ASSERT_EQ(vb.status, 200) << vb.body;
    EXPECT_EQ(va.json()["versions"].size(), 2u);
    EXPECT_EQ(vb.json()["versions"].size(), 1u);
    if (policy) {
      // Each tenant's document is its own content.
      EXPECT_EQ(call(a, Who::admin, Method::get, path).json()["document"]["reference_sets"][0], a.reference_set);
      EXPECT_EQ(call(b, Who::admin, Method::get, path).json()["document"]["reference_sets"][0], b.reference_set);
    }
    // Deleting A's leaves B's.
    ASSERT_EQ(call(a, Who::admin, Method::delete_, path).status, 200);
    EXPECT_EQ(call(a, Who::admin, Method::get, path).status, 404);
    const auto still = call(b, Who::admin, Method::get, path);
    EXPECT_EQ(still.status, 200) << still.body;
    EXPECT_EQ(still.json()["version"], 1);
    const auto listed = call(b, Who::auditor, Method::get, fmt::format("/v1/{}", kind));
    bool found = false;
    const auto documents = listed.json()["documents"];
    for (const auto& d : documents) found = found || d["name"] == name;
    EXPECT_TRUE(found) << listed.body;
  }
}

TEST_F(TenantInterference, SameKeyNameRotatesAndDestroysSeparately) {
  const auto& a = world_->a;
  const auto& b = world_->b;
  const auto name = World::random_name("shared-key");
  const auto path = "/v1/keys/" + name;
  const auto put = [&](const TenantObjects& t) {
    return call(t, Who::admin, Method::put, path, nlohmann::json{{"generate", "aes-256"}, {"policies", {t.policy}}});
  };
  EXPECT_EQ(put(a).status, 201);
  EXPECT_EQ(put(a).status, 200);  // A's rotation to version 2
  const auto rb = put(b);
  ASSERT_EQ(rb.status, 201) << rb.body;
  EXPECT_EQ(rb.json()["version"], 1);
  EXPECT_EQ(call(a, Who::auditor, Method::get, path).json()["versions"].size(), 2u);
  EXPECT_EQ(call(b, Who::auditor, Method::get, path).json()["versions"].size(), 1u);
  EXPECT_EQ(call(b, Who::auditor, Method::get, path).json()["policies"][0], b.policy);
  ASSERT_EQ(call(a, Who::admin, Method::delete_, path).status, 200);
  EXPECT_EQ(call(a, Who::auditor, Method::get, path).status, 404);
  const auto still = call(b, Who::auditor, Method::get, path);
  EXPECT_EQ(still.status, 200) << still.body;
  EXPECT_EQ(still.json()["version"], 1);
  // B's EAR still releases B's key of that name.
  const auto released = call(b, Who::ear, Method::get, path + "/release");
  EXPECT_EQ(released.status, 200) << released.body;
  const auto refused = call(a, Who::ear, Method::get, path + "/release");
  EXPECT_EQ(refused.status, 404) << refused.body;
}

// The operator deletes one of two tenants holding the same host id: the other keeps its host and
// its token, the deleted tenant's token stops working at once.
TEST_F(TenantInterference, DeletingOneTenantLeavesTheOtherWithTheSameNames) {
  const auto host = World::random_name("shared-host");
  std::map<std::string, TenantObjects> tenants;
  for (const char* prefix : {"tenant-x", "tenant-y"}) {
    TenantObjects t;
    t.name = World::random_name(prefix);
    const auto created = call(t, Who::operator_, Method::post, "/v1/tenants", nlohmann::json{{"name", t.name}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto token =
        call(t, Who::operator_, Method::post, "/v1/tokens", nlohmann::json{{"tenant", t.name}, {"role", "admin"}});
    ASSERT_EQ(token.status, 201) << token.body;
    t.tokens[Who::admin] = token.json()["token"];
    const auto pem = World::shared_bytes("vmboot/nosb-direct/ak.pem");
    const auto h = call(t, Who::admin, Method::post, "/v1/hosts",
                        nlohmann::json{{"host_id", host}, {"ak_public", std::string(pem.begin(), pem.end())}});
    ASSERT_EQ(h.status, 201) << h.body;
    tenants.emplace(prefix, std::move(t));
  }
  const auto& x = tenants.at("tenant-x");
  const auto& y = tenants.at("tenant-y");
  const auto deleted = call(x, Who::operator_, Method::delete_, "/v1/tenants/" + x.name);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  const auto gone = call(x, Who::admin, Method::get, "/v1/hosts/" + host);
  EXPECT_EQ(gone.status, 401) << gone.body;
  const auto kept = call(y, Who::admin, Method::get, "/v1/hosts/" + host);
  EXPECT_EQ(kept.status, 200) << kept.body;

  // A new tenant of the deleted one's name inherits nothing: no host, no audit record of it.
  TenantObjects again;
  again.name = x.name;
  ASSERT_EQ(call(again, Who::operator_, Method::post, "/v1/tenants", nlohmann::json{{"name", again.name}}).status, 201);
  const auto token = call(again, Who::operator_, Method::post, "/v1/tokens",
                          nlohmann::json{{"tenant", again.name}, {"role", "admin"}});
  ASSERT_EQ(token.status, 201) << token.body;
  again.tokens[Who::admin] = token.json()["token"];
  const auto host_again = call(again, Who::admin, Method::get, "/v1/hosts/" + host);
  EXPECT_EQ(host_again.status, 404) << host_again.body;
  const auto audit = call(again, Who::admin, Method::get, "/v1/audit/export");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.body.find(host), std::string::npos) << audit.body;
}

}  // namespace
}  // namespace attestd::access_test
