#pragma once

// A detector scenario for the state tests (state_codec_test.cc, state_records_test.cc): two
// accounts over four days with bursts, cut in the middle of one and restarted from saved
// state in a new process, whose findings must equal the uninterrupted run's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "detector/detector.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector::state_scenario {

using namespace std::chrono_literals;
using common::Event;
using common::Finding;
using common::Seconds;

// Everything a rendered record is made of, as one comparable value.
inline std::string Describe(const Finding& finding) {
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
inline std::vector<Event> Scenario(common::StringInterner& interner) {
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

inline std::vector<std::string> Describe(const std::vector<Finding>& findings) {
  std::vector<std::string> lines;
  for (const Finding& finding : findings) lines.push_back(Describe(finding));
  return lines;
}

// Where the scenario stops: at its first event from 2024-12-06T12:02:10Z on, in the middle
// of the first burst, with an insight open and minutes still open. (Within a minute the
// scenario lists one account's calls, then the other's: later ones may be earlier.)
inline std::vector<Event>::const_iterator Cut(const std::vector<Event>& events) {
  return std::find_if(events.begin(), events.end(), [](const Event& event) {
    return event.time >= *common::ParseUtcTimestamp("2024-12-06T12:02:10Z");
  });
}

// The scenario's findings, uninterrupted.
inline std::vector<std::string> Uninterrupted() {
  common::StringInterner interner;
  test_support::CollectingFindings sink;
  Detector detector({}, interner, sink);
  for (const Event& event : Scenario(interner)) detector.OnEvent(event);
  detector.FinishInput();
  std::vector<std::string> findings = Describe(sink.findings);
  std::sort(findings.begin(), findings.end());
  return findings;
}

// The findings of the scenario run up to the cut, calling `checkpoint` every `every` events
// and at the cut, then in a new process (where symbols differ) restored by `restore` and run
// to the end, with those published before the cut.
inline std::vector<std::string> RestartedAtTheCut(
    const std::function<void(Detector&)>& checkpoint,
    const std::function<common::Status(Detector&)>& restore, std::size_t every = SIZE_MAX) {
  common::StringInterner interner;
  const std::vector<Event> events = Scenario(interner);
  test_support::CollectingFindings sink;
  {
    Detector before({}, interner, sink);
    std::size_t seen = 0;
    for (auto it = events.begin(); it != Cut(events); ++it) {
      before.OnEvent(*it);
      if (++seen % every == 0) checkpoint(before);
    }
    checkpoint(before);
  }
  common::StringInterner other_interner;  // a new process: symbols differ
  for (const char* text : {"zzz", "padding", "shifts every symbol"}) other_interner.Intern(text);
  Detector after({}, other_interner, sink);
  const common::Status restored = restore(after);
  EXPECT_TRUE(restored.ok()) << restored.error().message;
  for (auto it = Cut(events); it != events.end(); ++it) {
    Event event = *it;
    for (common::Symbol* symbol : {&event.account, &event.region, &event.source, &event.name,
                                   &event.principal, &event.user_agent}) {
      *symbol = other_interner.Intern(interner.Resolve(*symbol));
    }
    after.OnEvent(event);
  }
  after.FinishInput();
  std::vector<std::string> findings = Describe(sink.findings);
  std::sort(findings.begin(), findings.end());
  return findings;
}

}  // namespace trailsight::detector::state_scenario
