#pragma once

// The Detector tests' fixture: events built from names, a quiet background, bursts, and
// sinks that keep what they are given.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "detector/detector.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {

using namespace std::chrono_literals;
using common::Event;
using common::Finding;
using common::InsightState;
using common::Seconds;
using test_support::CollectingAlerts;
using test_support::CollectingFindings;

inline Seconds At(std::string_view text) { return *common::ParseUtcTimestamp(text); }

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
    CollectingFindings sink;
    Detector detector(options, interner_, sink);
    for (const Event& event : events) detector.OnEvent(event);
    detector.FinishInput();
    counters_ = detector.counters();
    return sink.findings;
  }

  // Runs `events` (in time order) through a detector stopped before the first event at or
  // after `stop` and one restarted from its saved state; returns the findings of both.
  std::vector<Finding> RunRestarted(const std::vector<Event>& events, Seconds stop) {
    const auto cut = std::find_if(events.begin(), events.end(),
                                  [&](const Event& event) { return event.time >= stop; });
    CollectingFindings sink;
    std::string state;
    {
      Detector before({}, interner_, sink);
      for (auto it = events.begin(); it != cut; ++it) before.OnEvent(*it);
      state = before.SaveState();
    }
    Detector after({}, interner_, sink);
    EXPECT_TRUE(after.LoadState(state));
    for (auto it = cut; it != events.end(); ++it) after.OnEvent(*it);
    after.FinishInput();
    return sink.findings;
  }

  common::StringInterner interner_;
  DetectorCounters counters_;
};

}  // namespace trailsight::detector
