#include "detector/detector.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "tests/detector/detector_fixture.h"

namespace trailsight::detector {
namespace {

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

TEST_F(DetectorTest, IdleTickEndsAnInsightWhenTrafficStops) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T12:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  CollectingFindings sink;
  Detector detector({}, interner_, sink);
  for (const Event& event : events) detector.OnEvent(event);
  ASSERT_EQ(sink.findings.size(), 1u);  // the Start fired early; the minutes are still open

  detector.OnIdle(At("2024-12-06T12:20:00Z"));  // wall clock, well past the burst

  ASSERT_EQ(sink.findings.size(), 2u);
  EXPECT_EQ(sink.findings[0].state, InsightState::kStart);
  EXPECT_EQ(sink.findings[1].state, InsightState::kEnd);
  EXPECT_EQ(sink.findings[1].insight_duration_minutes, 3);
  detector.OnEvent(Call(At("2024-12-06T12:10:00Z")));  // now behind the idle watermark
  EXPECT_EQ(detector.counters().late_dropped, 1u);
}

TEST_F(DetectorTest, StartFiresFromTheCallThatCrossesTheThresholdInsideItsMinute) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T12:00:00Z"));
  CollectingFindings sink;
  Detector detector({}, interner_, sink);
  for (const Event& event : events) detector.OnEvent(event);

  // Five calls in the minute 12:00 (the threshold for this sparse key), one second apart.
  for (int i = 0; i < 5; ++i) {
    detector.OnEvent(Call(At("2024-12-06T12:00:10Z") + std::chrono::seconds{i},
                          "TerminateInstances", "111111111111",
                          "arn:aws:sts::111111111111:assumed-role/Intruder"));
    EXPECT_EQ(sink.findings.size(), i < 4 ? 0u : 1u) << "after call " << i + 1;
  }

  ASSERT_EQ(sink.findings.size(), 1u);
  EXPECT_EQ(sink.findings[0].state, InsightState::kStart);
  EXPECT_EQ(sink.findings[0].event_time, common::FloorMinute(At("2024-12-06T12:00:00Z")));
  EXPECT_EQ(sink.findings[0].fired_at, At("2024-12-06T12:00:14Z"));  // 14 s after it began
  EXPECT_DOUBLE_EQ(sink.findings[0].insight_average, 5.0);
}

TEST_F(DetectorTest, ErrorStormGivesAnErrorRateInsightPerErrorCode) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  for (int i = 0; i < 120; ++i) {  // 40 denied reads a minute for three minutes
    Event denied =
        Call(At("2024-12-06T12:00:00Z") + std::chrono::seconds{3 * i / 2}, "GetPasswordData",
             "111111111111", "arn:aws:sts::111111111111:assumed-role/Intruder", true);
    denied.error_code = interner_.Intern("Client.UnauthorizedOperation");
    events.push_back(denied);
  }
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);  // a Start and its End; reads make no call-rate insight
  const Finding& start = findings[0];
  EXPECT_EQ(start.key.type, common::InsightType::kApiErrorRate);
  EXPECT_EQ(start.key.event_name, "GetPasswordData");
  EXPECT_EQ(start.key.error_code, "Client.UnauthorizedOperation");
  EXPECT_EQ(start.event_time, common::FloorMinute(At("2024-12-06T12:00:00Z")));
  ASSERT_EQ(start.attributions.size(), 2u);  // userIdentityArn and userAgent only
  EXPECT_EQ(start.attributions[0].attribute, "userIdentityArn");
  EXPECT_EQ(start.attributions[1].attribute, "userAgent");
  EXPECT_EQ(findings[1].state, InsightState::kEnd);
  EXPECT_EQ(findings[1].insight_duration_minutes, 3);
}

TEST_F(DetectorTest, ASustainedRiseNoMinuteRevealsIsCaughtByALongerWindow) {
  // Two calls a minute for three days, then six a minute for forty minutes.
  std::vector<Event> events;
  const Seconds begin = At("2024-12-04T00:00:00Z");
  const Seconds rise = At("2024-12-07T10:00:00Z");
  for (Seconds t = begin; t < rise + 60min; t += 30s) events.push_back(Call(t));
  for (Seconds t = rise; t < rise + 40min; t += 15s) events.push_back(Call(t + 7s));
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_FALSE(findings.empty());
  const Finding& start = findings[0];
  EXPECT_EQ(start.state, InsightState::kStart);
  EXPECT_GE(start.event_time, common::FloorMinute(rise));
  EXPECT_LE(start.event_time, common::FloorMinute(rise + 15min));  // within a quarter hour
  EXPECT_LT(start.insight_average, 8.0);  // no single minute was unusual: a window fired
}

TEST_F(DetectorTest, ANeverSeenApiBurstingInAWarmAccountIsAFinding) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  for (int i = 0; i < 8; ++i) {
    events.push_back(
        Call(At("2024-12-06T12:00:00Z") + std::chrono::seconds{5 * i}, "CreateAccessKey"));
  }
  SortByTime(events);

  const auto findings = Run(events);

  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].key.event_name, "CreateAccessKey");
  EXPECT_DOUBLE_EQ(findings[0].baseline_average, 0.0);
}

TEST_F(DetectorTest, ARegionFallingSilentWhileItsBaselineExpectsTrafficIsAnAlert) {
  // Ten reads a minute, day and night, for three days; then 40 silent minutes.
  std::vector<Event> events;
  const Seconds silent = At("2024-12-07T10:00:00Z");
  for (Seconds t = At("2024-12-04T00:00:00Z"); t < silent + 2h; t += 6s) {
    if (t >= silent && t < silent + 40min) continue;
    events.push_back(Call(t, "DescribeInstances", "111111111111", "arn:aws:iam::1:user/a", true));
  }
  CollectingFindings sink;
  CollectingAlerts alerts;
  Detector detector({}, interner_, sink);
  detector.SetAlertSink(&alerts);
  for (const Event& event : events) detector.OnEvent(event);

  ASSERT_EQ(alerts.alerts.size(), 1u);
  const common::Alert& alert = alerts.alerts[0];
  EXPECT_EQ(alert.kind, common::AlertKind::kSilentSource);
  EXPECT_EQ(alert.account, "111111111111");
  EXPECT_EQ(alert.region, "us-east-1");
  EXPECT_EQ(alert.time, silent - 6s);  // the last record before the silence
  EXPECT_NE(alert.message.find("40 minutes"), std::string::npos) << alert.message;
}

TEST_F(DetectorTest, AQuietGapWhereTheBaselineExpectsLittleIsNoAlert) {
  // One write every ten minutes: a 40-minute gap is ordinary.
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-07T10:00:00Z"));
  events.push_back(Call(At("2024-12-07T10:40:00Z")));
  CollectingFindings sink;
  CollectingAlerts alerts;
  Detector detector({}, interner_, sink);
  detector.SetAlertSink(&alerts);
  for (const Event& event : events) detector.OnEvent(event);

  EXPECT_TRUE(alerts.alerts.empty());
}

class CollectingJudgements final : public MinuteObserver {
 public:
  void OnMinuteClosed(const MinuteJudgement& judgement) override {
    if (judgement.event_name != "TerminateInstances") return;
    minutes.push_back(judgement.minute);
    calls.push_back(judgement.calls);
    scores.push_back(judgement.score);
    open.push_back(judgement.insight_open);
    fifteen.push_back(judgement.windows[2].calls);
  }
  std::vector<common::Minute> minutes;
  std::vector<std::uint32_t> calls, fifteen;
  std::vector<double> scores;
  std::vector<bool> open;
};

TEST_F(DetectorTest, TheObserverSeesEachClosedMinuteWithItsWindowsAndState) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  const std::vector<Event> burst = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  events.insert(events.end(), burst.begin(), burst.end());
  SortByTime(events);
  CollectingFindings sink;
  CollectingJudgements observer;
  Detector detector({}, interner_, sink);
  detector.SetMinuteObserver(&observer);
  for (const Event& event : events) detector.OnEvent(event);
  detector.FinishInput();

  const auto at = std::find(observer.minutes.begin(), observer.minutes.end(),
                            common::FloorMinute(At("2024-12-06T12:02:00Z")));
  ASSERT_NE(at, observer.minutes.end());
  const auto i = static_cast<std::size_t>(at - observer.minutes.begin());
  EXPECT_EQ(observer.calls[i], 30u);
  EXPECT_EQ(observer.fifteen[i], 92u);  // three burst minutes, two background calls
  EXPECT_EQ(observer.scores[i], 1.0);
  EXPECT_TRUE(observer.open[i]);
  EXPECT_LT(observer.scores.front(), 0.5);  // an ordinary minute
  EXPECT_TRUE(std::is_sorted(observer.minutes.begin(), observer.minutes.end()));
}

class DropTest : public DetectorTest {
 protected:
  // PutMetricData at ten calls a minute from 2024-12-04, nothing for the 150 minutes from
  // `stop`, then four hours more.
  std::vector<Event> FallingAway(Seconds stop) {
    std::vector<Event> events;
    for (Seconds t = At("2024-12-04T00:00:00Z"); t < stop + 4h; t += 6s) {
      if (t >= stop && t < stop + 150min) continue;
      events.push_back(Call(t, "PutMetricData"));
    }
    return events;
  }
};

TEST_F(DropTest, ABusyApiFallingAwayIsADropInsightThatEndsWhenItReturns) {
  // Ten calls a minute for eight days, then nothing from 10:00 to 12:30.
  const Seconds stop = At("2024-12-12T10:00:00Z");
  const std::vector<Event> events = FallingAway(stop);

  const auto findings = Run(events);

  ASSERT_EQ(findings.size(), 2u);
  const Finding& start = findings[0];
  EXPECT_EQ(start.key.event_name, "PutMetricData");
  EXPECT_EQ(start.state, InsightState::kStart);
  // Judged at an hour's close: by 11:00 the last hour had nothing.
  EXPECT_EQ(start.event_time, common::FloorMinute(At("2024-12-12T10:59:00Z")));
  EXPECT_LT(start.insight_average, start.baseline_average / 2);
  EXPECT_EQ(findings[1].state, InsightState::kEnd);
  EXPECT_GE(findings[1].event_time, common::FloorMinute(stop + 150min));
}

TEST_F(DropTest, ABusyApiRestoredFromAStateStillDrops) {
  // As above, but stopped an hour before the fall and restarted from the saved state: the
  // restored key is still judged at each hour's close.
  const Seconds stop = At("2024-12-12T10:00:00Z");
  const std::vector<Finding> findings = RunRestarted(FallingAway(stop), stop - 1h);

  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].state, InsightState::kStart);
  EXPECT_EQ(findings[0].event_time, common::FloorMinute(At("2024-12-12T10:59:00Z")));
  EXPECT_EQ(findings[1].state, InsightState::kEnd);
}

TEST_F(DetectorTest, BeyondTheKeyCapNewKeysAreRefusedOldOnesKeptAndAnAlertRaisedHourly) {
  DetectorOptions options;
  options.max_keys = 1000;
  CollectingFindings sink;
  CollectingAlerts alerts;
  Detector detector(options, interner_, sink);
  detector.SetAlertSink(&alerts);
  const Seconds begin = At("2024-12-04T00:00:00Z");
  for (int i = 0; i < 5000; ++i) {  // fake event names, two a second
    detector.OnEvent(Call(begin + std::chrono::seconds{i / 2}, fmt::format("Fake{}", i)));
  }
  detector.OnEvent(Call(begin + 2h, "Fake1"));  // a key that exists keeps counting

  EXPECT_EQ(detector.key_count(), 1000u);
  EXPECT_EQ(detector.counters().keys_refused, 4000u);
  ASSERT_EQ(alerts.alerts.size(), 1u);  // all refusals fell in one event hour
  EXPECT_EQ(alerts.alerts[0].kind, common::AlertKind::kCapReached);
  EXPECT_EQ(alerts.alerts[0].rule, "key-cap");
  EXPECT_EQ(alerts.alerts[0].event_name, "Fake1000");
  detector.OnEvent(Call(begin + 3h, "AnotherNewName"));
  EXPECT_EQ(alerts.alerts.size(), 2u);  // a new hour, a new alert
}

class CountingCloses final : public CloseListener {
 public:
  void OnCloseBegin() override { ++begun; }
  void OnCloseEnd(std::size_t keys) override {
    ++ended;
    judged += keys;
  }
  int begun = 0, ended = 0;
  std::size_t judged = 0;
};

TEST_F(DetectorTest, TheCloseListenerBracketsEachClosedMinute) {
  CollectingFindings sink;
  CountingCloses closes;
  Detector detector({}, interner_, sink);
  detector.SetCloseListener(&closes);
  for (int m = 0; m <= 20; ++m) {
    detector.OnEvent(Call(At("2024-12-04T00:00:30Z") + std::chrono::minutes{m}));
  }

  // The region's first minute open is 23:55 (its first event less the lateness); the newest
  // event is 00:20:30: minutes 23:55 to 00:14 are closed, those from 00:00 with a call.
  EXPECT_EQ(closes.begun, 20);
  EXPECT_EQ(closes.ended, 20);
  EXPECT_EQ(closes.judged, 15u);
}

}  // namespace
}  // namespace trailsight::detector
