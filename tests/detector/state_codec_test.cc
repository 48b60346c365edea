#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "detector/detector.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {
namespace {

using namespace std::chrono_literals;
using common::Event;
using common::Finding;
using common::Seconds;
using test_support::CollectingFindings;

// Everything a rendered record is made of, as one comparable value.
std::string Describe(const Finding& finding) {
  std::string text = fmt::format(
      "{} {} {} start={} at={} insight={} baseline={} duration={} baseline_duration={}",
      static_cast<int>(finding.state), finding.key.account, finding.key.event_name,
      finding.start.time_since_epoch().count(), finding.event_time.time_since_epoch().count(),
      finding.insight_average, finding.baseline_average, finding.insight_duration_minutes,
      finding.baseline_duration_minutes);
  for (const common::Attribution& attribution : finding.attributions) {
    text += " " + attribution.attribute + ":";
    for (const auto& value : attribution.insight)
      text += fmt::format(" {}={}", value.value, value.average);
    text += " |";
    for (const auto& value : attribution.baseline)
      text += fmt::format(" {}={}", value.value, value.average);
  }
  return text;
}

// Two accounts over four days; each gets a burst, one of them straddling the restart.
std::vector<Event> Scenario(common::StringInterner& interner) {
  std::vector<Event> events;
  const Seconds start = *common::ParseUtcTimestamp("2024-12-04T00:00:00Z");
  for (Seconds t = start; t < start + 96h; t += 1min) {
    for (const char* account : {"111111111111", "222222222222"}) {
      const bool burst = (t >= start + 60h && t < start + 60h + 4min) ||
                         (t >= start + 80h && t < start + 80h + 3min);
      const int calls = burst ? 25 : ((t.time_since_epoch().count() / 60) % 7 == 0 ? 1 : 0);
      for (int i = 0; i < calls; ++i) {
        Event event;
        event.time = t + std::chrono::seconds{i};
        event.account = interner.Intern(account);
        event.region = interner.Intern("eu-west-1");
        event.source = interner.Intern("iam.amazonaws.com");
        event.name = interner.Intern(burst ? "DeleteRole" : "TagRole");
        event.principal =
            interner.Intern(burst ? "arn:aws:iam::1:user/mallory" : "arn:aws:iam::1:user/ops");
        event.user_agent = interner.Intern("aws-cli/2");
        events.push_back(event);
      }
    }
  }
  return events;
}

std::vector<std::string> Describe(const std::vector<Finding>& findings) {
  std::vector<std::string> lines;
  for (const Finding& finding : findings) lines.push_back(Describe(finding));
  return lines;
}

TEST(DetectorStateTest, RestoredDetectorContinuesAsIfNeverStopped) {
  common::StringInterner interner;
  const std::vector<Event> events = Scenario(interner);
  CollectingFindings uninterrupted_sink;
  {
    Detector detector({}, interner, uninterrupted_sink);
    for (const Event& event : events) detector.OnEvent(event);
    detector.FinishInput();
  }
  ASSERT_EQ(uninterrupted_sink.findings.size(), 8u);  // two bursts in each of two accounts

  // Stop in the middle of the first burst, with an insight open and minutes still open.
  const auto cut = std::find_if(events.begin(), events.end(), [&](const Event& event) {
    return event.time >= *common::ParseUtcTimestamp("2024-12-06T12:02:10Z");
  });
  CollectingFindings sink;
  std::string state;
  {
    Detector before({}, interner, sink);
    for (auto it = events.begin(); it != cut; ++it) before.OnEvent(*it);
    state = before.SaveState();
  }
  common::StringInterner other_interner;  // a new process: symbols differ
  for (const char* text : {"zzz", "padding", "shifts every symbol"}) other_interner.Intern(text);
  std::vector<Event> rest;
  for (auto it = cut; it != events.end(); ++it) {
    Event event = *it;
    for (common::Symbol* symbol : {&event.account, &event.region, &event.source, &event.name,
                                   &event.principal, &event.user_agent}) {
      *symbol = other_interner.Intern(interner.Resolve(*symbol));
    }
    rest.push_back(event);
  }
  Detector after({}, other_interner, sink);
  const common::Status loaded = after.LoadState(state);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  for (const Event& event : rest) after.OnEvent(event);
  after.FinishInput();

  std::vector<std::string> expected = Describe(uninterrupted_sink.findings);
  std::vector<std::string> actual = Describe(sink.findings);
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected);
}

TEST(DetectorStateTest, SavingTwiceGivesTheSameBytes) {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector detector({}, interner, sink);
  for (const Event& event : Scenario(interner)) detector.OnEvent(event);

  EXPECT_EQ(detector.SaveState(), detector.SaveState());
}

TEST(DetectorStateTest, CorruptForeignAndNewerStatesAreRefusedWithAReason) {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector source({}, interner, sink);
  for (const Event& event : Scenario(interner)) source.OnEvent(event);
  std::string good = source.SaveState();
  nlohmann::json newer = nlohmann::json::from_msgpack(good);
  newer["version"] = 99;
  const std::vector<std::uint8_t> newer_bytes = nlohmann::json::to_msgpack(newer);
  const std::vector<std::uint8_t> foreign = nlohmann::json::to_msgpack({{"format", "other"}});

  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "detector state"},
      {"\xc1 not msgpack at all", "detector state"},
      {std::string(foreign.begin(), foreign.end()), "not a trailsight detector state"},
      {std::string(newer_bytes.begin(), newer_bytes.end()), "version 99"},
  };
  for (const auto& [bytes, reason] : cases) {
    Detector fresh({}, interner, sink);
    const common::Status status = fresh.LoadState(bytes);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find(reason), std::string::npos) << status.error().message;
    EXPECT_EQ(fresh.key_count(), 0u);  // left empty, ready to start fresh
  }
}

}  // namespace
}  // namespace trailsight::detector
