#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "detector/detector.h"
#include "detector/state_encoding.h"
#include "tests/detector/state_scenario.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {
namespace {

using namespace std::chrono_literals;
using common::Event;
using common::Finding;
using common::Seconds;
using state_scenario::Cut;
using state_scenario::Scenario;
using state_scenario::Uninterrupted;
using test_support::CollectingFindings;

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
  return state_scenario::RestartedAtTheCut([](Detector&) {},
                                           [&](Detector& after) { return after.LoadState(state); });
}

TEST(DetectorStateTest, RestoredDetectorContinuesAsIfNeverStopped) {
  const std::vector<std::string> expected = Uninterrupted();
  ASSERT_EQ(expected.size(), 8u);  // two bursts in each of two accounts

  EXPECT_EQ(RestartedAtTheCut(StateAtTheCut()), expected);
}

// The bytes of tests/detector/golden/`name`, empty when it cannot be read.
std::string Golden(const std::string& name) {
  std::ifstream in(TRAILSIGHT_SOURCE_DIR "/tests/detector/golden/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(DetectorStateTest, AStateWrittenInVersionTwoStillRestores) {
  // The same cut, saved by the build before version 3 (MessagePack).
  const std::string version_two = Golden("detector-state-v2.msgpack");
  ASSERT_EQ(version_two.substr(0, 1), "\x86") << "a MessagePack map of six entries";

  EXPECT_EQ(RestartedAtTheCut(version_two), Uninterrupted());
}

TEST(DetectorStateTest, AStateWrittenInVersionThreeStillRestores) {
  // The same cut, saved by the build before version 4, whose hour rings keep no busiest
  // quarters: they restore as the bound the hour's calls and busiest minute give.
  const std::string version_three = Golden("detector-state-v3.bin");
  ASSERT_GT(version_three.size(), 26u);
  ASSERT_EQ(version_three[26], '\x03') << "the version, after the magic";

  EXPECT_EQ(RestartedAtTheCut(version_three), Uninterrupted());
}

TEST(DetectorStateTest, AStateWrittenInVersionFourStillRestores) {
  // The same cut, saved by the build before version 5, whose hour rings keep no earlier
  // weekend: it starts empty.
  const std::string version_four = Golden("detector-state-v4.bin");
  ASSERT_GT(version_four.size(), 26u);
  ASSERT_EQ(version_four[26], '\x04') << "the version, after the magic";

  EXPECT_EQ(RestartedAtTheCut(version_four), Uninterrupted());
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
  ASSERT_EQ(good[magic.size()], '\x05') << "the version, a one-byte varint";
  std::string newer = good;
  newer[magic.size()] = 99;
  const std::vector<std::uint8_t> foreign = nlohmann::json::to_msgpack({{"format", "other"}});
  // An array that announces more elements than there are bytes left.
  const std::string huge_count = magic + "\x05\xff\xff\xff\xff\x0f";

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

// Version 2 states are MessagePack: a float where an integer belongs (the changelog fuzzer's
// crash-2bad2f10..., 9.96e23) was converted without a range check, which is undefined.
TEST(StateEncodingTest, AVersion2IntegerThatIsAFloatOrOutOfRangeIsRefused) {
  using state_encoding::Json;
  using state_encoding::JsonIn;
  const Json row = Json::array({9.95969e23, -1, 18446744073709551615u, 7, -7});
  JsonIn in(row);
  EXPECT_THROW(in.Int(), std::out_of_range) << "a float";
  EXPECT_THROW(in.UInt(), std::out_of_range) << "a negative count";
  EXPECT_THROW(in.Int(), std::out_of_range) << "beyond int64";
  EXPECT_EQ(in.UInt(), 7u);
  EXPECT_EQ(in.Int(), -7);
}

}  // namespace
}  // namespace trailsight::detector
