// Where a week of calls keeps its weekend: the UTC offset of the people behind it.
#include "models/local_weekend.h"

#include <gtest/gtest.h>

#include <random>

namespace trailsight::models {
namespace {

// A week from Monday 00:00 UTC of `background` calls an hour, plus `team` calls in each
// hour of a team's working day (09:00 to 18:00, Monday to Friday) at UTC offset `offset`.
WeekOfHours TeamWeek(int offset, double team, double background, unsigned seed) {
  std::mt19937 random(seed);
  WeekOfHours week{};
  for (int i = 0; i < static_cast<int>(kHoursPerWeek); ++i) {
    const int local = ((i + offset) % 168 + 168) % 168;
    const bool working = local / 24 < 5 && local % 24 >= 9 && local % 24 < 18;
    std::poisson_distribution<std::uint32_t> calls(background + (working ? team : 0.0));
    week[static_cast<std::size_t>(i)].calls = calls(random);
  }
  return week;
}

TEST(LocalWeekendTest, ATeamsWeekendIsFoundWhereverItWorks) {
  for (const int offset : {-8, -5, 0, 1, 5, 9}) {
    for (const unsigned seed : {1u, 2u, 3u}) {
      const int found = LocalWeekendOffset(TeamWeek(offset, 40.0, 0.0, seed), 0).value_or(99);
      // Nights lie at both ends of a weekend: any offset whose weekend covers the team's
      // Saturday and Sunday working hours and no Friday or Monday ones is as good.
      EXPECT_GE(found, std::max(offset - 9, kMinOffset)) << offset << " seed " << seed;
      EXPECT_LE(found, std::min(offset + 6, kMaxOffset)) << offset << " seed " << seed;
      EXPECT_NEAR(found, offset, 3) << offset << " seed " << seed;
    }
  }
}

TEST(LocalWeekendTest, ATeamUnderMachineTrafficStillShowsItsWeekend) {
  // 600 machine calls an hour, every hour; the team adds a sixth on its working hours.
  const int found = LocalWeekendOffset(TeamWeek(-8, 100.0, 600.0, 4), 0).value_or(99);
  EXPECT_NEAR(found, -8, 3);
}

TEST(LocalWeekendTest, ASparseTeamsWeekendIsFound) {
  // A team's few clumps: about 60 calls a week, none on its weekend.
  WeekOfHours week{};
  for (const int hour : {10, 14, 35, 58, 61, 83, 86, 107}) {
    week[static_cast<std::size_t>(hour + 5)].calls = 8;  // hours of the week at UTC-5
  }
  EXPECT_NEAR(LocalWeekendOffset(week, 0).value_or(99), -5, 4);
}

TEST(LocalWeekendTest, TrafficWithoutAWeekendKeepsNone) {
  for (const unsigned seed : {5u, 6u, 7u, 8u}) {
    EXPECT_EQ(LocalWeekendOffset(TeamWeek(0, 0.0, 300.0, seed), 0), std::nullopt) << seed;
    EXPECT_EQ(LocalWeekendOffset(TeamWeek(0, 0.0, 3.0, seed), 0), std::nullopt) << seed;
  }
  EXPECT_EQ(LocalWeekendOffset(TeamWeek(0, 0.0, 0.2, 6), 0), std::nullopt) << "a sparse week";
  EXPECT_EQ(LocalWeekendOffset(WeekOfHours{}, 0), std::nullopt) << "an empty week";
}

TEST(LocalWeekendTest, TheWeeksFirstHourIsHonouredAndUnknownWeekdaysKeepNone) {
  const WeekOfHours from_monday = TeamWeek(-5, 40.0, 0.0, 7);
  // The same week read from Wednesday 00:00 UTC: rotated by 48 hours.
  WeekOfHours from_wednesday{};
  for (std::size_t i = 0; i < kHoursPerWeek; ++i) {
    from_wednesday[i] = from_monday[(i + 48) % kHoursPerWeek];
  }
  EXPECT_EQ(LocalWeekendOffset(from_wednesday, 48), LocalWeekendOffset(from_monday, 0));
  EXPECT_NE(LocalWeekendOffset(from_monday, 0), std::nullopt);
  EXPECT_EQ(LocalWeekendOffset(from_monday, kNoWeekdays), std::nullopt);
}

}  // namespace
}  // namespace trailsight::models
