#include "consumers/partition_alignment.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trailsight::consumers {
namespace {

using namespace std::chrono_literals;
using Clock = PartitionAligner::Clock;

const common::Seconds kDay0 = common::Seconds{
    std::chrono::sys_days{std::chrono::year{2026} / std::chrono::month{11} / std::chrono::day{2}}};

common::Event At(common::Seconds time) {
  common::Event event;
  event.time = time;
  return event;
}

// What the aligner handed over: each record as (partition, time), and each position.
class RecordingOutput final : public AlignedOutput {
 public:
  struct Handled {
    std::size_t partition;
    std::int64_t next_offset;
    bool at_end;
    bool operator==(const Handled&) const = default;
  };
  void OnAlignedEvent(std::size_t partition, const common::Event& event) override {
    records.emplace_back(partition, event.time);
  }
  void OnHandled(std::size_t partition, std::int64_t next_offset, bool at_end) override {
    handled.push_back({partition, next_offset, at_end});
  }
  std::vector<std::pair<std::size_t, common::Seconds>> records;
  std::vector<Handled> handled;
};

class PartitionAlignerTest : public ::testing::Test {
 protected:
  // Buffers one message per time, at offsets `first`, `first + 1`, ...
  void Read(std::size_t partition, const std::vector<common::Seconds>& times,
            std::int64_t first = 0) {
    for (std::size_t i = 0; i < times.size(); ++i) {
      aligner_.Buffer(partition, At(times[i]));
      aligner_.EndOfMessage(partition, first + static_cast<std::int64_t>(i) + 1, now_);
    }
  }

  // Partition 0 holds one record at kDay0 and partition 1 `ahead`'s records (pause_above of
  // them, all later); after a release, partition 1 is due to be paused and is. Returns the
  // partitions' indexes, the one behind first.
  std::pair<std::size_t, std::size_t> PauseOneAhead(const std::vector<common::Seconds>& ahead) {
    const std::size_t behind = aligner_.Assign("in", 0, now_);
    const std::size_t paused = aligner_.Assign("in", 1, now_);
    Read(behind, {kDay0});
    Read(paused, ahead);
    aligner_.Release(output_, now_);
    std::vector<std::size_t> pause, resume;
    aligner_.PausesDue(now_, pause, resume);
    EXPECT_EQ(pause, std::vector<std::size_t>{paused});
    aligner_.SetPaused(paused, true, now_);
    return {behind, paused};
  }

  Clock::time_point now_ = Clock::now();
  PartitionAligner aligner_{{.step = 60s, .idle_timeout = 30s, .pause_above = 8}};
  RecordingOutput output_;
};

TEST_F(PartitionAlignerTest, APartitionReadDaysBehindIsNotOvertaken) {
  const std::size_t live = aligner_.Assign("in", 0, now_);
  const std::size_t backlog = aligner_.Assign("in", 1, now_);
  Read(live, {kDay0 + 48h, kDay0 + 48h + 1min});
  Read(backlog, {kDay0, kDay0 + 1h, kDay0 + 24h, kDay0 + 47h});
  // Read to its end for now: its gaps of a day are real (ARecordAloneFarAhead... below).
  aligner_.EndOfPartition(backlog, 4);

  aligner_.Release(output_, now_);

  // The backlog's four come first, in order; the live partition waits until the backlog is
  // in its minute (after its last record the backlog has the time 47h: still behind).
  ASSERT_EQ(output_.records.size(), 4u);
  for (const auto& [partition, time] : output_.records) EXPECT_EQ(partition, backlog);
  EXPECT_EQ(output_.records.back().second, kDay0 + 47h);
  Read(backlog, {kDay0 + 48h - 1min, kDay0 + 48h}, 4);
  aligner_.Release(output_, now_);
  // Minute by minute now: 47:59 of the backlog, then 48:00 of both; the live partition's
  // 48:01 waits for the backlog to bring a later minute (or to idle).
  ASSERT_EQ(output_.records.size(), 7u);
  EXPECT_EQ(output_.records[4], std::make_pair(backlog, kDay0 + 48h - 1min));
}

TEST_F(PartitionAlignerTest, AnEmptyPartitionHoldsTheOthersUntilItIsIdle) {
  const std::size_t busy = aligner_.Assign("in", 0, now_);
  aligner_.Assign("in", 1, now_);  // nothing to read: no time yet
  Read(busy, {kDay0, kDay0 + 1min});

  EXPECT_EQ(aligner_.Release(output_, now_ + 29s), 0u);
  EXPECT_TRUE(output_.handled.empty()) << "positions must not pass records not handed over";

  EXPECT_EQ(aligner_.Release(output_, now_ + 30s), 2u);
  EXPECT_EQ(output_.handled.back(), (RecordingOutput::Handled{busy, 2, false}));
}

TEST_F(PartitionAlignerTest, ACaughtUpPartitionHoldsOthersAtItsTimeUntilIdle) {
  const std::size_t quiet = aligner_.Assign("in", 0, now_);
  const std::size_t busy = aligner_.Assign("in", 1, now_);
  Read(quiet, {kDay0, kDay0 + 10s});
  aligner_.EndOfPartition(quiet, 2);
  Read(busy, {kDay0, kDay0 + 2min, kDay0 + 10min, kDay0 + 11min});

  aligner_.Release(output_, now_ + 1s);

  // Up to the end of the quiet partition's minute; not the minutes after.
  ASSERT_EQ(output_.records.size(), 3u);
  EXPECT_EQ(output_.records.back(), std::make_pair(busy, kDay0));
  EXPECT_EQ(aligner_.TimeOf(quiet), kDay0 + 10s);
  aligner_.Release(output_, now_ + 30s);
  EXPECT_EQ(output_.records.size(), 6u);
}

TEST_F(PartitionAlignerTest, OneRecordFarAheadDoesNotMoveItsPartitionsTime) {
  const std::size_t forged = aligner_.Assign("in", 0, now_);
  const std::size_t other = aligner_.Assign("in", 1, now_);
  Read(forged, {kDay0 + 5 * 24h, kDay0, kDay0 + 1min, kDay0 + 2min, kDay0 + 3min});
  Read(other, {kDay0, kDay0 + 1min, kDay0 + 2min, kDay0 + 3min});

  // The records after it begin at minute 0; their median (minute 2) lies past two of them.
  EXPECT_EQ(aligner_.TimeOf(forged), kDay0);
  aligner_.Release(output_, now_);

  // Everything of both partitions is handed over: the forged time, next in its partition,
  // neither holds its partition back nor lets the other run past the records after it.
  ASSERT_EQ(output_.records.size(), 9u);
  const std::vector<std::pair<std::size_t, common::Seconds>> first_four = {
      {forged, kDay0 + 5 * 24h}, {forged, kDay0}, {other, kDay0}, {forged, kDay0 + 1min}};
  EXPECT_EQ(std::vector(output_.records.begin(), output_.records.begin() + 4), first_four);
}

// Read alone (the last of a fetch), a record far ahead proves nothing: until records after it
// come, or the partition idles, the partition stands at its last time, and that is what its
// source marks say too.
TEST_F(PartitionAlignerTest, ARecordAloneFarAheadIsNotBelievedUntilRecordsAfterItCome) {
  const std::size_t forged = aligner_.Assign("in", 0, now_);
  const std::size_t other = aligner_.Assign("in", 1, now_);
  Read(forged, {kDay0});
  Read(other, {kDay0});
  aligner_.Release(output_, now_);
  Read(forged, {kDay0 + 5 * 24h}, 1);
  Read(other, {kDay0 + 1min, kDay0 + 2min}, 1);

  EXPECT_EQ(aligner_.TimeOf(forged), kDay0);
  EXPECT_EQ(aligner_.Release(output_, now_), 0u) << "the other ran past the forged partition";
  Read(forged, {kDay0 + 1min}, 2);
  EXPECT_EQ(aligner_.Release(output_, now_), 3u) << "the forged record, then minute 1 of both";
  EXPECT_EQ(output_.records.back(), std::make_pair(other, kDay0 + 1min));

  // Alone again, with nothing after it for the idle timeout: then it is believed.
  Read(forged, {kDay0 + 6 * 24h}, 3);
  EXPECT_EQ(aligner_.Release(output_, now_ + 29s), 0u);
  EXPECT_EQ(aligner_.Release(output_, now_ + 30s), 2u) << "minute 2 of the other, then it";
}

TEST_F(PartitionAlignerTest, PositionsFollowTheRecordsHandedOver) {
  const std::size_t partition = aligner_.Assign("in", 0, now_);
  // Offset 0: a batch of two records; offset 1: a message whose records were all dead
  // letters; then the partition's end.
  aligner_.Buffer(partition, At(kDay0));
  aligner_.Buffer(partition, At(kDay0 + 1s));
  aligner_.EndOfMessage(partition, 1, now_);
  aligner_.EndOfMessage(partition, 2, now_);
  aligner_.EndOfPartition(partition, 2);

  aligner_.Release(output_, now_);

  EXPECT_EQ(output_.handled,
            (std::vector<RecordingOutput::Handled>{{partition, 2, /*at_end=*/true}}));
  aligner_.EndOfMessage(partition, 3, now_);  // a message with no records, with nothing buffered
  aligner_.Release(output_, now_);
  EXPECT_EQ(output_.handled.back(), (RecordingOutput::Handled{partition, 3, false}));
}

// A transactional producer's commit marker follows its records: the end read lies past the
// last record, and the partition is there once that record is handed over, not one short.
TEST_F(PartitionAlignerTest, APositionReachesAnEndPastTheLastRecord) {
  const std::size_t partition = aligner_.Assign("in", 0, now_);
  Read(partition, {kDay0, kDay0 + 1s});  // offsets 0 and 1; the marker is at 2
  aligner_.EndOfPartition(partition, 3);

  aligner_.Release(output_, now_);

  EXPECT_EQ(output_.handled.back(), (RecordingOutput::Handled{partition, 3, /*at_end=*/true}));
}

TEST_F(PartitionAlignerTest, AReadToItsEndPartitionHoldsNothingInADrain) {
  PartitionAligner drain({.step = 60s, .idle_timeout = 30s, .idle_at_end = true});
  const std::size_t empty = drain.Assign("in", 0, now_);
  const std::size_t busy = drain.Assign("in", 1, now_);
  drain.Buffer(busy, At(kDay0));
  drain.EndOfMessage(busy, 1, now_);
  EXPECT_EQ(drain.Release(output_, now_), 0u) << "its end is not read yet";

  drain.EndOfPartition(empty, 0);

  EXPECT_EQ(drain.Release(output_, now_), 1u);
  EXPECT_EQ(output_.handled.front(), (RecordingOutput::Handled{empty, 0, true}));
}

TEST_F(PartitionAlignerTest, APartitionFarAheadIsPausedUntilItDrainsToHalf) {
  const auto [behind, ahead] = PauseOneAhead(std::vector<common::Seconds>(8, kDay0 + 24h));
  ASSERT_FALSE(HasFailure()) << "paused at pause_above";

  aligner_.Release(output_, now_ + 30s);  // `behind` is idle: `ahead` drains
  std::vector<std::size_t> pause, resume;
  aligner_.PausesDue(now_, pause, resume);
  EXPECT_TRUE(pause.empty());
  EXPECT_EQ(resume, std::vector<std::size_t>{ahead});
}

// A partition paused for longer than the idle timeout brought nothing because it was paused.
// Run dry once the others catch up, it still holds them back at its time: its next records,
// fetched after its resumption, are not overtaken (the others' would make them late).
TEST_F(PartitionAlignerTest, APartitionPausedLongerThanTheIdleTimeoutHoldsWhenItRunsDry) {
  std::vector<common::Seconds> hour(8);
  for (std::size_t i = 0; i < hour.size(); ++i) hour[i] = kDay0 + 1h + i * 1min;
  const auto [behind, ahead] = PauseOneAhead(hour);
  ASSERT_FALSE(HasFailure()) << "paused at pause_above";
  std::vector<std::size_t> pause, resume;

  // 40 s on, `behind` brings the hour and the next: `ahead` drains to nothing, still paused.
  now_ += 40s;
  Read(behind, {kDay0 + 1h + 7min, kDay0 + 2h}, 1);
  aligner_.Release(output_, now_);
  EXPECT_EQ(output_.records.back().second, kDay0 + 1h + 7min);
  EXPECT_TRUE(aligner_.Holding(ahead, now_));
  aligner_.PausesDue(now_, pause, resume);
  ASSERT_EQ(resume, std::vector<std::size_t>{ahead});
  aligner_.SetPaused(ahead, false, now_);

  // Resumed, it idles only a full timeout after its resumption.
  aligner_.Release(output_, now_ + 29s);
  EXPECT_EQ(output_.records.back().second, kDay0 + 1h + 7min)
      << "the other partition ran past the one that was paused";
  aligner_.Release(output_, now_ + 30s);
  EXPECT_EQ(output_.records.back(), std::make_pair(behind, kDay0 + 2h));
}

TEST_F(PartitionAlignerTest, ARestoringPartitionWaitsWithoutHoldingTheOthersBack) {
  const std::size_t restoring = aligner_.Assign("in", 0, now_);
  const std::size_t held = aligner_.Assign("in", 1, now_);
  aligner_.SetRestoring(restoring, true);
  Read(restoring, {kDay0, kDay0 + 1min});  // behind the other, yet it holds nothing back
  Read(held, {kDay0 + 1h, kDay0 + 1h + 1min});

  aligner_.Release(output_, now_);

  ASSERT_EQ(output_.records.size(), 2u);
  for (const auto& [partition, time] : output_.records) EXPECT_EQ(partition, held);
  EXPECT_EQ(aligner_.buffered(), 2u) << "the restoring partition's records wait";
  for (const RecordingOutput::Handled& handled : output_.handled) {
    EXPECT_EQ(handled.partition, held) << "its position does not move";
  }

  // Restored: it is behind, so its records go first, and the other waits for it.
  aligner_.SetRestoring(restoring, false);
  Read(held, {kDay0 + 2h}, 2);
  aligner_.Release(output_, now_);
  ASSERT_EQ(output_.records.size(), 4u);
  EXPECT_EQ(output_.records[2], std::make_pair(restoring, kDay0));
  EXPECT_EQ(output_.records[3], std::make_pair(restoring, kDay0 + 1min));
  EXPECT_EQ(aligner_.buffered(), 1u) << "2h waits for the restored partition to catch up";
}

TEST_F(PartitionAlignerTest, ARevokedPartitionsRecordsAreDroppedNotHandedOver) {
  const std::size_t moving = aligner_.Assign("in", 0, now_);
  aligner_.Assign("in", 1, now_);  // empty: holds the records back
  Read(moving, {kDay0, kDay0 + 1s});

  aligner_.Revoke("in", 0);
  aligner_.Release(output_, now_ + 60s);

  EXPECT_TRUE(output_.records.empty());
  EXPECT_EQ(aligner_.buffered(), 0u);
  EXPECT_FALSE(aligner_.Find("in", 0).has_value());
  EXPECT_EQ(aligner_.Find("in", 1), std::optional<std::size_t>{moving});  // indexes shift down
}

}  // namespace
}  // namespace trailsight::consumers
