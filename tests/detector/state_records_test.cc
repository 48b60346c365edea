#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "detector/detector.h"
#include "tests/detector/state_scenario.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {
namespace {

using common::Event;
using state_scenario::Scenario;
using test_support::CollectingFindings;

// A compacted changelog: the newest value of each compaction key, and what was written.
class Changelog final : public StateRecordReceiver {
 public:
  void OnRecord(std::string_view key, std::string_view value) override {
    newest_[std::string(key)] = std::string(value);
    ++written_;
  }
  std::vector<StateRecord> Records() const {
    std::vector<StateRecord> records;
    for (const auto& [key, value] : newest_) records.push_back({key, value});
    return records;
  }
  const std::map<std::string, std::string>& newest() const { return newest_; }
  std::size_t written() const { return written_; }

 private:
  std::map<std::string, std::string> newest_;
  std::size_t written_ = 0;
};

TEST(DetectorRecordsTest, RestoredFromIncrementalRecordsContinuesAsIfNeverStopped) {
  const std::vector<std::string> expected = state_scenario::Uninterrupted();
  ASSERT_EQ(expected.size(), 8u);
  Changelog changelog;
  const std::vector<std::string> restarted = state_scenario::RestartedAtTheCut(
      [&](Detector& before) { before.SaveChangedRecords(changelog); },
      [&](Detector& after) { return after.LoadRecords(changelog.Records()); },
      /*every=*/997);

  EXPECT_EQ(restarted, expected);
  // Incremental: far fewer records written than a full save at every checkpoint would be.
  EXPECT_LT(changelog.written(), 40 * changelog.newest().size());
}

TEST(DetectorRecordsTest, OnlyWhatChangedIsWrittenAgain) {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector detector({}, interner, sink);
  const std::vector<Event> events = Scenario(interner);
  for (const Event& event : events) detector.OnEvent(event);
  Changelog all;
  detector.SaveChangedRecords(all);
  ASSERT_EQ(all.written(), all.newest().size());
  ASSERT_GE(all.newest().size(), 6u) << "two regions and their keys";
  EXPECT_EQ(detector.changed_records(), 0u);

  Changelog none;
  detector.SaveChangedRecords(none);
  EXPECT_EQ(none.written(), 0u);

  // One more call in one account's region changes that region and that key only.
  Event more = events.back();
  more.time += std::chrono::seconds{1};
  detector.OnEvent(more);
  Changelog one;
  detector.SaveChangedRecords(one);
  EXPECT_EQ(one.written(), 2u);
  for (const auto& [key, value] : one.newest()) {
    ASSERT_TRUE(all.newest().contains(key));
    EXPECT_NE(all.newest().at(key), value);
  }

  detector.MarkAllChanged();
  Changelog again;
  detector.SaveChangedRecords(again);
  EXPECT_EQ(again.written(), all.newest().size());
}

TEST(DetectorRecordsTest, RecordsInAnyOrderRestoreTheSameState) {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector source({}, interner, sink);
  const std::vector<Event> events = Scenario(interner);
  for (auto it = events.begin(); it != state_scenario::Cut(events); ++it) source.OnEvent(*it);
  Changelog original;
  source.SaveChangedRecords(original);
  std::vector<StateRecord> records = original.Records();
  std::mt19937 random(7);
  std::shuffle(records.begin(), records.end(), random);

  common::StringInterner other;
  Detector restored({}, other, sink);
  const common::Status loaded = restored.LoadRecords(records);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(restored.key_count(), source.key_count());
  EXPECT_EQ(restored.open_insights(), source.open_insights());
  EXPECT_GE(restored.open_insights(), 1u) << "the cut is inside a burst";
  EXPECT_EQ(restored.changed_records(), 0u);
  restored.MarkAllChanged();
  Changelog resaved;
  restored.SaveChangedRecords(resaved);
  EXPECT_EQ(resaved.newest(), original.newest()) << "byte for byte";
}

TEST(DetectorRecordsTest, BadRecordsAreRefusedNamingTheRecordAndLeaveNothingBehind) {
  common::StringInterner interner;
  CollectingFindings sink;
  Detector source({}, interner, sink);
  for (const Event& event : Scenario(interner)) source.OnEvent(event);
  Changelog changelog;
  source.SaveChangedRecords(changelog);
  const std::vector<StateRecord> good = changelog.Records();
  auto key_record = std::find_if(good.begin(), good.end(),
                                 [](const StateRecord& record) { return record.key[0] == 'k'; });
  auto region_record = std::find_if(good.begin(), good.end(),
                                    [](const StateRecord& record) { return record.key[0] == 'r'; });
  ASSERT_NE(key_record, good.end());
  ASSERT_NE(region_record, good.end());
  const std::string truncated(key_record->value.substr(0, key_record->value.size() - 3));

  struct Case {
    std::vector<StateRecord> records;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{*key_record}, "key without its region"},
      {{*region_record, {key_record->key, truncated}}, "record 2 of 2"},
      {{*region_record, {"x", key_record->value}}, "unknown record kind"},
      {{{region_record->key, "not a record"}}, "not a region record"},
      {{*region_record, *region_record}, "region saved twice"},
      {{{key_record->key, region_record->value}}, "not a key record"},
  };
  for (const Case& bad : cases) {
    Detector fresh({}, interner, sink);
    const common::Status status = fresh.LoadRecords(bad.records);
    ASSERT_FALSE(status) << bad.reason;
    EXPECT_NE(status.error().message.find(bad.reason), std::string::npos) << status.error().message;
    EXPECT_EQ(fresh.key_count(), 0u);
    EXPECT_TRUE(fresh.LoadRecords(good)) << "left empty, ready to load again";
  }
}

}  // namespace
}  // namespace trailsight::detector
