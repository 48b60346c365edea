// The Detector under a Tuning: overrides, exclusions, criticality, suppressions, Retune().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detector/tuning.h"
#include "tests/detector/detector_fixture.h"

namespace trailsight::detector {
namespace {

CompiledTuning Compiled(Tuning tuning) {
  common::Result<CompiledTuning> compiled = CompiledTuning::Compile(std::move(tuning));
  EXPECT_TRUE(compiled) << compiled.error().message;
  return std::move(*compiled);
}

class TunedDetectorTest : public DetectorTest {
 protected:
  // A quiet week, then at 12:00 on the last day 8 calls a minute for three minutes of both
  // TerminateInstances (by `principal`) and StopInstances (by an operator).
  std::vector<Event> TwoBursts(std::string_view principal) {
    std::vector<Event> events =
        QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
    for (int i = 0; i < 24; ++i) {
      const Seconds t = At("2024-12-06T12:00:00Z") + std::chrono::seconds{7 * i + 1};
      events.push_back(Call(t, "TerminateInstances", "111111111111", principal));
      events.push_back(Call(t, "StopInstances", "111111111111",
                            "arn:aws:sts::111111111111:assumed-role/Operator"));
    }
    SortByTime(events);
    return events;
  }

  std::vector<Finding> RunTuned(const std::vector<Event>& events, Tuning tuning) {
    CollectingFindings sink;
    Detector detector({}, interner_, sink);
    detector.Retune(Compiled(std::move(tuning)));
    for (const Event& event : events) detector.OnEvent(event);
    detector.FinishInput();
    counters_ = detector.counters();
    return sink.findings;
  }

  static std::vector<std::string> Started(const std::vector<Finding>& findings) {
    std::vector<std::string> names;
    for (const Finding& finding : findings) {
      if (finding.state == InsightState::kStart) names.push_back(finding.key.event_name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(TunedDetectorTest, AnOverrideChangesOneApiAndNoOther) {
  const auto events = TwoBursts("arn:aws:sts::111111111111:assumed-role/Intruder");
  Tuning tuning;
  ApiOverride strict;
  strict.match.event_name = "Terminate*";
  strict.min_calls = 20;
  tuning.overrides.push_back(strict);

  EXPECT_EQ(Started(RunTuned(events, {})),
            (std::vector<std::string>{"StopInstances", "TerminateInstances"}));
  EXPECT_EQ(Started(RunTuned(events, tuning)), (std::vector<std::string>{"StopInstances"}));
}

TEST_F(TunedDetectorTest, CriticalitySetsTheSeverityOfTheMatchingApisFindingsOnly) {
  const auto events = TwoBursts("arn:aws:sts::111111111111:assumed-role/Intruder");
  Tuning tuning;
  Criticality critical;
  critical.match.event_name = "TerminateInstances";
  critical.severity = common::Severity::kCritical;
  tuning.criticality.push_back(critical);

  for (const Finding& finding : RunTuned(events, tuning)) {
    EXPECT_EQ(finding.severity, finding.key.event_name == "TerminateInstances"
                                    ? common::Severity::kCritical
                                    : common::Severity::kMedium)
        << finding.key.event_name;
  }
}

TEST_F(TunedDetectorTest, AnExcludedBotIsNotCounted) {
  const auto events = TwoBursts("arn:aws:sts::111111111111:assumed-role/CleanupBot");
  Tuning tuning;
  tuning.exclusions.push_back({.principal = "*:assumed-role/CleanupBot",
                               .user_agent = "*",
                               .mode = ExclusionMode::kNotCounted});

  EXPECT_EQ(Started(RunTuned(events, tuning)), (std::vector<std::string>{"StopInstances"}));
  EXPECT_EQ(counters_.excluded, 24u);
}

TEST_F(TunedDetectorTest, ABotCountedButNotAlertedShapesTheBaselineYetStartsNothing) {
  std::vector<Event> events = TwoBursts("arn:aws:sts::111111111111:assumed-role/CleanupBot");
  // The intruder's own burst an hour later still fires, and its baseline saw the bot.
  for (int i = 0; i < 24; ++i) {
    events.push_back(Call(At("2024-12-06T13:00:00Z") + std::chrono::seconds{7 * i + 1},
                          "TerminateInstances", "111111111111",
                          "arn:aws:sts::111111111111:assumed-role/Intruder"));
  }
  SortByTime(events);
  Tuning tuning;
  tuning.exclusions.push_back(
      {.principal = "*/CleanupBot", .user_agent = "*", .mode = ExclusionMode::kNotAlerted});

  const auto findings = RunTuned(events, tuning);

  std::vector<Finding> terminate;
  for (const Finding& finding : findings) {
    if (finding.key.event_name == "TerminateInstances" && finding.state == InsightState::kStart)
      terminate.push_back(finding);
  }
  ASSERT_EQ(terminate.size(), 1u);
  EXPECT_EQ(terminate[0].event_time, common::FloorMinute(At("2024-12-06T13:00:00Z")));
  EXPECT_EQ(counters_.excluded, 0u);
}

TEST_F(TunedDetectorTest, RetuningMidStreamKeepsBaselinesAndOpenInsights) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-04T00:00:00Z"), At("2024-12-06T18:00:00Z"));
  const auto first = Burst(At("2024-12-06T12:00:00Z"), 3, 30);
  const auto second = Burst(At("2024-12-06T14:00:00Z"), 3, 30);
  events.insert(events.end(), first.begin(), first.end());
  events.insert(events.end(), second.begin(), second.end());
  SortByTime(events);
  CollectingFindings sink;
  Detector detector({}, interner_, sink);
  std::size_t i = 0;
  for (; events[i].time < At("2024-12-06T12:01:30Z"); ++i) detector.OnEvent(events[i]);
  ASSERT_EQ(sink.findings.size(), 1u);  // the first burst has started
  const std::size_t keys = detector.key_count();

  Tuning tuning;
  tuning.min_calls = 40;  // above both bursts
  detector.Retune(Compiled(tuning));
  for (; i < events.size(); ++i) detector.OnEvent(events[i]);
  detector.FinishInput();

  ASSERT_EQ(sink.findings.size(), 2u);  // the open insight ended; the second burst is quiet
  EXPECT_EQ(sink.findings[1].state, InsightState::kEnd);
  EXPECT_EQ(sink.findings[1].start, sink.findings[0].start);
  EXPECT_EQ(detector.key_count(), keys);
  EXPECT_EQ(detector.open_insights(), 0u);
}

TEST_F(TunedDetectorTest, ASuppressionWindowWithholdsStartsInsideItOnly) {
  const auto events = TwoBursts("arn:aws:sts::111111111111:assumed-role/Deployer");
  Tuning tuning;
  Suppression maintenance;
  maintenance.match.event_source = "ec2.amazonaws.com";
  maintenance.principal = "*/Deployer";
  maintenance.weekdays = {4};  // 2024-12-06 is a Friday
  maintenance.from = std::chrono::hours{11};
  maintenance.to = std::chrono::hours{13};
  tuning.suppressions.push_back(maintenance);

  EXPECT_EQ(Started(RunTuned(events, tuning)), (std::vector<std::string>{"StopInstances"}));
  EXPECT_EQ(counters_.suppressed, 1u);
  maintenance.weekdays = {3};  // Thursday: not this burst
  tuning.suppressions = {maintenance};
  EXPECT_EQ(Started(RunTuned(events, tuning)).size(), 2u);
}

}  // namespace
}  // namespace trailsight::detector
