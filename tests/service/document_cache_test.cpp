// The parsed-document cache: a version is read and parsed once, versions and tenants never share
// an entry, a document that no longer parses is an internal error, and both bounds evict.
#include <gtest/gtest.h>

#include "document_cache.h"
#include "store_fixture.h"

namespace attestd::service {
namespace {

using store::DocumentKind;
using store::testing::ctx_at;

nlohmann::json policy_doc(const std::string& name, int max_age) {
  return {{"version", 1},
          {"name", name},
          {"require", {{"tpm", true}, {"event_log", false}, {"gpus", 0}}},
          {"reference_sets", {"gold"}},
          {"pcrs", {{"sha256", {0}}}},
          {"max_age_seconds", max_age}};
}

nlohmann::json set_doc(const std::string& name, const std::string& pcr0) {
  return {{"version", 1}, {"name", name}, {"pcrs", {{"sha256", {{"0", {pcr0}}}}}}};
}

const std::string kZero(64, '0');
const std::string kOne(64, '1');

class DocumentCacheTest : public store::testing::StoreTest {};

TEST_F(DocumentCacheTest, AVersionIsParsedOnceAndServedFromTheCacheAfterwards) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "p", policy_doc("p", 300), ctx_at(0)));
  DocumentCache cache(16, 1 << 20);
  auto first = cache.policy(*store_, scope, "p", 1);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ((*first)->max_age, std::chrono::seconds(300));
  auto second = cache.policy(*store_, scope, "p", 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());  // the same parsed object, not a second parse
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST_F(DocumentCacheTest, EachVersionIsItsOwnEntry) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::reference_set, "gold", set_doc("gold", kZero), ctx_at(0)));
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::reference_set, "gold", set_doc("gold", kOne), ctx_at(1)));
  DocumentCache cache(16, 1 << 20);
  auto v1 = cache.reference_set(*store_, scope, "gold", 1);
  auto v2 = cache.reference_set(*store_, scope, "gold", 2);
  ASSERT_TRUE(v1);
  ASSERT_TRUE(v2);
  EXPECT_NE(v1->get(), v2->get());
  EXPECT_NE((*v1)->pcrs, (*v2)->pcrs);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST_F(DocumentCacheTest, TenantsWithTheSameNameAndVersionNeverShareAnEntry) {
  const auto acme = tenant("acme");
  const auto globex = tenant("globex");
  ASSERT_TRUE(store_->put_document(acme, DocumentKind::reference_set, "gold", set_doc("gold", kZero), ctx_at(0)));
  ASSERT_TRUE(store_->put_document(globex, DocumentKind::reference_set, "gold", set_doc("gold", kOne), ctx_at(0)));
  DocumentCache cache(16, 1 << 20);
  auto a = cache.reference_set(*store_, acme, "gold", 1);
  auto g = cache.reference_set(*store_, globex, "gold", 1);
  ASSERT_TRUE(a);
  ASSERT_TRUE(g);
  EXPECT_NE((*a)->pcrs, (*g)->pcrs);
  // A tenant without the document gets not_found even when another tenant's copy is cached.
  const auto initech = tenant("initech");
  auto missing = cache.reference_set(*store_, initech, "gold", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, store::StoreErrorCode::not_found);
}

TEST_F(DocumentCacheTest, KindsNeverShareAnEntry) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "x", policy_doc("x", 60), ctx_at(0)));
  DocumentCache cache(16, 1 << 20);
  ASSERT_TRUE(cache.policy(*store_, scope, "x", 1));
  auto as_set = cache.reference_set(*store_, scope, "x", 1);
  ASSERT_FALSE(as_set);
  EXPECT_EQ(as_set.error().code, store::StoreErrorCode::not_found);
}

TEST_F(DocumentCacheTest, AStoredDocumentThatNoLongerParsesIsAnInternalError) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "bad", {{"version", 1}, {"nonsense", true}}, ctx_at(0)));
  DocumentCache cache(16, 1 << 20);
  auto bad = cache.policy(*store_, scope, "bad", 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, store::StoreErrorCode::internal);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(DocumentCacheTest, TheEntryBoundEvictsTheLeastRecentlyUsed) {
  const auto scope = tenant("acme");
  for (int i = 0; i < 3; ++i) {
    const std::string name = "p" + std::to_string(i);
    ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, name, policy_doc(name, 60), ctx_at(i)));
  }
  DocumentCache cache(2, 1 << 20);
  ASSERT_TRUE(cache.policy(*store_, scope, "p0", 1));
  ASSERT_TRUE(cache.policy(*store_, scope, "p1", 1));
  ASSERT_TRUE(cache.policy(*store_, scope, "p0", 1));  // p0 now most recently used
  ASSERT_TRUE(cache.policy(*store_, scope, "p2", 1));  // evicts p1
  EXPECT_EQ(cache.stats().entries, 2u);
  const auto misses = cache.stats().misses;
  ASSERT_TRUE(cache.policy(*store_, scope, "p0", 1));
  EXPECT_EQ(cache.stats().misses, misses);
  ASSERT_TRUE(cache.policy(*store_, scope, "p1", 1));
  EXPECT_EQ(cache.stats().misses, misses + 1);
}

TEST_F(DocumentCacheTest, TheByteBoundEvictsAndADocumentLargerThanTheCacheIsUsedButNotKept) {
  const auto scope = tenant("acme");
  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "p", policy_doc("p", 60), ctx_at(0)));
  const size_t one = policy_doc("p", 60).dump().size();
  DocumentCache tiny(16, one / 2);
  auto used = tiny.policy(*store_, scope, "p", 1);
  ASSERT_TRUE(used);
  EXPECT_EQ((*used)->name, "p");
  EXPECT_EQ(tiny.stats().entries, 0u);
  EXPECT_EQ(tiny.stats().bytes, 0u);

  ASSERT_TRUE(store_->put_document(scope, DocumentKind::policy, "q", policy_doc("q", 60), ctx_at(1)));
  DocumentCache room_for_one(16, one + one / 2);
  ASSERT_TRUE(room_for_one.policy(*store_, scope, "p", 1));
  ASSERT_TRUE(room_for_one.policy(*store_, scope, "q", 1));
  EXPECT_EQ(room_for_one.stats().entries, 1u);
  EXPECT_LE(room_for_one.stats().bytes, one + one / 2);
}

}  // namespace
}  // namespace attestd::service
