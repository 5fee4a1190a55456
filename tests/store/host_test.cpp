// Hosts: paging through a fleet in id order, and changing a host's policy binding and labels
// with an audit row, without touching another tenant's host of the same id.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class HostTest : public StoreTest {};

std::vector<std::string> ids(const std::vector<Host>& hosts) {
  std::vector<std::string> out;
  for (const auto& h : hosts) out.push_back(h.host_id);
  return out;
}

TEST_F(HostTest, PagesFollowTheLastIdOfThePreviousPage) {
  auto scope = tenant("acme");
  for (int i = 4; i >= 0; --i) ASSERT_TRUE(store_->create_host(scope, host(fmt::format("h{}", i)), ctx_at(0)));
  auto first = store_->list_hosts(scope, std::nullopt, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"h0", "h1"}));
  auto second = store_->list_hosts(scope, std::string_view("h1"), 2);
  EXPECT_EQ(ids(*second), (std::vector<std::string>{"h2", "h3"}));
  auto last = store_->list_hosts(scope, std::string_view("h3"), 2);
  EXPECT_EQ(ids(*last), (std::vector<std::string>{"h4"}));
  EXPECT_TRUE(store_->list_hosts(scope, std::string_view("h4"), 2)->empty());
  // The limit is clamped to 1..1000, never "everything".
  EXPECT_EQ(store_->list_hosts(scope, std::nullopt, 0)->size(), 1U);
  EXPECT_EQ(store_->list_hosts(scope, std::nullopt, 1'000'000)->size(), 5U);
}

TEST_F(HostTest, UpdateSetsAndClearsThePolicyAndReplacesLabels) {
  auto scope = tenant("acme");
  ASSERT_TRUE(store_->create_host(scope, host("web-1"), ctx_at(0)));
  HostUpdate set;
  set.policy_name = std::optional<std::string>("gpu-nodes");
  auto h = store_->update_host(scope, "web-1", set, ctx_at(5));
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->policy_name, "gpu-nodes");
  EXPECT_EQ(h->labels, nlohmann::json({{"rack", "r1"}}));  // untouched

  HostUpdate relabel;
  relabel.policy_name = std::optional<std::string>();
  relabel.labels = nlohmann::json{{"zone", "b"}};
  h = store_->update_host(scope, "web-1", relabel, ctx_at(6));
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->policy_name.has_value());
  EXPECT_EQ(h->labels, nlohmann::json({{"zone", "b"}}));
  EXPECT_EQ(store_->get_host(scope, "web-1")->labels, nlohmann::json({{"zone", "b"}}));

  AuditQuery q;
  q.action = "host.update";
  auto audit = store_->list_audit(scope, q);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2U);
  EXPECT_EQ((*audit)[0].object, "host:web-1");
  EXPECT_EQ((*audit)[0].details["policy"]["from"], "gpu-nodes");
  EXPECT_TRUE((*audit)[0].details["policy"]["to"].is_null());
}

TEST_F(HostTest, UpdateRefusesBadLabelsAndUnknownOrForeignHosts) {
  auto acme = tenant("acme");
  auto other = tenant("other");
  ASSERT_TRUE(store_->create_host(acme, host("web-1"), ctx_at(0)));
  HostUpdate bad;
  bad.labels = nlohmann::json{{"rack", 7}};
  EXPECT_EQ(store_->update_host(acme, "web-1", bad, ctx_at(1)).error().code, StoreErrorCode::invalid_argument);
  bad.labels = nlohmann::json::array();
  EXPECT_EQ(store_->update_host(acme, "web-1", bad, ctx_at(1)).error().code, StoreErrorCode::invalid_argument);
  HostUpdate ok;
  ok.policy_name = std::optional<std::string>("p");
  EXPECT_EQ(store_->update_host(acme, "nope", ok, ctx_at(1)).error().code, StoreErrorCode::not_found);
  // Another tenant's host of the same id is "not found", and stays as it was.
  EXPECT_EQ(store_->update_host(other, "web-1", ok, ctx_at(1)).error().code, StoreErrorCode::not_found);
  EXPECT_FALSE(store_->get_host(acme, "web-1")->policy_name.has_value());
}

}  // namespace
}  // namespace attestd::store::testing
