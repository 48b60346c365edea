#include "detector/key_history.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace trailsight::detector {
namespace {

using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::hours;

constexpr std::size_t kCap = 64;
const common::Day kMonday = std::chrono::sys_days{2024y / 3 / 4};

common::Minute At(common::Day day, hours hour, std::chrono::minutes minute = 0min) {
  return common::Minute{day} + hour + minute;
}

AttributionTally Tally(common::Symbol principal, std::uint32_t count) {
  AttributionTally tally;
  tally.Add(Attribute::kUserIdentityArn, principal, count, kCap);
  tally.Add(Attribute::kUserAgent, 100, count, kCap);
  tally.Add(Attribute::kErrorCode, 200, count, kCap);
  return tally;
}

std::uint32_t CountOf(const AttributionTally& tally, Attribute attribute, common::Symbol value) {
  for (const TallyEntry& entry : tally.entries()) {
    if (entry.attribute == attribute && entry.value == value) return entry.count;
  }
  return 0;
}

TEST(KeyHistoryTest, CountBoundHoldsEveryCountKept) {
  KeyHistory history;
  EXPECT_EQ(history.CountBound(), 0u);
  history.AddMinute(At(kMonday, 10h), 1, 1, {}, kCap);
  EXPECT_GE(history.CountBound(), 1u);
  history.AddMinute(At(kMonday, 11h), 200, 260, {}, kCap);
  history.AddMinute(At(kMonday, 11h, 1min), 200, 460, {}, kCap);

  models::WeekOfHours week;
  history.WeekBefore(common::Hour{kMonday + days{1}}, week);
  for (const models::HourSummary& hour : week) {
    EXPECT_LE(hour.calls, history.CountBound());
    EXPECT_LE(hour.peak_minute, history.CountBound());
    EXPECT_LE(hour.peak_quarter, history.CountBound());
  }
  EXPECT_GE(history.CountBound(), 460u);
}

TEST(KeyHistoryTest, WeekBeforeHoldsEachHoursCallsAndBusiestMinute) {
  KeyHistory history;
  history.AddMinute(At(kMonday, 10h, 5min), 3, 3, {}, kCap);
  history.AddMinute(At(kMonday, 10h, 6min), 7, 7, {}, kCap);
  history.AddMinute(At(kMonday + days{2}, 4h), 1, 1, {}, kCap);

  models::WeekOfHours week;
  history.WeekBefore(common::Hour{kMonday + days{2}} + 5h, week);

  // week[167] is the hour before the epoch (04:00 on Wednesday); Monday 10:00 is 42 hours
  // before that.
  EXPECT_EQ(week[167].calls, 1u);
  EXPECT_EQ(week[167 - 42].calls, 10u);
  EXPECT_EQ(week[167 - 42].peak_minute, 7u);
  EXPECT_EQ(week[167 - 41].calls, 0u);
  EXPECT_EQ(week[0].calls, 0u);
}

TEST(KeyHistoryTest, EachHourKeepsItsBusiestQuarterThoughTheQuarterReachesBack) {
  KeyHistory history;
  // A job of three calls a minute from 09:55 to 10:04: the quarter ending at 10:04 holds all
  // 30 calls, though only 15 of them fall in 10:00's hour.
  for (int m = 0; m < 10; ++m) {
    history.AddMinute(At(kMonday, 9h, 55min) + std::chrono::minutes{m}, 3, 3 * (m + 1), {}, kCap);
  }
  history.AddMinute(At(kMonday, 10h, 40min), 2, 2, {}, kCap);

  models::WeekOfHours week;
  history.WeekBefore(common::Hour{kMonday} + 11h, week);

  EXPECT_EQ(week[167].calls, 17u);
  EXPECT_EQ(week[167].peak_minute, 3u);
  EXPECT_EQ(week[167].peak_quarter, 30u);
  EXPECT_EQ(week[166].calls, 15u);
  EXPECT_EQ(week[166].peak_quarter, 15u);
}

TEST(KeyHistoryTest, CountsStayExactWhenTheyOutgrowTheirPacking) {
  KeyHistory history;
  history.AddMinute(At(kMonday, 0h), 9, 9, {}, kCap);
  history.AddMinute(At(kMonday, 1h), 15, 15, {}, kCap);
  const std::size_t narrow = history.heap_bytes();
  history.AddMinute(At(kMonday, 2h), 200, 200, {}, kCap);
  history.AddMinute(At(kMonday, 3h), 70'000, 70'000, {}, kCap);
  history.AddMinute(At(kMonday, 3h, 1min), 4'000'000'000u, 4'000'000'000u, {}, kCap);

  EXPECT_EQ(history.CallsBetween(common::Hour{kMonday}, common::Hour{kMonday} + 1h), 9u);
  EXPECT_EQ(history.CallsBetween(common::Hour{kMonday} + 1h, common::Hour{kMonday} + 3h), 215u);
  models::WeekOfHours week;
  history.WeekBefore(common::Hour{kMonday} + 4h, week);
  EXPECT_EQ(week[167].calls, 4'000'070'000u);
  EXPECT_EQ(week[167].peak_minute, 4'000'000'000u);
  EXPECT_EQ(week[166].peak_minute, 200u);
  EXPECT_EQ(week[164].peak_minute, 9u);
  EXPECT_GT(history.heap_bytes(), narrow);
}

TEST(KeyHistoryTest, ForgetsHoursOlderThanEightDaysAndClearsSkippedOnes) {
  KeyHistory history;
  history.AddMinute(At(kMonday, 1h), 4, 4, {}, kCap);
  history.AddMinute(At(kMonday, 2h), 5, 5, {}, kCap);
  // 192 hours after 01:00 Monday: 01:00 falls out of the ring, 02:00 is still in it.
  history.AddMinute(At(kMonday, 193h), 6, 6, {}, kCap);

  const common::Hour monday{kMonday};
  EXPECT_EQ(history.CallsBetween(monday, monday + 2h), 0u);
  EXPECT_EQ(history.CallsBetween(monday + 2h, monday + 3h), 5u);
  EXPECT_EQ(history.CallsBetween(monday, monday + 200h), 11u);

  // A gap longer than the ring leaves nothing of the old hours behind.
  history.AddMinute(At(kMonday, 1000h), 1, 1, {}, kCap);
  EXPECT_EQ(history.CallsBetween(monday, monday + 1001h), 1u);
}

// The hours of Friday 12:00 to Monday 12:00 UTC (every time zone's weekend) are kept once
// more when they leave the ring, for a week: a weekend hour reads two weekends.
TEST(KeyHistoryTest, KeepsTheWeekendBeforeTheRingForAWeekMore) {
  KeyHistory history;
  const common::Day saturday = kMonday + days{5};
  history.AddMinute(At(saturday, 10h), 7, 7, {}, kCap);
  history.AddMinute(At(kMonday + days{2}, 10h), 3, 3, {}, kCap);  // Wednesday: not kept
  history.AddMinute(At(kMonday + days{4}, 15h), 2, 2, {}, kCap);  // Friday afternoon
  history.AddMinute(At(kMonday + days{7}, 8h), 4, 4, {}, kCap);   // Monday morning
  // Thirteen days on (Sunday): all four hours have left the ring.
  history.AddMinute(At(kMonday + days{13}, 12h), 1, 1, {}, kCap);
  history.AddMinute(At(kMonday + days{13}, 13h), 300, 300, {}, kCap);  // widens the counts

  const common::Hour epoch{kMonday + days{14}};
  models::FortnightOfHours fortnight;
  history.FortnightBefore(epoch, fortnight);
  EXPECT_EQ(fortnight[5 * 24 + 10].calls, 7u);
  EXPECT_EQ(fortnight[5 * 24 + 10].peak_minute, 7u);
  EXPECT_EQ(fortnight[5 * 24 + 10].peak_quarter, 7u);
  EXPECT_EQ(fortnight[2 * 24 + 10].calls, 0u);
  EXPECT_EQ(fortnight[4 * 24 + 15].calls, 2u);
  EXPECT_EQ(fortnight[7 * 24 + 8].calls, 4u);
  EXPECT_EQ(fortnight[13 * 24 + 13].calls, 300u);
  models::WeekOfHours week;
  history.WeekBefore(epoch, week);
  EXPECT_EQ(week[6 * 24 + 13].calls, 300u) << "the newer week, as in the fortnight";

  // A week later the next weekend's hours have replaced them, calls or none.
  history.AddMinute(At(kMonday + days{20}, 12h), 1, 1, {}, kCap);
  history.FortnightBefore(common::Hour{kMonday + days{21}}, fortnight);
  EXPECT_EQ(fortnight[6 * 24 + 13].calls, 300u);  // Sunday, day 13: kept
  EXPECT_EQ(fortnight[5 * 24 + 10].calls, 0u);    // Saturday, day 12: no calls
  EXPECT_EQ(fortnight[8].calls, 4u);              // Monday, day 7: in the fortnight still

  // A gap longer than both leaves nothing of the old hours behind.
  history.AddMinute(At(kMonday + days{60}, 12h), 1, 1, {}, kCap);
  history.FortnightBefore(common::Hour{kMonday + days{61}}, fortnight);
  std::uint64_t calls = 0;
  for (const models::HourSummary& hour : fortnight) calls += hour.calls;
  EXPECT_EQ(calls, 1u);
}

// Five weeks of a sparse key, minute by minute: at the start of every hour of the last two
// weeks, the fortnight before it holds every hour of the eight days that end with the key's
// newest and every weekend hour of the week before those, as counted.
TEST(KeyHistoryTest, TheFortnightHoldsTheRingAndTheEarlierWeekendAtEveryHour) {
  KeyHistory history;
  std::vector<models::HourSummary> counted(35 * 24);
  std::uint64_t state = 12345;
  const auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state >> 33);
  };
  const common::Hour first{kMonday};
  models::FortnightOfHours fortnight;
  int newest = 0;  // the newest hour with calls
  for (int hour = 0; hour < 35 * 24; ++hour) {
    if (hour >= 21 * 24) {
      history.FortnightBefore(first + hours{hour}, fortnight);
      for (int i = 0; i < 336; ++i) {
        const int at = hour - 336 + i;
        const int hour_of_week = at % 168;  // kMonday is a Monday
        const bool weekend_span = hour_of_week >= 4 * 24 + 12 || hour_of_week < 12;
        const bool kept = at > newest - 192 || (at > newest - 192 - 168 && weekend_span);
        ASSERT_EQ(fortnight[i].calls, kept ? counted[at].calls : 0u) << hour << " " << at;
        ASSERT_EQ(fortnight[i].peak_minute, kept ? counted[at].peak_minute : 0u);
      }
    }
    for (int minute = 0; minute < 60; ++minute) {
      if (next() % 50 != 0) continue;
      const std::uint32_t count = 1 + next() % 3;
      history.AddMinute(At(kMonday, hours{hour}, std::chrono::minutes{minute}), count, count, {},
                        kCap);
      newest = hour;
      counted[hour].calls += count;
      counted[hour].peak_minute = std::max(counted[hour].peak_minute, count);
    }
  }
}

TEST(KeyHistoryTest, SparseKeyFitsInAQuarterKilobyteOfRing) {
  KeyHistory history;
  for (int hour = 0; hour < 192; hour += 3) {
    history.AddMinute(At(kMonday, hours{hour}), 2, 2, Tally(1 + hour % 2, 2), kCap);
  }
  // 198 bytes of ring (2 bits a count, three counts an hour, the earlier weekend too), about
  // 90 of past days and today's four entries: a fourth of the 1,536 bytes that eight days
  // of 32-bit pairs take.
  EXPECT_LE(history.heap_bytes(), 400u);
}

TEST(KeyHistoryTest, TallyBetweenMergesTheRequestedDaysOnly) {
  KeyHistory history;
  for (int day = 0; day < 5; ++day) {
    history.AddMinute(At(kMonday + days{day}, 12h), 1, 1, Tally(10 + day, 1 + day), kCap);
  }

  AttributionTally middle;
  history.TallyBetween(kMonday + days{1}, kMonday + days{3}, middle, kCap);
  EXPECT_EQ(CountOf(middle, Attribute::kUserIdentityArn, 10), 0u);
  EXPECT_EQ(CountOf(middle, Attribute::kUserIdentityArn, 11), 2u);
  EXPECT_EQ(CountOf(middle, Attribute::kUserIdentityArn, 13), 4u);
  EXPECT_EQ(CountOf(middle, Attribute::kUserIdentityArn, 14), 0u);
  EXPECT_EQ(CountOf(middle, Attribute::kUserAgent, 100), 2u + 3u + 4u);

  AttributionTally today;
  history.TallyBetween(kMonday + days{4}, kMonday + days{4}, today, kCap);
  EXPECT_EQ(CountOf(today, Attribute::kUserIdentityArn, 14), 5u);
}

TEST(KeyHistoryTest, PastDaysKeepTheirTopValuesAndTodayStaysExact) {
  KeyHistory history;
  // Monday: twenty principals, principal p calling p times.
  for (common::Symbol principal = 1; principal <= 20; ++principal) {
    history.AddMinute(At(kMonday, 0h, std::chrono::minutes{principal}), principal, principal,
                      Tally(principal, principal), kCap);
  }
  AttributionTally monday;
  history.TallyBetween(kMonday, kMonday, monday, kCap);
  EXPECT_EQ(CountOf(monday, Attribute::kUserIdentityArn, 1), 1u);  // today: every value

  history.AddMinute(At(kMonday + days{1}, 0h), 1, 1, Tally(99, 1), kCap);
  AttributionTally past;
  history.TallyBetween(kMonday, kMonday, past, kCap);
  for (common::Symbol principal = 20; principal > 20 - KeyHistory::kDayTopValues; --principal) {
    EXPECT_EQ(CountOf(past, Attribute::kUserIdentityArn, principal), principal);
  }
  EXPECT_EQ(CountOf(past, Attribute::kUserIdentityArn,
                    static_cast<common::Symbol>(20 - KeyHistory::kDayTopValues)),
            0u);
  EXPECT_EQ(CountOf(past, Attribute::kUserAgent, 100), 210u);  // one value: exact
}

TEST(KeyHistoryTest, DropsDaysOlderThanItsNineDayWindow) {
  KeyHistory history;
  for (int day = 0; day < 12; ++day) {
    history.AddMinute(At(kMonday + days{day}, 6h), 1, 1, Tally(10 + day, 1), kCap);
  }
  AttributionTally all;
  history.TallyBetween(kMonday, kMonday + days{11}, all, kCap);
  EXPECT_EQ(CountOf(all, Attribute::kUserIdentityArn, 12), 0u);  // day 2: older than 9 days
  EXPECT_EQ(CountOf(all, Attribute::kUserIdentityArn, 13), 1u);  // day 3: the oldest kept
  EXPECT_EQ(CountOf(all, Attribute::kUserAgent, 100), 9u);
}

}  // namespace
}  // namespace trailsight::detector
