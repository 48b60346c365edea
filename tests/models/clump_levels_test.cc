// Clump-aware levels: work that comes in clumps of several minutes (scheduled jobs, deploys,
// bursty teams) against CountBaseline's windows, from minute counts summarized as KeyHistory
// summarizes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "models/count_baseline.h"

namespace trailsight::models {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kDays = 21;             // enough for a fortnight before any hour of day 20
constexpr int kHourOfWeekOfDay0 = 0;  // minute 0 is a Monday, 00:00 UTC

// Per-minute counts of kDays days from a Monday, 00:00 UTC.
struct Minutes {
  std::vector<std::uint32_t> counts = std::vector<std::uint32_t>(kDays * kMinutesPerDay, 0);

  // `total` calls spread evenly over `length` minutes from minute `start` of day `day`.
  void Clump(int day, int start, int length, std::uint32_t total) {
    for (int m = 0; m < length; ++m) {
      const auto share = total / length + (static_cast<std::uint32_t>(m) < total % length);
      counts[static_cast<std::size_t>(day * kMinutesPerDay + start + m)] += share;
    }
  }

  // The hours before absolute hour `judged` (counted from minute 0), summarized as
  // KeyHistory does: calls, busiest minute, busiest 15 minutes ending in the hour.
  template <std::size_t kHours>
  std::array<HourSummary, kHours> HoursBefore(int judged) const {
    EXPECT_LE(judged * 60, static_cast<int>(counts.size())) << "judged past the counts";
    std::array<HourSummary, kHours> week{};
    for (std::size_t i = 0; i < kHours; ++i) {
      const int hour = judged - static_cast<int>(kHours) + static_cast<int>(i);
      if (hour < 0) continue;
      HourSummary& summary = week[i];
      for (int m = hour * 60; m < hour * 60 + 60; ++m) {
        const std::uint32_t count = counts[static_cast<std::size_t>(m)];
        summary.calls += count;
        summary.peak_minute = std::max(summary.peak_minute, count);
        std::uint32_t quarter = 0;
        for (int back = 0; back < 15 && m - back >= 0; ++back) {
          quarter += counts[static_cast<std::size_t>(m - back)];
        }
        if (count > 0) summary.peak_quarter = std::max(summary.peak_quarter, quarter);
      }
    }
    return week;
  }

  // The levels from a week of history, as for every weekday hour.
  Thresholds LevelsAt(int day, int hour, int days_observed = 7) const {
    const int judged = day * 24 + hour;
    return CountBaseline({}).Compute(HoursBefore<kHoursPerWeek>(judged), 0, days_observed,
                                     FirstHourOfWeek(judged));
  }

  // The levels from two weeks of history, as for a weekend hour.
  Thresholds LevelsOnAFortnightAt(int day, int hour, int days_observed = 14) const {
    const int judged = day * 24 + hour;
    return CountBaseline({}).Compute(HoursBefore<kHoursPerFortnight>(judged), 0, days_observed,
                                     FirstHourOfWeek(judged));
  }

  static int FirstHourOfWeek(int judged) { return (kHourOfWeekOfDay0 + judged) % 168; }
};

// The most calls any `length`-minute window of `total` calls spread over `spread` minutes holds.
std::uint32_t Held(std::uint32_t total, int spread, int length) {
  return std::min(total, (total * static_cast<std::uint32_t>(length) + spread - 1) /
                             static_cast<std::uint32_t>(spread));
}

// A nightly backup: about 30 snapshots deleted over 10 minutes, starting at 03:00 give or
// take 20 minutes. The hour's busiest minute (3) is ordinary; the clump is in the windows.
TEST(ClumpLevelsTest, AJobAtAboutTheSameTimeEachNightIsNormalThereAndNowhereElse) {
  Minutes key;
  const int jitter[] = {-20, 12, -5, 18, -14, 3, 20};
  for (int day = 0; day < 7; ++day) key.Clump(day, 3 * 60 + jitter[day], 10, 30);

  const Thresholds at_three = key.LevelsAt(7, 3);
  const Thresholds at_two_pm = key.LevelsAt(7, 14);

  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_GT(at_three.windows[w].fire_at, Held(30, 10, kWindowMinutes[w])) << kWindowMinutes[w];
  }
  // The same job at an hour it never ran fills a 15-minute window past its level.
  EXPECT_LE(at_two_pm.windows[2].fire_at, 30u);
  // A job three times its size at its own hour fires.
  EXPECT_LE(at_three.windows[2].fire_at, 90u);
}

// A deploy of 20 UpdateFunctionCode calls over 5 minutes at 14:00 every weekday.
// A clean-up of 15 calls spread over 10 minutes whose calls fall at random: on the nights
// seen its busiest minute held 2, but such a job's busiest minute swings like a Poisson
// count at the job's own rate, so a night with 6 in one minute is the same job. A burst of
// the job's whole size in one minute still fires.
TEST(ClumpLevelsTest, AJobsBusiestMinuteMaySwingWithinItsUsualClump) {
  Minutes key;
  for (int day = 0; day < 7; ++day) key.Clump(day, 3 * 60 + 2 * day, 10, 15);

  const Thresholds at_three = key.LevelsAt(7, 3);

  EXPECT_GT(at_three.windows[0].fire_at, 6U);
  EXPECT_LE(at_three.windows[0].fire_at, 15U);
}

// A key seen for one day (a new account's dev team): its one teardown of 10 instances at
// 20:00 does not yet say whether it recurs at 20:00 or at any hour, so a second teardown of
// that size at 15:00 the next day is quiet, while one four times larger fires. With a week
// known, the same teardown at an hour it never came at fires.
TEST(ClumpLevelsTest, AYoungKeysClumpsAreNormalAtAnyHourUntilItsHoursAreKnown) {
  Minutes key;
  key.Clump(0, 20 * 60, 2, 10);

  const Thresholds day_two = key.LevelsAt(1, 15, 1);
  const Thresholds known = key.LevelsAt(1, 15, 7);

  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_GT(day_two.windows[w].fire_at, Held(10, 2, kWindowMinutes[w])) << kWindowMinutes[w];
  }
  EXPECT_LE(day_two.windows[0].fire_at, 40U) << "40 in one minute";
  EXPECT_LE(day_two.windows[1].fire_at, 40U) << "40 in two minutes";
  EXPECT_LE(known.windows[0].fire_at, Held(10, 2, 1));
}

TEST(ClumpLevelsTest, AWeekdayDeployIsNormalOnWeekdaysAtItsHour) {
  Minutes key;
  for (int day : {0, 1, 2, 3, 4}) key.Clump(day, 14 * 60 + 2 * day, 5, 20);

  const Thresholds levels = key.LevelsAt(7, 14);  // the next Monday

  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_GT(levels.windows[w].fire_at, Held(20, 5, kWindowMinutes[w])) << kWindowMinutes[w];
  }
}

// A dev team tearing down 6 to 14 instances within 1 to 3 minutes, 1 to 3 times every
// weekday, at any hour of its working day; nothing on weekends.
Minutes BurstyTeam() {
  Minutes key;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> times(1, 3), size(6, 14), spread(1, 3),
      minute(9 * 60, 18 * 60);
  for (int day : {0, 1, 2, 3, 4, 7}) {
    for (int n = times(random); n > 0; --n) {
      key.Clump(day, minute(random), spread(random), static_cast<std::uint32_t>(size(random)));
    }
  }
  return key;
}

TEST(ClumpLevelsTest, ABurstyKeysUsualClumpIsNormalAtAnyHourOfItsDaysAndFourTimesItFires) {
  const Minutes key = BurstyTeam();

  // An hour at which the team never worked, on a weekday.
  const Thresholds evening = key.LevelsAt(8, 21);

  // A clump of usual size (12 calls over 2 minutes) stays quiet in every window...
  for (std::size_t w = 0; w < kWindowCount; ++w) {
    EXPECT_GT(evening.windows[w].fire_at, Held(12, 2, kWindowMinutes[w])) << kWindowMinutes[w];
  }
  // ...and one four times larger fires in a window.
  bool fires = false;
  for (std::size_t w = 0; w < kWindowCount; ++w) {
    fires = fires || Held(48, 2, kWindowMinutes[w]) >= evening.windows[w].fire_at;
  }
  EXPECT_TRUE(fires);
}

TEST(ClumpLevelsTest, ASundayIsJudgedAgainstWeekendsWhenTheKeyIsQuietThen) {
  const Minutes key = BurstyTeam();

  const Thresholds sunday = key.LevelsAt(6, 11);   // Sunday, 11:00
  const Thresholds tuesday = key.LevelsAt(8, 11);  // Tuesday, 11:00

  // A weekday-size teardown (12 calls over 2 minutes) fires on a Sunday, not on a weekday.
  EXPECT_LE(sunday.minute().fire_at, 6u);
  EXPECT_GT(tuesday.minute().fire_at, 6u);
}

// Two weeks of the dev team of BurstyTeam (days 0-4 and 7-11), and on the Saturday before
// the judged Sunday (day 19) someone's small clean-up at 11:00: 4 calls a minute for three
// minutes. With one weekend known, that one busy day sets the Sunday's levels; with two,
// it is the one anomalous day of four and a weekday-size teardown (6 and 6) fires.
TEST(ClumpLevelsTest, OneBusyWeekendDayDoesNotSetTheWeekendsLevelsWhenTwoWeekendsAreKnown) {
  Minutes key;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> times(1, 3), size(6, 14), spread(1, 3),
      minute(9 * 60, 18 * 60);
  for (int day : {0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18}) {
    for (int n = times(random); n > 0; --n) {
      key.Clump(day, minute(random), spread(random), static_cast<std::uint32_t>(size(random)));
    }
  }
  key.Clump(19, 11 * 60, 3, 12);

  const Thresholds one_weekend = key.LevelsAt(20, 11);  // Sunday, 11:00
  const Thresholds two_weekends = key.LevelsOnAFortnightAt(20, 11);

  EXPECT_GT(one_weekend.minute().fire_at, 6u);
  EXPECT_LE(two_weekends.minute().fire_at, 6u);
}

// A key busy on weekday working hours (1.5 calls a minute, 08:00-20:00) and idle on
// weekends. From one week, a Sunday's rate is the week's (one weekend is too few days for a
// rate), so a Sunday burst of 6 and 6 hides under weekday levels; from two weekends it is
// the weekends' own, and the burst fires. Weekday levels stay as they were.
TEST(ClumpLevelsTest, AWeekendHourIsJudgedAtTheRateOfTwoWeekends) {
  Minutes key;
  std::mt19937 random(5);
  std::poisson_distribution<std::uint32_t> calls(1.5);
  for (int day = 0; day < kDays; ++day) {
    if (day % 7 >= 5) continue;
    for (int m = 8 * 60; m < 20 * 60; ++m) {
      key.counts[static_cast<std::size_t>(day * kMinutesPerDay + m)] = calls(random);
    }
  }

  const Thresholds sunday_on_a_week = key.LevelsAt(20, 11);
  const Thresholds sunday = key.LevelsOnAFortnightAt(20, 11);
  const Thresholds tuesday = key.LevelsOnAFortnightAt(15, 11);

  EXPECT_GT(sunday_on_a_week.minute().fire_at, 6u);
  EXPECT_LE(sunday.minute().fire_at, 6u);
  EXPECT_LT(sunday.expected, 0.1);
  // A weekday hour reads the newer week alone: the same levels as from a week.
  EXPECT_EQ(tuesday.minute().fire_at, key.LevelsAt(15, 11).minute().fire_at);
  EXPECT_GT(tuesday.minute().fire_at, 6u);
  // With a week of the region's history, the weekend days of the older week are not read.
  EXPECT_EQ(key.LevelsOnAFortnightAt(20, 11, 7).minute().fire_at,
            sunday_on_a_week.minute().fire_at);
}

// A key as busy on weekends as on weekdays keeps the same levels on a Sunday.
TEST(ClumpLevelsTest, AKeyBusyEveryDayKeepsItsLevelsOnWeekends) {
  Minutes key;
  std::mt19937 random(9);
  std::poisson_distribution<std::uint32_t> calls(1.5);
  for (std::uint32_t& count : key.counts) count = calls(random);

  const Thresholds sunday = key.LevelsOnAFortnightAt(20, 11);
  const Thresholds tuesday = key.LevelsOnAFortnightAt(15, 11);

  EXPECT_GT(sunday.minute().fire_at, 6u);
  EXPECT_LE(sunday.minute().fire_at, tuesday.minute().fire_at + 1);
  EXPECT_GE(sunday.minute().fire_at + 1, tuesday.minute().fire_at);
}

// A key without clumps keeps the levels it had: busiest quarters as steady traffic gives.
TEST(ClumpLevelsTest, SteadyTrafficIsNoClump) {
  Minutes key;
  std::mt19937 random(3);
  std::poisson_distribution<std::uint32_t> calls(4.0);
  for (std::uint32_t& count : key.counts) count = calls(random);

  const Thresholds levels = key.LevelsAt(7, 12);

  // 4 calls a minute: a 15-minute window expects 60; three times that fires.
  EXPECT_LT(levels.windows[2].fire_at, 120u);
  EXPECT_LT(levels.windows[3].fire_at, 360u);
}

}  // namespace
}  // namespace trailsight::models
