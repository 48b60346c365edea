#include "models/count_baseline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/poisson.hpp>

namespace trailsight::models {
namespace {

// A week where every hour has `calls_per_hour` calls and a busiest minute of `peak`, its
// busiest quarter a quarter of the hour's calls (at least the busiest minute).
WeekOfHours FlatWeek(std::uint32_t calls_per_hour, std::uint32_t peak) {
  WeekOfHours week;
  week.fill({calls_per_hour, peak, std::max(peak, calls_per_hour / 4)});
  return week;
}

TEST(PoissonUpperQuantileTest, MatchesExactTailsComputedIndependently) {
  // Values from summing the Poisson pmf in Python: smallest k with P(X >= k) <= 1e-6.
  EXPECT_EQ(PoissonUpperQuantile(1.0, 1e-6), 10u);
  EXPECT_EQ(PoissonUpperQuantile(0.03, 1e-6), 4u);
  EXPECT_EQ(PoissonUpperQuantile(10.0, 1e-6), 29u);
}

// P(X >= k) for X ~ Poisson(mean), straight from Boost.Math.
double UpperTailOf(double mean, std::uint32_t k) {
  const boost::math::poisson_distribution<double> poisson(mean);
  return boost::math::cdf(boost::math::complement(poisson, static_cast<double>(k) - 1.0));
}

TEST(PoissonUpperQuantileTest, IsExactForLargeMeansFarFromTheFirstGuess) {
  // Sixty minutes of a hundred thousand calls, and a calm tail far below the first guess of
  // five standard deviations: the answer is a few thousand calls from where the search starts.
  for (const double mean : {6e6, 6e6 + 17.0, 3e9}) {
    for (const double tail : {1e-6, 1e-3, 0.4}) {
      const std::uint32_t k = PoissonUpperQuantile(mean, tail);

      EXPECT_LE(UpperTailOf(mean, k), tail) << mean << " " << tail;
      EXPECT_GT(UpperTailOf(mean, k - 1), tail) << mean << " " << tail;
    }
  }
}

TEST(PoissonLowerBoundTest, IsExactForLargeMeans) {
  for (const double mean : {6e6, 3e9}) {
    const boost::math::poisson_distribution<double> poisson(mean);

    const std::uint32_t k = PoissonLowerBound(mean, 1e-6);

    EXPECT_LE(boost::math::cdf(poisson, static_cast<double>(k) - 1.0), 1e-6) << mean;
    EXPECT_GT(boost::math::cdf(poisson, static_cast<double>(k)), 1e-6) << mean;
  }
}

TEST(PoissonUpperQuantileTest, ZeroMeanNeedsOneCall) {
  EXPECT_EQ(PoissonUpperQuantile(0.0, 1e-6), 1u);
}

TEST(CountBaselineTest, SparseApiFiresAtMinimumCalls) {
  const CountBaseline baseline({.min_calls = 5});
  const Thresholds levels = baseline.Compute(FlatWeek(2, 1), 0, 7);  // 0.033 calls/min

  EXPECT_NEAR(levels.expected, 2.0 / 60.0, 1e-9);
  EXPECT_EQ(levels.minute().fire_at, 5u);
  EXPECT_LE(levels.minute().calm_below, levels.minute().fire_at);
}

TEST(CountBaselineTest, BusyApiNeedsARiseBeyondItsNoiseAndPeaks) {
  const CountBaseline baseline({});
  const Thresholds levels = baseline.Compute(FlatWeek(300 * 60, 330), 0, 7);

  EXPECT_DOUBLE_EQ(levels.expected, 300.0);
  EXPECT_GE(levels.minute().fire_at, 496u);  // 1.5 x the usual busiest minute, plus one
  EXPECT_LT(levels.minute().fire_at, 600u);
  EXPECT_GT(levels.minute().calm_below, 330u);  // a minute as busy as a usual peak is calm
}

TEST(CountBaselineTest, OneAnomalousDayDoesNotRaiseTheBar) {
  const CountBaseline baseline({});
  WeekOfHours attacked = FlatWeek(60, 3);
  attacked[167 - 24 * 2] = {3000, 500, 2500};  // two days ago, same hour: an attack

  const Thresholds clean = baseline.Compute(FlatWeek(60, 3), 1, 7);
  const Thresholds after_attack = baseline.Compute(attacked, 1, 7);

  EXPECT_EQ(after_attack.minute().fire_at, clean.minute().fire_at);
  EXPECT_DOUBLE_EQ(after_attack.expected, clean.expected);
}

TEST(CountBaselineTest, BurstsRecurringDailyBecomeNormal) {
  const CountBaseline baseline({});
  WeekOfHours nightly = FlatWeek(60, 3);
  for (int day = 1; day <= 7; ++day) nightly[168 - 24 * day] = {60, 30, 40};

  const Thresholds levels = baseline.Compute(nightly, 0, 7);

  EXPECT_GT(levels.minute().fire_at, 45u);  // above 1.5 x the nightly burst
}

TEST(CountBaselineTest, QuietHoursOfABusinessApiHaveALowerBar) {
  const CountBaseline baseline({});
  WeekOfHours week = FlatWeek(0, 0);
  for (std::size_t i = 0; i < kHoursPerWeek; ++i) {
    const bool business = (i % 24) >= 8 && (i % 24) < 18;  // index 0 is midnight here
    week[i] = business ? HourSummary{1200, 35, 330} : HourSummary{6, 1, 2};
  }

  const Thresholds night = baseline.Compute(week, 0, 7);  // the judged hour is 00:00
  WeekOfHours shifted;  // the same week rotated so that the judged hour is 12:00
  for (std::size_t i = 0; i < kHoursPerWeek; ++i) shifted[i] = week[(i + 12) % kHoursPerWeek];
  const Thresholds midday = baseline.Compute(shifted, 0, 7);

  EXPECT_GT(midday.minute().fire_at, night.minute().fire_at);
  EXPECT_EQ(night.minute().fire_at, 5u);
}

TEST(CountBaselineTest, UsesOnlyTheDaysObserved) {
  const CountBaseline baseline({});
  WeekOfHours week = FlatWeek(0, 0);
  for (int day = 2; day <= 7; ++day) week[168 - 24 * day] = {3000, 80, 800};  // old, busy days

  const Thresholds young = baseline.Compute(week, 0, 1);
  const Thresholds full = baseline.Compute(week, 0, 7);

  EXPECT_EQ(young.minute().fire_at, 5u);  // only yesterday, which was quiet, counts
  EXPECT_GT(full.minute().fire_at, 100u);
}

TEST(PoissonLowerBoundTest, CountsTheImprobablyLowCounts) {
  // P(X = 0) = e^-14 = 8.3e-7 <= 1e-6 < P(X <= 1) = 15 e^-14: only zero is improbably low.
  EXPECT_EQ(PoissonLowerBound(14.0, 1e-6), 1u);
  EXPECT_EQ(PoissonLowerBound(13.0, 1e-6), 0u);  // e^-13 = 2.3e-6: even zero is plausible
  EXPECT_EQ(PoissonLowerBound(0.0, 1e-6), 0u);
}

TEST(CountBaselineTest, ASustainedTripleRateIsCaughtByALongerWindowNotByOneMinute) {
  const CountBaseline baseline({});
  const Thresholds levels = baseline.Compute(FlatWeek(120, 6), 0, 7);  // 2 calls a minute

  EXPECT_GT(levels.minute().fire_at, 6u);     // 6 calls in a minute is not anomalous
  EXPECT_LE(levels.windows[2].fire_at, 90u);  // 15 minutes at 6 a minute is
  EXPECT_LE(levels.windows[3].fire_at, 360u);
  EXPECT_GT(levels.windows[2].fire_at, 30u);  // 15 ordinary minutes are not
}

TEST(CountBaselineTest, ABurstRecurringDailyIsNormalInEveryWindow) {
  const CountBaseline baseline({});
  WeekOfHours nightly = FlatWeek(0, 0);
  for (int day = 1; day <= 7; ++day) nightly[168 - 24 * day] = {30, 30, 30};  // a backup job

  const Thresholds levels = baseline.Compute(nightly, 0, 7);

  for (const WindowLevels& window : levels.windows) EXPECT_GT(window.fire_at, 30u);
}

TEST(CountBaselineTest, OneAnomalousDayRaisesNoWindow) {
  const CountBaseline baseline({});
  WeekOfHours attacked = FlatWeek(120, 6);
  attacked[168 - 24 * 3] = {1500, 200, 1400};  // three days ago, same hour: an attack

  const Thresholds clean = baseline.Compute(FlatWeek(120, 6), 0, 7);
  const Thresholds after_attack = baseline.Compute(attacked, 0, 7);

  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_EQ(after_attack.windows[w].fire_at, clean.windows[w].fire_at) << kWindowMinutes[w];
  }
}

TEST(CountBaselineTest, OrganicGrowthStaysBelowEveryWindow) {
  const CountBaseline baseline({});
  WeekOfHours growing = FlatWeek(0, 0);
  double rate = 2.0;  // calls a minute seven days ago, 4% more each day since
  for (int day = 7; day >= 1; --day, rate *= 1.04) {
    for (int hour = 0; hour < 24; ++hour) {
      const auto calls = static_cast<std::uint32_t>(rate * 60);
      growing[168 - 24 * day + hour] = {calls, 6, calls / 4 + 4};
    }
  }
  const Thresholds levels = baseline.Compute(growing, 0, 7);

  // Today runs 4% above yesterday: no window of ordinary minutes at today's rate fires.
  for (std::size_t w = 1; w < kWindowCount; ++w) {
    EXPECT_GT(levels.windows[w].fire_at, rate * 1.2 * kWindowMinutes[w]) << kWindowMinutes[w];
  }
}

TEST(CountBaselineTest, SparseApisNeedMoreCallsInLongerWindows) {
  const CountBaseline baseline({.min_calls = 5});
  const Thresholds levels = baseline.Compute(FlatWeek(2, 1), 0, 7);

  EXPECT_EQ(levels.minute().fire_at, 5u);
  EXPECT_EQ(levels.windows[1].fire_at, 15u);
  EXPECT_EQ(levels.windows[2].fire_at, 20u);
  EXPECT_EQ(levels.windows[3].fire_at, 40u);
}

TEST(CountBaselineTest, NoWindowFiresBelowItsFloorWhateverTheHistory) {
  WeekOfHours bursty = FlatWeek(0, 0);
  for (int day = 1; day <= 7; ++day) bursty[168 - 24 * day] = {40, 30, 40};
  for (const std::uint32_t min_calls : {1u, 2u, 5u, 50u}) {
    const CountBaseline baseline({.min_calls = min_calls});
    for (const WeekOfHours& week : {FlatWeek(0, 0), FlatWeek(2, 1), FlatWeek(600, 16), bursty}) {
      const Thresholds levels = baseline.Compute(week, 0, 7, 30);
      for (std::size_t w = 0; w < kWindowCount; ++w) {
        EXPECT_LE(baseline.FireAtLeast(w), levels.windows[w].fire_at) << min_calls << " " << w;
      }
    }
  }
  // The floors are the levels of a sparse key: not lower than they need be.
  const CountBaseline baseline({.min_calls = 5});
  const Thresholds sparse = baseline.Compute(FlatWeek(2, 1), 0, 7);
  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_EQ(baseline.FireAtLeast(w), sparse.windows[w].fire_at) << w;
  }
}

TEST(CountBaselineTest, DropsAreMeaningfulOnlyOnABusyBaseline) {
  const CountBaseline baseline({});
  const Thresholds busy = baseline.Compute(FlatWeek(600, 16), 0, 7);  // 10 calls a minute
  const Thresholds thin = baseline.Compute(FlatWeek(60, 4), 0, 7);

  EXPECT_GT(busy.drop_below, 400u);  // an hour at two thirds of the usual 600 is a drop
  EXPECT_LT(busy.drop_below, 600u);
  EXPECT_EQ(thin.drop_below, 0u);
}

TEST(CountBaselineTest, ADropIsJudgedAgainstTheSameDayAWeekEarlier) {
  const CountBaseline baseline({});
  WeekOfHours week = FlatWeek(600, 16);
  week[0] = week[1] = {330, 9, 90};  // a week ago, this hour and the next: a quiet day

  const Thresholds weekday = baseline.Compute(FlatWeek(600, 16), 0, 7);
  const Thresholds like_last_week = baseline.Compute(week, 0, 7);

  EXPECT_LT(like_last_week.drop_below, weekday.drop_below);
  EXPECT_LT(like_last_week.drop_below, 330u);  // last week's quiet hour is no drop
}

TEST(CountBaselineTest, TheDropLevelAloneIsTheOneTheWholeLevelsHave) {
  const CountBaseline baseline({});
  WeekOfHours quiet_week_ago = FlatWeek(600, 16);
  quiet_week_ago[0] = quiet_week_ago[1] = {330, 9, 90};
  WeekOfHours young = FlatWeek(0, 0);
  for (int day = 1; day <= 2; ++day) young[168 - 24 * day] = {900, 20, 240};

  for (const WeekOfHours& week : {FlatWeek(600, 16), FlatWeek(60, 4), quiet_week_ago, young}) {
    for (const int ahead : {0, 1}) {
      for (const int days : {1, 3, 7}) {
        EXPECT_EQ(baseline.DropBelow(week, ahead, days),
                  baseline.Compute(week, ahead, days, 30).drop_below)
            << ahead << " " << days;
      }
    }
  }
}

TEST(CountBaselineTest, NoDropWithoutAnHourOfTheDropMinimum) {
  const CountBaseline baseline({});
  const auto below = static_cast<std::uint32_t>(CountBaseline::kDropMinimum) - 1;

  for (const int ahead : {0, 1}) {
    EXPECT_EQ(baseline.DropBelow(FlatWeek(below, below), ahead, 7), 0u);
    EXPECT_GT(baseline.DropBelow(FlatWeek(below + 1, below), ahead, 7), 0u);
  }
}

TEST(CountBaselineTest, ScoreRisesFromExpectedToFiring) {
  const CountBaseline baseline({});
  const Thresholds levels = baseline.Compute(FlatWeek(120, 6), 0, 7);
  const WindowLevels& quarter = levels.windows[2];

  EXPECT_EQ(baseline.Score(quarter, 30), 0.0);
  const double halfway = baseline.Score(quarter, (30 + quarter.fire_at) / 2);
  EXPECT_GT(halfway, 0.0);
  EXPECT_LT(halfway, 1.0);
  EXPECT_LT(halfway, baseline.Score(quarter, quarter.fire_at - 1));
  EXPECT_EQ(baseline.Score(quarter, quarter.fire_at), 1.0);
}

TEST(CountBaselineTest, ScoreStaysBelowOneUnderAThresholdRaisedByPeaks) {
  const CountBaseline baseline({});
  const Thresholds levels = baseline.Compute(FlatWeek(60, 12), 0, 7);  // peaks raise fire_at
  const WindowLevels& minute = levels.minute();
  ASSERT_GT(minute.fire_at, PoissonUpperQuantile(minute.expected, 1e-6));

  EXPECT_LT(baseline.Score(minute, minute.fire_at - 1), 1.0);
  EXPECT_GT(baseline.Score(minute, minute.fire_at - 1), baseline.Score(minute, 6));
}

}  // namespace
}  // namespace trailsight::models
