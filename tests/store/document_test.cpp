// Reference sets and policies are versioned: each put adds a version, old versions stay
// readable, and retiring hides the name without deleting its history.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace attestd::store::testing {
namespace {

class DocumentTest : public StoreTest, public ::testing::WithParamInterface<DocumentKind> {
 protected:
  // In `scope`: "b" at version 2, "a" at 1, "gone" retired; in `other`: "theirs". What the listing
  // tests select from.
  void seed_live_and_retired(const TenantScope& scope, const TenantScope& other, DocumentKind kind) {
    ASSERT_TRUE(store_->put_document(scope, kind, "b", {{"v", 1}}, ctx_at(1)));
    ASSERT_TRUE(store_->put_document(scope, kind, "b", {{"v", 2}}, ctx_at(2)));
    ASSERT_TRUE(store_->put_document(scope, kind, "a", {{"v", 1}}, ctx_at(3)));
    ASSERT_TRUE(store_->put_document(scope, kind, "gone", {{"v", 1}}, ctx_at(4)));
    ASSERT_TRUE(store_->retire_document(scope, kind, "gone", ctx_at(5)));
    ASSERT_TRUE(store_->put_document(other, kind, "theirs", {{"v", 9}}, ctx_at(6)));
  }
};

TEST_P(DocumentTest, PutCreatesNextVersionAndKeepsOldOnes) {
  const auto scope = tenant("acme");
  const DocumentKind kind = GetParam();
  for (int v = 1; v <= 3; ++v) {
    auto put = store_->put_document(scope, kind, "gold", {{"pcr0", v}}, ctx_at(v));
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_EQ(put->version, v);
  }
  auto latest = store_->get_document(scope, kind, "gold", std::nullopt);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->version, 3);
  EXPECT_EQ(latest->document["pcr0"], 3);
  auto first = store_->get_document(scope, kind, "gold", 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->document["pcr0"], 1);
  EXPECT_EQ(first->created_at, at(1));
  auto all = store_->list_document_versions(scope, kind, "gold");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version, 1);
  EXPECT_EQ((*all)[2].version, 3);
}

TEST_P(DocumentTest, ListGivesTheNewestVersionOfEachLiveNameOfThisTenantOnly) {
  const auto scope = tenant("acme");
  ASSERT_NO_FATAL_FAILURE(seed_live_and_retired(scope, tenant("globex"), GetParam()));
  const DocumentKind kind = GetParam();
  auto listed = store_->list_documents(scope, kind);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "a");
  EXPECT_EQ((*listed)[1].name, "b");
  EXPECT_EQ((*listed)[1].version, 2);
  EXPECT_EQ((*listed)[1].document["v"], 2);
}

TEST_P(DocumentTest, CurrentVersionsNameTheSameSelectionAsListWithoutDocuments) {
  const auto scope = tenant("acme");
  ASSERT_NO_FATAL_FAILURE(seed_live_and_retired(scope, tenant("globex"), GetParam()));
  const DocumentKind kind = GetParam();
  auto current = store_->current_document_versions(scope, kind);
  ASSERT_TRUE(current) << current.error().message;
  auto listed = store_->list_documents(scope, kind);
  ASSERT_TRUE(listed);
  ASSERT_EQ(current->size(), listed->size());
  for (size_t i = 0; i < current->size(); ++i) {
    EXPECT_EQ((*current)[i].name, (*listed)[i].name);
    EXPECT_EQ((*current)[i].version, (*listed)[i].version);
  }
  ASSERT_EQ(current->size(), 2u);
  EXPECT_EQ((*current)[1].name, "b");
  EXPECT_EQ((*current)[1].version, 2);
}

TEST_P(DocumentTest, UnknownVersionIsNotFound) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, GetParam(), "gold", {{"a", 1}}, ctx_at(0)));
  auto missing = store_->get_document(scope, GetParam(), "gold", 2);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, StoreErrorCode::not_found);
}

TEST_P(DocumentTest, RetiredNameIsNotFoundButItsVersionsRemainReadable) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, GetParam(), "gold", {{"a", 1}}, ctx_at(0)));
  ASSERT_TRUE(store_->retire_document(scope, GetParam(), "gold", ctx_at(5)));
  auto latest = store_->get_document(scope, GetParam(), "gold", std::nullopt);
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().code, StoreErrorCode::not_found);
  auto v1 = store_->get_document(scope, GetParam(), "gold", 1);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->retired_at, at(5));
  // A new put revives the name as version 2.
  auto v2 = store_->put_document(scope, GetParam(), "gold", {{"a", 2}}, ctx_at(6));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(store_->get_document(scope, GetParam(), "gold", std::nullopt)->version, 2);
}

TEST_P(DocumentTest, PutIsAuditedWithVersionAndDigest) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, GetParam(), "gold", {{"a", 1}}, ctx_at(0)));
  ASSERT_TRUE(store_->put_document(scope, GetParam(), "gold", {{"a", 2}}, ctx_at(1)));
  auto log = store_->list_audit(scope, AuditQuery{});
  ASSERT_TRUE(log);
  ASSERT_GE(log->size(), 2u);
  const auto& newest = (*log)[0];
  EXPECT_EQ(newest.action, GetParam() == DocumentKind::policy ? "policy.put" : "reference_set.put");
  EXPECT_EQ(newest.details["version"], 2);
  EXPECT_EQ(newest.details["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(newest.actor, scope.actor());
}

TEST_P(DocumentTest, InvalidUtf8DocumentIsRejectedAsInvalidArgument) {
  const auto scope = tenant("acme");
  auto put = store_->put_document(scope, GetParam(), "gold", {{"bad", std::string("\xff\xfe")}}, ctx_at(0));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, StoreErrorCode::invalid_argument);
}

class DocumentNamespaceTest : public StoreTest {};

TEST_F(DocumentNamespaceTest, PolicyAndReferenceSetNamespacesAreSeparate) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "x", {{"p", 1}}, ctx_at(0)));
  auto rs = store_->get_document(scope, DocumentKind::reference_set, "x", std::nullopt);
  ASSERT_FALSE(rs);
  EXPECT_EQ(rs.error().code, StoreErrorCode::not_found);
}

INSTANTIATE_TEST_SUITE_P(Kinds, DocumentTest, ::testing::Values(DocumentKind::policy, DocumentKind::reference_set),
                         [](const auto& param_info) {
                           return param_info.param == DocumentKind::policy ? std::string("Policy")
                                                                     : std::string("ReferenceSet");
                         });

}  // namespace
}  // namespace attestd::store::testing
