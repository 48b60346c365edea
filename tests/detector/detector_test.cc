#include "detector/detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/detector/collecting_sink.h"

namespace trailsight::detector {
namespace {

using namespace std::chrono_literals;
using common::Event;
using common::Finding;
using common::InsightState;
using common::Seconds;

Seconds At(std::string_view text) { return *common::ParseUtcTimestamp(text); }

class DetectorTest : public ::testing::Test {
 protected:
  Event Call(Seconds time, std::string_view name = "TerminateInstances",
             std::string_view account = "111111111111",
             std::string_view principal = "arn:aws:sts::111111111111:assumed-role/Ops",
             bool read_only = false) {
    Event event;
    event.time = time;
    event.account = interner_.Intern(account);
    event.region = interner_.Intern("us-east-1");
    event.source = interner_.Intern("ec2.amazonaws.com");
    event.name = interner_.Intern(name);
    event.principal = interner_.Intern(principal);
    event.user_agent = interner_.Intern("aws-cli/2.15");
    event.read_only = read_only;
    return event;
  }

  // One TerminateInstances call every ten minutes from `from` to `to`.
  std::vector<Event> QuietBackground(Seconds from, Seconds to) {
    std::vector<Event> events;
    for (Seconds t = from; t < to; t += 10min) events.push_back(Call(t + 7s));
    return events;
  }

  // `per_minute` calls by an intruder in each of `minutes` minutes from `start`.
  std::vector<Event> Burst(Seconds start, int minutes, int per_minute) {
    std::vector<Event> events;
    for (int m = 0; m < minutes; ++m) {
      for (int i = 0; i < per_minute; ++i) {
        events.push_back(Call(start + std::chrono::minutes{m} + std::chrono::seconds{i % 60},
                              "TerminateInstances", "111111111111",
                              "arn:aws:sts::111111111111:assumed-role/Intruder"));
      }
    }
    return events;
  }

  static void SortByTime(std::vector<Event>& events) {
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });
  }

  std::vector<Finding> Run(const std::vector<Event>& events, DetectorOptions options = {}) {
    CollectingSink sink;
    Detector detector(options, interner_, sink);
    for (const Event& event : events) detector.OnEvent(event);
    detector.FinishInput();
    counters_ = detector.counters();
    return sink.findings;
  }

  common::StringInterner interner_;
  DetectorCounters counters_;
};

TEST_F(DetectorTest, QuietWeekGivesNoFinding) {
  const auto findings =
      Run(QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z")));

  EXPECT_TRUE(findings.empty());
  EXPECT_GT(counters_.counted, 1000u);
}

TEST_F(DetectorTest, SharpBurstGivesStartAndEndWithAwsStatistics) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-11T16:52:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  const Finding& start = findings[0];
  const Finding& end = findings[1];
  EXPECT_EQ(start.state, InsightState::kStart);
  EXPECT_EQ(start.key.event_name, "TerminateInstances");
  EXPECT_EQ(start.key.account, "111111111111");
  EXPECT_EQ(start.event_time, common::FloorMinute(At("2024-12-11T16:52:00Z")));
  EXPECT_EQ(start.baseline_duration_minutes, 11092);  // AWS's documented example
  EXPECT_NEAR(start.baseline_average, 0.1, 0.01);
  EXPECT_GE(start.insight_average, 5.0);  // fired from the running count, at the threshold
  EXPECT_LE(start.insight_average, 30.0);
  EXPECT_EQ(start.insight_duration_minutes, 1);

  EXPECT_EQ(end.state, InsightState::kEnd);
  EXPECT_EQ(end.start, start.start);
  EXPECT_EQ(end.event_time, common::FloorMinute(At("2024-12-11T16:55:00Z")));
  EXPECT_EQ(end.insight_duration_minutes, 3);
  EXPECT_DOUBLE_EQ(end.insight_average, 30.0);
  EXPECT_EQ(end.baseline_duration_minutes, 11092);

  ASSERT_EQ(end.attributions.size(), 3u);
  EXPECT_EQ(end.attributions[0].attribute, "userIdentityArn");
  ASSERT_FALSE(end.attributions[0].insight.empty());
  EXPECT_EQ(end.attributions[0].insight[0].value,
            "arn:aws:sts::111111111111:assumed-role/Intruder");
  EXPECT_DOUBLE_EQ(end.attributions[0].insight[0].average, 30.0);
  ASSERT_FALSE(end.attributions[0].baseline.empty());
  EXPECT_EQ(end.attributions[0].baseline[0].value, "arn:aws:sts::111111111111:assumed-role/Ops");
  EXPECT_EQ(end.attributions[2].attribute, "errorCode");
  EXPECT_EQ(end.attributions[2].insight[0].value, "null");
  EXPECT_DOUBLE_EQ(start.attributions[2].insight[0].average, start.insight_average);
}

TEST_F(DetectorTest, NothingFiresDuringWarmup) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-04T20:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-04T12:00:00Z"), 3, 50);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);

  EXPECT_TRUE(Run(events).empty());
}

TEST_F(DetectorTest, EventsAfterTheirMinuteClosedAreDroppedAndCounted) {
  std::vector<Event> events = {Call(At("2024-12-04T00:00:00Z")), Call(At("2024-12-04T00:20:00Z")),
                               Call(At("2024-12-04T00:10:00Z")),   // 10 min behind: late
                               Call(At("2024-12-04T00:16:00Z"))};  // 4 min behind: in time
  Run(events);

  EXPECT_EQ(counters_.late_dropped, 1u);
  EXPECT_EQ(counters_.counted, 3u);
}

TEST_F(DetectorTest, OneAccountNeverMakesAnotherLate) {
  std::vector<Event> events = {Call(At("2024-12-04T05:00:00Z"), "RunInstances", "111111111111"),
                               Call(At("2024-12-04T00:00:00Z"), "RunInstances", "222222222222"),
                               Call(At("2024-12-04T00:01:00Z"), "RunInstances", "222222222222")};
  Run(events);

  EXPECT_EQ(counters_.late_dropped, 0u);
  EXPECT_EQ(counters_.counted, 3u);
}

TEST_F(DetectorTest, ReorderingWithinLatenessKeepsEveryInsightAndStartMinute) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  for (const char* start : {"2024-12-09T03:00:00Z", "2024-12-11T16:52:00Z"}) {
    const std::vector<Event> burst = Burst(At(start), 5, 40);
    events.insert(events.end(), burst.begin(), burst.end());
  }
  SortByTime(events);
  const auto ordered = Run(events);

  // Delay each record by up to four minutes (lateness is five), then deliver in that order.
  std::mt19937_64 random(42);
  std::vector<std::pair<Seconds, Event>> delivered;
  for (const Event& event : events) {
    delivered.emplace_back(event.time + std::chrono::seconds{random() % 240}, event);
  }
  std::stable_sort(delivered.begin(), delivered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Event> shuffled;
  for (const auto& [arrival, event] : delivered) shuffled.push_back(event);
  ASSERT_FALSE(std::is_sorted(shuffled.begin(), shuffled.end(),
                              [](const Event& a, const Event& b) { return a.time < b.time; }));
  const auto reordered = Run(shuffled);

  ASSERT_EQ(ordered.size(), 4u);
  ASSERT_EQ(reordered.size(), ordered.size());
  EXPECT_EQ(counters_.late_dropped, 0u);
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    EXPECT_EQ(reordered[i].state, ordered[i].state);
    EXPECT_EQ(reordered[i].key.event_name, ordered[i].key.event_name);
    EXPECT_EQ(reordered[i].start, ordered[i].start);
    EXPECT_EQ(reordered[i].event_time, ordered[i].event_time);
  }
}

TEST_F(DetectorTest, ReadsAndDataEventsOnlyMoveTheWatermark) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  for (int i = 0; i < 200; ++i) {
    events.push_back(Call(At("2024-12-06T12:00:00Z") + std::chrono::seconds{i / 4},
                          "DescribeInstances", "111111111111", "arn:aws:iam::1:user/a", true));
    Event data = Call(At("2024-12-06T12:00:00Z") + std::chrono::seconds{i / 4}, "PutObject");
    data.category = common::EventCategory::kData;
    events.push_back(data);
  }
  SortByTime(events);

  EXPECT_TRUE(Run(events).empty());
  EXPECT_EQ(counters_.out_of_scope, 400u);
}

TEST_F(DetectorTest, InsightOpenAtEndOfInputGetsNoEnd) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T12:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].state, InsightState::kStart);
}

TEST_F(DetectorTest, MinCallsFromOptionsRaisesTheBar) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);
  DetectorOptions strict;
  strict.baseline.min_calls = 40;  // above the burst's 30 (31 with background) per minute

  EXPECT_EQ(Run(events).size(), 2u);
  EXPECT_TRUE(Run(events, strict).empty());
}

}  // namespace
}  // namespace trailsight::detector

namespace trailsight::detector {
namespace {

TEST_F(DetectorTest, IdleTickEndsAnInsightWhenTrafficStops) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T12:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  CollectingSink sink;
  Detector detector({}, interner_, sink);
  for (const Event& event : events) detector.OnEvent(event);
  ASSERT_EQ(sink.findings.size(), 0u);  // the burst's minutes are still open

  detector.OnIdle(At("2024-12-06T12:20:00Z"));  // wall clock, well past the burst

  ASSERT_EQ(sink.findings.size(), 2u);
  EXPECT_EQ(sink.findings[0].state, InsightState::kStart);
  EXPECT_EQ(sink.findings[1].state, InsightState::kEnd);
  EXPECT_EQ(sink.findings[1].insight_duration_minutes, 3);
  detector.OnEvent(Call(At("2024-12-06T12:10:00Z")));  // now behind the idle watermark
  EXPECT_EQ(detector.counters().late_dropped, 1u);
}

}  // namespace
}  // namespace trailsight::detector
