#include "models/count_baseline.h"

#include <gtest/gtest.h>

namespace trailsight::models {
namespace {

// A week where every hour has `calls_per_hour` calls and a busiest minute of `peak`.
WeekOfHours FlatWeek(std::uint32_t calls_per_hour, std::uint32_t peak) {
  WeekOfHours week;
  week.fill({calls_per_hour, peak});
  return week;
}

TEST(PoissonUpperQuantileTest, MatchesExactTailsComputedIndependently) {
  // Values from summing the Poisson pmf in Python: smallest k with P(X >= k) <= 1e-6.
  EXPECT_EQ(PoissonUpperQuantile(1.0, 1e-6), 10u);
  EXPECT_EQ(PoissonUpperQuantile(0.03, 1e-6), 4u);
  EXPECT_EQ(PoissonUpperQuantile(10.0, 1e-6), 29u);
}

TEST(PoissonUpperQuantileTest, ZeroMeanNeedsOneCall) {
  EXPECT_EQ(PoissonUpperQuantile(0.0, 1e-6), 1u);
}

TEST(CountBaselineTest, SparseApiFiresAtMinimumCalls) {
  const CountBaseline baseline({.min_calls = 5});
  const Thresholds levels = baseline.Compute(FlatWeek(2, 1), 0, 7);  // 0.033 calls/min

  EXPECT_NEAR(levels.expected, 2.0 / 60.0, 1e-9);
  EXPECT_EQ(levels.fire_at, 5u);
  EXPECT_LE(levels.calm_below, levels.fire_at);
}

TEST(CountBaselineTest, BusyApiNeedsARiseBeyondItsNoiseAndPeaks) {
  const CountBaseline baseline({});
  const Thresholds levels = baseline.Compute(FlatWeek(300 * 60, 330), 0, 7);

  EXPECT_DOUBLE_EQ(levels.expected, 300.0);
  EXPECT_GE(levels.fire_at, 496u);  // 1.5 x the usual busiest minute, plus one
  EXPECT_LT(levels.fire_at, 600u);
  EXPECT_GT(levels.calm_below, 330u);  // a minute as busy as a usual peak is calm
}

TEST(CountBaselineTest, OneAnomalousDayDoesNotRaiseTheBar) {
  const CountBaseline baseline({});
  WeekOfHours attacked = FlatWeek(60, 3);
  attacked[167 - 24 * 2].peak_minute = 500;  // two days ago, same hour: an attack
  attacked[167 - 24 * 2].calls = 3000;

  const Thresholds clean = baseline.Compute(FlatWeek(60, 3), 1, 7);
  const Thresholds after_attack = baseline.Compute(attacked, 1, 7);

  EXPECT_EQ(after_attack.fire_at, clean.fire_at);
  EXPECT_DOUBLE_EQ(after_attack.expected, clean.expected);
}

TEST(CountBaselineTest, BurstsRecurringDailyBecomeNormal) {
  const CountBaseline baseline({});
  WeekOfHours nightly = FlatWeek(60, 3);
  for (int day = 1; day <= 7; ++day) nightly[168 - 24 * day].peak_minute = 30;

  const Thresholds levels = baseline.Compute(nightly, 0, 7);

  EXPECT_GT(levels.fire_at, 45u);  // above 1.5 x the nightly burst
}

TEST(CountBaselineTest, QuietHoursOfABusinessApiHaveALowerBar) {
  const CountBaseline baseline({});
  WeekOfHours week = FlatWeek(0, 0);
  for (std::size_t i = 0; i < kHoursPerWeek; ++i) {
    const bool business = (i % 24) >= 8 && (i % 24) < 18;  // index 0 is midnight here
    week[i] = business ? HourSummary{1200, 35} : HourSummary{6, 1};
  }

  const Thresholds night = baseline.Compute(week, 0, 7);  // the judged hour is 00:00
  WeekOfHours shifted;  // the same week rotated so that the judged hour is 12:00
  for (std::size_t i = 0; i < kHoursPerWeek; ++i) shifted[i] = week[(i + 12) % kHoursPerWeek];
  const Thresholds midday = baseline.Compute(shifted, 0, 7);

  EXPECT_GT(midday.fire_at, night.fire_at);
  EXPECT_EQ(night.fire_at, 5u);
}

TEST(CountBaselineTest, UsesOnlyTheDaysObserved) {
  const CountBaseline baseline({});
  WeekOfHours week = FlatWeek(0, 0);
  for (int day = 2; day <= 7; ++day) week[168 - 24 * day] = {3000, 80};  // old, busy days

  const Thresholds young = baseline.Compute(week, 0, 1);
  const Thresholds full = baseline.Compute(week, 0, 7);

  EXPECT_EQ(young.fire_at, 5u);  // only yesterday, which was quiet, counts
  EXPECT_GT(full.fire_at, 100u);
}

}  // namespace
}  // namespace trailsight::models
