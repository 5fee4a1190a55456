// Host-to-policy binding: explicit name first, then exactly one label match, else a reason.
#include <gtest/gtest.h>

#include "attestd/policy/reasons.h"
#include "attestd/policy/selection.h"

namespace attestd::policy {
namespace {

Policy named(std::string name, std::optional<Labels> labels) {
  Policy p;
  p.name = std::move(name);
  p.host_labels = std::move(labels);
  return p;
}

const std::vector<Policy> kPolicies = {
    named("gpu", Labels{{"role", "gpu-node"}}),
    named("web", Labels{{"role", "web"}, {"zone", "eu"}}),
    named("pinned", std::nullopt),
};

TEST(Selection, ExplicitNameWinsOverMatchingLabels) {
  const auto p = select_policy({{"role", "gpu-node"}}, "pinned", kPolicies);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->name, "pinned");
}

TEST(Selection, ExplicitNameThatDoesNotExistIsNotFoundEvenIfLabelsWouldMatch) {
  const auto p = select_policy({{"role", "gpu-node"}}, "retired", kPolicies);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyNotFound);
  EXPECT_NE(p.error().message.find("retired"), std::string::npos);
}

TEST(Selection, SinglePolicyWhoseLabelsAllMatchIsSelected) {
  const auto p = select_policy({{"role", "web"}, {"zone", "eu"}, {"rack", "7"}}, std::nullopt, kPolicies);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->name, "web");
  EXPECT_EQ(*p, &kPolicies[1]);  // a pointer into the caller's list
}

TEST(Selection, PartialLabelMatchDoesNotApply) {
  const auto p = select_policy({{"role", "web"}, {"zone", "us"}}, std::nullopt, kPolicies);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyNone);
}

TEST(Selection, HostWithoutMatchingPolicyGetsPolicyNone) {
  const auto p = select_policy({}, std::nullopt, kPolicies);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyNone);
}

TEST(Selection, NoPoliciesAtAllGivesPolicyNone) {
  const auto p = select_policy({{"role", "web"}}, std::nullopt, {});
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyNone);
}

TEST(Selection, PolicyWithoutHostsIsNeverSelectedByLabels) {
  const std::vector<Policy> only_pinned = {named("pinned", std::nullopt)};
  const auto p = select_policy({}, std::nullopt, only_pinned);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyNone);
}

TEST(Selection, EmptyLabelsApplyToEveryHost) {
  const std::vector<Policy> one = {named("default", Labels{})};
  const auto p = select_policy({{"anything", "x"}}, std::nullopt, one);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->name, "default");
}

TEST(Selection, SeveralMatchingPoliciesAreAmbiguousWhateverTheirOrder) {
  std::vector<Policy> policies = {named("zeta", Labels{{"role", "gpu"}}), named("alpha", Labels{})};
  const auto first = select_policy({{"role", "gpu"}}, std::nullopt, policies);
  std::swap(policies[0], policies[1]);
  const auto second = select_policy({{"role", "gpu"}}, std::nullopt, policies);
  ASSERT_FALSE(first.has_value());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(first.error().id, kPolicyAmbiguous);
  EXPECT_EQ(first.error(), second.error());
  EXPECT_NE(first.error().message.find("alpha, zeta"), std::string::npos) << first.error().message;
}

TEST(Selection, TwoPoliciesWithTheExplicitNameAreAmbiguous) {
  const std::vector<Policy> twins = {named("p", std::nullopt), named("p", std::nullopt)};
  const auto p = select_policy({}, "p", twins);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().id, kPolicyAmbiguous);
}

}  // namespace
}  // namespace attestd::policy
