#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
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

// Where the scenario stops: at its first event from 2024-12-06T12:02:10Z on, in the middle
// of the first burst, with an insight open and minutes still open. (Within a minute the
// scenario lists one account's calls, then the other's: later ones may be earlier.)
std::vector<Event>::const_iterator Cut(const std::vector<Event>& events) {
  return std::find_if(events.begin(), events.end(), [](const Event& event) {
    return event.time >= *common::ParseUtcTimestamp("2024-12-06T12:02:10Z");
  });
}

// The scenario's findings, uninterrupted.
std::vector<std::string> Uninterrupted() {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector detector({}, interner, sink);
  for (const Event& event : Scenario(interner)) detector.OnEvent(event);
  detector.FinishInput();
  std::vector<std::string> findings = Describe(sink.findings);
  std::sort(findings.begin(), findings.end());
  return findings;
}

// The scenario's state at the cut.
std::string StateAtTheCut() {
  common::StringInterner interner;
  const std::vector<Event> events = Scenario(interner);
  CollectingFindings sink;
  Detector before({}, interner, sink);
  for (auto it = events.begin(); it != Cut(events); ++it) before.OnEvent(*it);
  return before.SaveState();
}

// The findings of a scenario stopped at the cut with `state` and restarted from it in a new
// process (where symbols differ), with those it published before the cut.
std::vector<std::string> RestartedAtTheCut(const std::string& state) {
  common::StringInterner interner;
  const std::vector<Event> events = Scenario(interner);
  CollectingFindings sink;
  {
    Detector before({}, interner, sink);
    for (auto it = events.begin(); it != Cut(events); ++it) before.OnEvent(*it);
  }
  common::StringInterner other_interner;  // a new process: symbols differ
  for (const char* text : {"zzz", "padding", "shifts every symbol"}) other_interner.Intern(text);
  Detector after({}, other_interner, sink);
  const common::Status loaded = after.LoadState(state);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
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

TEST(DetectorStateTest, RestoredDetectorContinuesAsIfNeverStopped) {
  const std::vector<std::string> expected = Uninterrupted();
  ASSERT_EQ(expected.size(), 8u);  // two bursts in each of two accounts

  EXPECT_EQ(RestartedAtTheCut(StateAtTheCut()), expected);
}

TEST(DetectorStateTest, AStateWrittenInVersionTwoStillRestores) {
  // The same cut, saved by the build before version 3 (MessagePack).
  std::ifstream in(TRAILSIGHT_SOURCE_DIR "/tests/detector/golden/detector-state-v2.msgpack",
                   std::ios::binary);
  ASSERT_TRUE(in.good());
  const std::string version_two((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  ASSERT_EQ(version_two.substr(0, 1), "\x86") << "a MessagePack map of six entries";

  EXPECT_EQ(RestartedAtTheCut(version_two), Uninterrupted());
}

TEST(DetectorStateTest, AnyDamagedOrTruncatedStateIsRefusedOrReadWithinItsBytes) {
  // Under the sanitizers this shows that no damage makes the loader read outside the bytes
  // or past a table it read: each truncation is refused, each damaged byte refused or read.
  const std::string state = StateAtTheCut();
  common::StringInterner interner;
  CollectingFindings sink;
  std::size_t refused = 0;
  for (std::size_t at = 0; at < state.size(); ++at) {
    const std::string damaged =
        state.substr(0, at) + static_cast<char>(state[at] ^ 0x5a) + state.substr(at + 1);
    for (const std::string& bytes : {state.substr(0, at), damaged}) {
      Detector fresh({}, interner, sink);
      if (const common::Status loaded = fresh.LoadState(bytes); !loaded) {
        ++refused;
        EXPECT_EQ(fresh.key_count(), 0u);
      }
    }
  }
  EXPECT_GE(refused, state.size()) << "every truncation at least";
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
  const std::string good = source.SaveState();
  const std::string magic("trailsight.detector-state\0", 26);
  ASSERT_EQ(good.substr(0, magic.size()), magic);
  ASSERT_EQ(good[magic.size()], '\x03') << "the version, a one-byte varint";
  std::string newer = good;
  newer[magic.size()] = 99;
  const std::vector<std::uint8_t> foreign = nlohmann::json::to_msgpack({{"format", "other"}});
  // An array that announces more elements than there are bytes left.
  const std::string huge_count = magic + "\x03\xff\xff\xff\xff\x0f";

  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "detector state"},
      {good + "x", "trailing bytes"},
      {huge_count, "array"},
      {"\xc1 not msgpack at all", "detector state"},
      {std::string(foreign.begin(), foreign.end()), "not a trailsight detector state"},
      {newer, "version 99"},
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
