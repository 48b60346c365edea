// SourceStreams through the PartitionAligner that reads the repartition topic: one partition's
// records, written by re-keyers of different input partitions in the order their
// transactions committed, are handed over in event-time step, and positions with their
// handed-over tables let a restart hand nothing over twice.
#include "consumers/source_streams.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "consumers/partition_alignment.h"

namespace trailsight::consumers {
namespace {

using namespace std::chrono_literals;
using Clock = PartitionAligner::Clock;

const common::Seconds kMinute0 = common::Seconds{
    std::chrono::sys_days{std::chrono::year{2026} / std::chrono::month{11} / std::chrono::day{2}}};

common::Seconds Minute(int n) { return kMinute0 + std::chrono::minutes{n}; }

// What the aligner handed over: each record as "source minute" (its eventID says both), and
// each position.
class RecordingOutput final : public AlignedOutput {
 public:
  void OnAlignedEvent(std::size_t /*partition*/, const common::Event& event) override {
    records.emplace_back(event.event_id.view());
  }
  void OnHandled(std::size_t /*partition*/, std::int64_t next_offset, bool at_end) override {
    positions.emplace_back(next_offset, at_end);
  }
  std::vector<std::string> records;
  std::vector<std::pair<std::int64_t, bool>> positions;
};

class SourceStreamsTest : public ::testing::Test {
 protected:
  // Partition 0 of the repartition topic: reads a record of input partition `source` dated
  // `minute` at the next offset.
  bool Read(std::int32_t source, int minute) {
    common::Event event;
    event.time = Minute(minute);
    event.event_id.Assign("in/" + std::to_string(source) + " m" + std::to_string(minute));
    const bool kept = aligner_.BufferFrom(index_, {"in", source}, event, offset_, now_);
    aligner_.EndOfMessage(index_, ++offset_, now_);
    return kept;
  }
  void MarkSource(std::int32_t source, std::optional<int> minute, bool holds) {
    aligner_.Mark(index_,
                  {.topic = "in",
                   .partition = source,
                   .time = minute ? std::optional(Minute(*minute)) : std::nullopt,
                   .holds = holds},
                  now_);
    aligner_.EndOfMessage(index_, ++offset_, now_);
  }
  std::vector<std::string> Release() {
    output_.records.clear();
    aligner_.Release(output_, now_);
    return output_.records;
  }

  Clock::time_point now_ = Clock::now();
  PartitionAligner aligner_{
      {.step = 60s, .idle_timeout = 30s, .merge_sources = true, .sources = {{"in", 0}, {"in", 1}}}};
  std::size_t index_ = aligner_.Assign("repartition", 0, now_);
  std::int64_t offset_ = 0;
  RecordingOutput output_;
};

// Re-keyer A (input partition 0) committed three minutes before re-keyer B (input partition
// 1) committed the same three: in the order read, B's first minute would come after A's
// third, a burst's next minute before this one's.
TEST_F(SourceStreamsTest, InputPartitionsInterleavedOutOfTimeAreHandedOverInTimeStep) {
  for (int minute : {0, 1, 2}) Read(0, minute);
  for (int minute : {0, 1, 2}) Read(1, minute);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0", "in/0 m1", "in/1 m1",
                                                 "in/0 m2", "in/1 m2"}));
  EXPECT_EQ(output_.positions.back(), std::make_pair(std::int64_t{6}, false));
}

TEST_F(SourceStreamsTest, APositionStopsAtTheOldestRecordNotHandedOverAndATableCoversTheRest) {
  for (int minute : {0, 1, 2}) Read(0, minute);  // offsets 0 to 2
  for (int minute : {0, 1}) Read(1, minute);     // offsets 3 and 4
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0", "in/0 m1", "in/1 m1"}));
  ASSERT_FALSE(output_.positions.empty());
  EXPECT_EQ(output_.positions.back().first, 2) << "in/0's third minute waits for in/1";
  EXPECT_EQ(aligner_.HandedOver(index_, 2), "1;in:1@2") << "in/1 handed offset 4 over";
  EXPECT_EQ(aligner_.HandedOver(index_, 5), "");

  // A restart there (an instance that took the partition over from the commit): offsets 3
  // and 4 are read again and dropped; the rest is handed over once.
  PartitionAligner restarted{
      {.step = 60s, .idle_timeout = 30s, .merge_sources = true, .sources = {{"in", 0}, {"in", 1}}}};
  const std::size_t index = restarted.Assign("repartition", 0, now_);
  ASSERT_TRUE(restarted.SkipHandedOver(index, "1;in:1@2", 2));
  std::vector<bool> kept;
  std::int64_t offset = 2;
  for (auto [source, minute] : {std::pair{0, 2}, {1, 0}, {1, 1}, {1, 2}}) {
    common::Event event;
    event.time = Minute(minute);
    event.event_id.Assign("in/" + std::to_string(source) + " m" + std::to_string(minute));
    kept.push_back(restarted.BufferFrom(index, {"in", source}, event, offset, now_));
    restarted.EndOfMessage(index, ++offset, now_);
  }
  EXPECT_EQ(kept, (std::vector<bool>{true, false, false, true}));
  restarted.Release(output_, now_);
  EXPECT_EQ(output_.records, (std::vector<std::string>{"in/0 m0", "in/1 m0", "in/0 m1", "in/1 m1",
                                                       "in/0 m2", "in/1 m2"}));
}

TEST_F(SourceStreamsTest, ABadTableIsRefusedNamingTheEntry) {
  const common::Status refused = aligner_.SkipHandedOver(index_, "1;in:x@2", 2);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("\"x@2\" of in"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(aligner_.SkipHandedOver(index_, "2;in:1@2", 2)) << "another version";
  EXPECT_FALSE(aligner_.SkipHandedOver(index_, "1;:1@2", 2)) << "no topic";
}

// The table names each topic once: a few bytes per input partition, so that hundreds fit in
// the broker's offset.metadata.max.bytes (4096 by default).
TEST(SourceStreamsTableTest, ATableGroupsItsSourcesByTopicAndReadsBack) {
  SourceStreams streams(30s, 6h);
  streams.Reset({{"in", 0}, {"in", 1}}, Clock::now());
  const std::string table = "1;in:0@1,1@3;other:3@4";
  ASSERT_TRUE(streams.SkipHandedOver(table, 10));
  EXPECT_EQ(streams.HandedOver(10), table) << "carried until the position passes them";
  EXPECT_EQ(streams.HandedOver(12), "1;in:1@1;other:3@2");
  EXPECT_EQ(streams.HandedOver(15), "");

  SourceStreams wide(30s, 6h);
  std::vector<SourcePartition> sources;
  for (std::int32_t partition = 0; partition < 300; ++partition) {
    sources.push_back({"cloudtrail-management-events-organization", partition});
  }
  wide.Reset(sources, Clock::now());
  std::string all = "1;cloudtrail-management-events-organization:";
  for (std::int32_t partition = 0; partition < 300; ++partition) {
    all += fmt::format("{}{}@{}", partition == 0 ? "" : ",", partition, 1000 + partition);
  }
  ASSERT_TRUE(wide.SkipHandedOver(all, 5'000'000));
  EXPECT_EQ(wide.HandedOver(5'000'000), all);
  EXPECT_LT(all.size(), 4096u) << "300 input partitions of a long-named topic";
}

TEST_F(SourceStreamsTest, AnEmptySourceHoldsAtItsMarkUntilTheMarkSaysItIsIdle) {
  for (int minute : {0, 1, 2, 3}) Read(0, minute);
  MarkSource(1, 1, /*holds=*/true);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/0 m1"}));
  MarkSource(1, 1, /*holds=*/false);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m2", "in/0 m3"}));
  EXPECT_EQ(output_.positions.back().first, offset_) << "marks move the position too";
}

TEST_F(SourceStreamsTest, AnExpectedSourceNeverSeenHoldsEverythingUntilTheIdleTimeout) {
  Read(0, 0);
  EXPECT_TRUE(Release().empty()) << "in/1 may still bring older records";
  now_ += 31s;
  EXPECT_EQ(Release(), std::vector<std::string>{"in/0 m0"});
}

TEST_F(SourceStreamsTest, AQuietSourceStopsHoldingAfterTheIdleTimeoutAndTheEndIsReported) {
  Read(1, 0);
  Read(0, 0);
  Read(0, 5);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0"}));
  now_ += 31s;  // in/1 brought nothing since: its re-keyer is gone
  aligner_.EndOfPartition(index_, offset_);
  EXPECT_EQ(Release(), std::vector<std::string>{"in/0 m5"});
  EXPECT_EQ(output_.positions.back(), std::make_pair(offset_, true));
}

// While the repartition partition is paused nothing of it is read, so a source whose mark
// says it holds keeps holding however long that lasts, and idles only a full timeout after
// the partition is resumed: its records may be right behind the pause.
TEST_F(SourceStreamsTest, ASourceOfAPausedPartitionDoesNotIdleWhilePaused) {
  Read(1, 0);
  MarkSource(1, 0, /*holds=*/true);
  Read(0, 0);
  Read(0, 5);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0"}));
  aligner_.SetPaused(index_, true, now_);
  now_ += 40s;
  EXPECT_TRUE(Release().empty()) << "in/1 idled while its partition was paused";
  aligner_.SetPaused(index_, false, now_);
  now_ += 29s;
  EXPECT_TRUE(Release().empty()) << "in/1 idled less than a timeout after the resumption";
  now_ += 1s;
  EXPECT_EQ(Release(), std::vector<std::string>{"in/0 m5"});
}

// A full re-keyed partition is paused only while each source that holds has records buffered:
// one that holds with none has its next records further on in the partition, so the partition
// is read on (and resumed when paused) until they come; else both would wait forever.
TEST_F(SourceStreamsTest, APartitionIsNotPausedWhileAHoldingSourceHasNothingBuffered) {
  PartitionAligner small{{.step = 60s,
                          .idle_timeout = 30s,
                          .pause_above = 2,
                          .merge_sources = true,
                          .sources = {{"in", 0}, {"in", 1}}}};
  const std::size_t index = small.Assign("repartition", 0, now_);
  std::int64_t offset = 0;
  auto read = [&](std::int32_t source, int minute) {
    common::Event event;
    event.time = Minute(minute);
    small.BufferFrom(index, {"in", source}, event, offset, now_);
    small.EndOfMessage(index, ++offset, now_);
  };
  small.Mark(index, {.topic = "in", .partition = 1, .time = Minute(0), .holds = true}, now_);
  for (int minute : {1, 2, 3, 4}) read(0, minute);  // 4 buffered: the limit (2 per source)
  std::vector<std::size_t> pause, resume;
  small.PausesDue(now_, pause, resume);
  EXPECT_TRUE(pause.empty()) << "in/1 holds at minute 0 with nothing buffered";

  read(1, 1);
  small.PausesDue(now_, pause, resume);
  EXPECT_EQ(pause, std::vector<std::size_t>{index});
  small.SetPaused(index, true, now_);
  EXPECT_EQ(small.Release(output_, now_), 2u) << "minute 1 of both";
  small.PausesDue(now_, pause, resume);
  EXPECT_EQ(resume, std::vector<std::size_t>{index}) << "in/1 is starved again";
}

// A record of one source read alone far ahead of it (a forged time) is not believed until the
// records after it come: the other source does not run past them.
TEST_F(SourceStreamsTest, ARecordAloneFarAheadOfItsSourceDoesNotLetTheOthersRunPast) {
  constexpr int kFiveDays = 5 * 24 * 60;
  Read(0, 0);
  Read(1, 0);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0"}));
  Read(0, kFiveDays);
  Read(1, 1);
  Read(1, 2);
  EXPECT_TRUE(Release().empty()) << "in/1 ran past what in/0 may still bring";
  Read(0, 1);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m7200", "in/0 m1", "in/1 m1"}));
}

// Few of an input partition's pairs may live in one repartition partition: its records there lie
// minutes apart. A forged record first among them does not make the source stand where the
// median of the five puts it (minute 17): the other source's minute 8 waits for minute 1.
TEST_F(SourceStreamsTest, ARecordFarAheadFirstInASparseSourceLetsNoneRunPastTheRecordsAfterIt) {
  constexpr int kFiveDays = 5 * 24 * 60;
  Read(0, 0);
  Read(1, 0);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m0", "in/1 m0"}));
  for (int minute : {kFiveDays, 1, 9, 17, 25}) Read(0, minute);
  Read(1, 8);
  EXPECT_EQ(Release(), (std::vector<std::string>{"in/0 m7200", "in/0 m1", "in/1 m8"}))
      << "in/1 ran past a record of in/0 after the forged one";
}

}  // namespace
}  // namespace trailsight::consumers
