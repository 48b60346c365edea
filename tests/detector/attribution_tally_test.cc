#include "detector/attribution_tally.h"

#include <gtest/gtest.h>

namespace trailsight::detector {
namespace {

TEST(AttributionTallyTest, CountsExactlyBelowTheCapAndSortsTiesByValue) {
  common::StringInterner interner;
  const common::Symbol b = interner.Intern("b-role"), a = interner.Intern("a-role");
  const common::Symbol c = interner.Intern("c-role");
  AttributionTally tally;
  tally.Add(Attribute::kUserIdentityArn, b, 2, 8);
  tally.Add(Attribute::kUserIdentityArn, a, 2, 8);
  tally.Add(Attribute::kUserIdentityArn, c, 5, 8);
  tally.Add(Attribute::kUserAgent, c, 9, 8);

  const auto top = tally.Top(Attribute::kUserIdentityArn, 5, interner);

  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].value, c);
  EXPECT_EQ(top[0].count, 5u);
  EXPECT_EQ(top[1].value, a);  // tie at 2: "a-role" before "b-role"
  EXPECT_EQ(top[2].value, b);
}

TEST(AttributionTallyTest, KeepsHeavyHittersBeyondTheCap) {
  common::StringInterner interner;
  AttributionTally tally;
  const common::Symbol heavy = interner.Intern("heavy");
  tally.Add(Attribute::kUserAgent, heavy, 100, 4);
  for (int i = 0; i < 50; ++i) {
    tally.Add(Attribute::kUserAgent, interner.Intern("agent-" + std::to_string(i)), 1, 4);
  }

  const auto top = tally.Top(Attribute::kUserAgent, 10, interner);

  EXPECT_EQ(top.size(), 4u);  // never more than the cap
  EXPECT_EQ(top[0].value, heavy);
  EXPECT_EQ(top[0].count, 100u);
}

TEST(AttributionTallyTest, MergeAddsCounts) {
  common::StringInterner interner;
  const common::Symbol value = interner.Intern("x");
  AttributionTally left, right;
  left.Add(Attribute::kErrorCode, value, 3, 8);
  right.Add(Attribute::kErrorCode, value, 4, 8);

  left.Merge(right, 8);

  EXPECT_EQ(left.Top(Attribute::kErrorCode, 5, interner)[0].count, 7u);
}

}  // namespace
}  // namespace trailsight::detector
