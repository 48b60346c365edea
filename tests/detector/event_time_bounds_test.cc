// Event times at the edges: a gap of years costs closes in proportion to the region's keys,
// and one record far ahead of its region's timeline cannot make the records after it late.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <vector>

#include "detector/detector.h"
#include "tests/detector/detector_fixture.h"

namespace trailsight::detector {
namespace {

// Counts the closes the detector brackets: minutes closed one at a time, and stretches of
// quiet minutes closed at once.
class ClosesCounted final : public CloseListener {
 public:
  void OnCloseBegin() override { ++begun; }
  void OnCloseEnd(std::size_t /*keys*/) override { ++ended; }
  int begun = 0, ended = 0;
};

TEST_F(DetectorTest, AGapOfYearsClosesInAFewStepsNotAMinuteAtATime) {
  CollectingFindings sink;
  ClosesCounted closes;
  Detector detector({}, interner_, sink);
  detector.SetCloseListener(&closes);
  detector.OnEvent(Call(At("2014-01-01T00:00:00Z"), "DescribeInstances"));
  detector.OnEvent(Call(At("2026-01-01T00:00:00Z"), "DescribeInstances"));
  detector.OnEvent(Call(At("2026-01-01T00:01:00Z"), "DescribeInstances"));
  detector.FinishInput();

  // Twelve years are six million minutes: the hours within the baseline's reach of the 2014
  // call close an hour at a time, the rest at once.
  EXPECT_LT(closes.begun, 500);
  EXPECT_EQ(closes.begun, closes.ended);
  EXPECT_EQ(detector.counters().late_dropped, 0u);
  EXPECT_EQ(detector.counters().counted, 3u);
  EXPECT_TRUE(sink.findings.empty());
}

TEST_F(DetectorTest, ADropStillStartsWhenTheGapThatFollowsLastsDays) {
  // Ten calls a minute for eight days, then nothing for three days: the quiet minutes close
  // in bulk, but the hour that judges the drop still closes on its own.
  std::vector<Event> events;
  const Seconds stop = At("2024-12-12T10:00:00Z");
  for (Seconds t = At("2024-12-04T00:00:00Z"); t < stop; t += 6s) {
    events.push_back(Call(t, "PutMetricData"));
  }
  for (Seconds t = stop + 72h; t < stop + 74h; t += 6s) events.push_back(Call(t, "PutMetricData"));

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].state, InsightState::kStart);
  EXPECT_EQ(findings[0].event_time, common::FloorMinute(At("2024-12-12T10:59:00Z")));
  EXPECT_EQ(findings[1].state, InsightState::kEnd);
  EXPECT_GE(findings[1].event_time, common::FloorMinute(stop + 72h));
}

TEST_F(DetectorTest, OneRecordFarAheadOfItsRegionBlindsNothing) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-11T16:52:00Z"), 5, 40);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);
  const std::vector<Finding> expected = Run(events);
  ASSERT_EQ(expected.size(), 2u);

  for (const char* forged : {"9999-12-31T23:59:59Z", "2024-12-14T00:00:00Z"}) {
    std::vector<Event> attacked = events;
    // A day before the burst: every record after it would be days late.
    attacked.insert(attacked.end() - static_cast<std::ptrdiff_t>(events.size() / 7),
                    Call(At(forged), "StopLogging"));
    const std::vector<Finding> findings = Run(attacked);

    EXPECT_EQ(findings.size(), expected.size()) << forged;
    for (std::size_t i = 0; i < std::min(findings.size(), expected.size()); ++i) {
      EXPECT_EQ(findings[i].state, expected[i].state) << forged;
      EXPECT_EQ(findings[i].event_time, expected[i].event_time) << forged;
    }
    EXPECT_EQ(counters_.late_dropped, 0u) << forged;
    EXPECT_EQ(counters_.far_ahead_held, 1u) << forged;
    EXPECT_EQ(counters_.far_ahead_dropped, 1u) << forged;  // never reached: dropped at the end
    EXPECT_EQ(counters_.counted, events.size()) << forged;
  }
}

TEST_F(DetectorTest, ASparseRegionAndAGapInTheWholeInputLoseNoRecord) {
  // A busy account for two days, and beside it one that calls every nine hours; then
  // nothing anywhere for two days, and a busy hour.
  std::vector<Event> events;
  const Seconds begin = At("2024-12-04T00:00:00Z");
  for (Seconds t = begin; t < begin + 48h; t += 1min) events.push_back(Call(t));
  for (int i = 0; i < 5; ++i) {
    events.push_back(Call(begin + std::chrono::hours{9 * i} + 30s, "RunInstances", "222222222222"));
  }
  for (Seconds t = begin + 96h; t < begin + 97h; t += 1min) events.push_back(Call(t));
  SortByTime(events);
  Run(events);

  EXPECT_EQ(counters_.late_dropped, 0u);
  EXPECT_EQ(counters_.far_ahead_held, 1u);  // the first record after the gap, until the next
  EXPECT_EQ(counters_.far_ahead_dropped, 0u);
  EXPECT_EQ(counters_.counted, events.size());
}

TEST_F(DetectorTest, AHeldRecordCountsOnceTheWallClockPassesIt) {
  CollectingFindings sink;
  Detector detector({}, interner_, sink);
  detector.OnEvent(Call(At("2024-12-04T00:00:00Z")));
  detector.OnEvent(Call(At("2024-12-04T08:00:00Z")));  // a lone call after eight quiet hours
  EXPECT_EQ(detector.counters().counted, 1u);
  detector.OnIdle(At("2024-12-04T08:00:30Z"));
  EXPECT_EQ(detector.counters().counted, 2u);
  detector.FinishInput();
  EXPECT_EQ(detector.counters().far_ahead_dropped, 0u);
}

TEST_F(DetectorTest, AFewRecordsFarAheadAreHeldAndTheFurthestDroppedBeyondThem) {
  CollectingFindings sink;
  Detector detector({}, interner_, sink);
  detector.OnEvent(Call(At("2024-12-04T00:00:00Z")));
  // Each far ahead and before those held, so none lands just after another: no two agree.
  for (int year = 2100; year > 2030; --year) {
    detector.OnEvent(Call(At(fmt::format("{}-01-01T00:00:00Z", year))));
  }
  EXPECT_EQ(detector.counters().far_ahead_held, 70u);
  EXPECT_EQ(detector.counters().far_ahead_dropped, 6u);
  detector.OnEvent(Call(At("2024-12-04T00:01:00Z")));  // time goes on where it was
  EXPECT_EQ(detector.counters().late_dropped, 0u);
  EXPECT_EQ(detector.counters().counted, 2u);
  detector.FinishInput();
  EXPECT_EQ(detector.counters().far_ahead_dropped, 70u);
}

}  // namespace
}  // namespace trailsight::detector
