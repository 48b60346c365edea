// The minute counts a finding carries: the window around its episode, bounded.
#include <gtest/gtest.h>

#include <numeric>

#include "detector/detector.h"
#include "tests/detector/detector_fixture.h"

namespace trailsight::detector {
namespace {

using std::chrono::minutes;

// Returns the count of `minute` in `counts`, failing the test when it is outside them.
std::uint32_t CountAt(const common::MinuteCounts& counts, common::Minute minute) {
  const auto index = (minute - counts.first).count();
  EXPECT_GE(index, 0);
  EXPECT_LT(index, static_cast<std::int64_t>(counts.counts.size()));
  if (index < 0 || index >= static_cast<std::int64_t>(counts.counts.size())) return UINT32_MAX;
  return counts.counts[static_cast<std::size_t>(index)];
}

TEST_F(DetectorTest, AStartCarriesThirtyMinutesBeforeItAndItsFiringMinute) {
  // One call every ten minutes (:00:07, :10:07, ...), then 30 a minute from 16:52.
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-11T16:52:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  const common::MinuteCounts& counts = findings[0].minute_counts;
  const common::Minute start = findings[0].start;
  EXPECT_EQ(counts.first, start - Detector::kMinutesBeforeStart);
  ASSERT_EQ(counts.counts.size(), 31u);
  // The firing minute holds the running count it fired at; before it, the background.
  EXPECT_EQ(counts.counts.back(), static_cast<std::uint32_t>(findings[0].insight_average));
  for (const char* background :
       {"2024-12-11T16:30:00Z", "2024-12-11T16:40:00Z", "2024-12-11T16:50:00Z"}) {
    EXPECT_EQ(CountAt(counts, common::FloorMinute(At(background))), 1u) << background;
  }
  EXPECT_EQ(std::accumulate(counts.counts.begin(), counts.counts.end() - 1, 0u), 3u);
}

TEST_F(DetectorTest, AnEndCarriesTheEpisodeThroughTheMinuteThatEndedIt) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-11T16:52:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  // A call in each of the two quiet minutes that end it: too few to keep it going.
  events.push_back(Call(At("2024-12-11T16:55:30Z")));
  events.push_back(Call(At("2024-12-11T16:56:30Z")));
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  const Finding& end = findings[1];
  const common::MinuteCounts& counts = end.minute_counts;
  EXPECT_EQ(counts.first, end.start - Detector::kMinutesBeforeStart);
  // 16:22 through 16:56: the second quiet minute after the burst ended it.
  ASSERT_EQ(counts.counts.size(), 35u);
  EXPECT_EQ(counts.first + minutes{34}, end.event_time + minutes{1});
  for (int m = 0; m < 3; ++m) EXPECT_EQ(CountAt(counts, end.start + minutes{m}), 30u) << m;
  EXPECT_EQ(CountAt(counts, end.event_time), 1u);
  EXPECT_EQ(counts.counts.back(), 1u);  // the minute closed as the End was made
  EXPECT_EQ(CountAt(counts, common::FloorMinute(At("2024-12-11T16:50:00Z"))), 1u);
}

TEST_F(DetectorTest, ALongEpisodesEndKeepsOnlyItsNewestMinutes) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T19:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-11T16:00:00Z"), 90, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  const Finding& end = findings[1];
  ASSERT_EQ(end.state, InsightState::kEnd);
  ASSERT_EQ(end.event_time, end.start + minutes{90});
  const common::MinuteCounts& counts = end.minute_counts;
  ASSERT_EQ(counts.counts.size(), static_cast<std::size_t>(Detector::kMaxFindingMinutes));
  const common::Minute last = counts.first + minutes{Detector::kMaxFindingMinutes - 1};
  EXPECT_EQ(last, end.event_time + minutes{1});  // the minute that ended it
  EXPECT_GT(counts.first, end.start);
  // Every burst minute kept holds its 30 calls (31 where the background adds its call).
  for (common::Minute minute = counts.first; minute < end.event_time; minute += minutes{1}) {
    EXPECT_GE(CountAt(counts, minute), 30u);
    EXPECT_LE(CountAt(counts, minute), 31u);
  }
  EXPECT_EQ(CountAt(counts, end.event_time), 1u);  // 17:30: the background's call alone
}

}  // namespace
}  // namespace trailsight::detector
