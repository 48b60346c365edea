#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.h"
#include "common/result.h"
#include "common/time.h"
#include "consumers/encoded_event.h"
#include "consumers/event_ring.h"
#include "consumers/source_streams.h"

namespace trailsight::consumers {

struct AlignmentOptions {
  // A record is handed over once its partition's time is in the same step of this length as
  // the slowest partition still holding, or an earlier one (DESIGN.md "Partitions and event
  // time"). One minute, the detector's unit: every record of a minute is then counted before
  // any of the next, as in a replay of the records in time order, so findings start in the
  // same minute whatever order the partitions are read in. It must stay well below the
  // detector's allowed lateness, so that nothing handed over makes a slower partition late.
  std::chrono::seconds step{60};
  // A partition with nothing buffered stops holding the others back once it has brought no
  // message for this long (or, never having brought one, this long after its assignment).
  std::chrono::milliseconds idle_timeout{30'000};
  // True for a drain (`run --until-caught-up`): a partition read to its end holds nothing
  // back, since nothing more is expected from it.
  bool idle_at_end = false;
  // A partition holding this many records is paused until it is down to half of it.
  std::size_t pause_above = 4096;
  // A partition's (or a source's) time does not jump further than this on fewer than five
  // records while more may come (StandingTime): the detector's max_time_jump.
  std::chrono::seconds max_time_jump{std::chrono::hours{6}};
  // True for the repartition topic: each partition is read as the input partitions its records
  // were re-keyed from (SourceStreams), `sources` expected; records come through BufferFrom()
  // and marks through Mark(), and a partition holds the others back as its sources say.
  bool merge_sources = false;
  std::vector<SourcePartition> sources{};
};

// Where a partition's records go once alignment lets them through. Called from inside
// PartitionAligner::Release().
class AlignedOutput {
 public:
  virtual ~AlignedOutput() = default;
  // Hands over one record of the partition with index `partition` (see Assign()).
  virtual void OnAlignedEvent(std::size_t partition, const common::Event& event) = 0;
  // Every record before `next_offset` in the partition has been handed over; `at_end`: and
  // the partition was read to its end there.
  virtual void OnHandled(std::size_t partition, std::int64_t next_offset, bool at_end) = 0;
};

// Reads several partitions in step by event time, as Flink's watermark alignment and Kafka
// Streams' timestamp synchronisation do: records are buffered per partition as they are
// read, and a partition's records are handed over only while its time is in the same `step`
// (a minute) as the slowest partition that still holds the others back, or an earlier one.
// So a partition that is read days behind the others (a backlog, a slow leader, a late
// producer) is not overtaken, and its records are not late on their (account, region)'s
// timeline because of the others.
//
// A partition's time is its next record's event time, unless that is later than the median
// of its next five records (the record itself included): then it is the earliest of those
// five (HeadTime). So one record dated far ahead of its neighbours can neither hold its
// partition back nor let the others run past the records after it. Once a record is handed over,
// the partition keeps the largest time it has had. A partition with nothing buffered holds the
// others back at that time (or entirely, when it never had one) until it has been idle for
// `idle_timeout` (time spent paused does not count: SetPaused); then it holds nothing until its
// next message.
//
// Positions: the aligner tells the output when every record of a message has been handed
// over (OnHandled), which is what the consumer's positions, and so its commits, follow.
//
// Thread safety: none; the consumer's thread owns it. Buffers are ring buffers that keep
// their storage, so steady state allocates nothing.
class PartitionAligner {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PartitionAligner(AlignmentOptions options) : options_(options) {}

  // Adds a partition (or resets it if present) with nothing buffered and no time yet;
  // returns its index. Indexes of other partitions are unchanged.
  std::size_t Assign(std::string_view topic, std::int32_t partition, Clock::time_point now);
  // Drops a partition and every record it buffered (they were not handed over, so the
  // positions never passed them). Indexes after it shift down by one.
  void Revoke(std::string_view topic, std::int32_t partition);
  void Clear() { partitions_.clear(); }
  // Returns the index of the partition, or nullopt when it is not assigned.
  std::optional<std::size_t> Find(std::string_view topic, std::int32_t partition) const;

  // A record of the message being read from partition `index`.
  void Buffer(std::size_t index, const common::Event& event);
  // With merge_sources: a record of partition `index` at `offset`, re-keyed from `source`;
  // returns false when it was handed over before a restart and is dropped.
  bool BufferFrom(std::size_t index, EventSource source, const common::Event& event,
                  std::int64_t offset, Clock::time_point now);
  // With merge_sources: a source mark read from partition `index`.
  void Mark(std::size_t index, const SourceMark& mark, Clock::time_point now);
  // With merge_sources: partition `index` resumes at `position` with the handed-over table a
  // commit kept there (SourceStreams::SkipHandedOver); ignored otherwise.
  common::Status SkipHandedOver(std::size_t index, std::string_view table, std::int64_t position);
  // With merge_sources: the handed-over table to commit with `position` of partition `index`;
  // empty otherwise.
  std::string HandedOver(std::size_t index, std::int64_t position) const;
  // The message being read from partition `index` is done: once the records buffered so far
  // are handed over, the partition's position is `next_offset`.
  void EndOfMessage(std::size_t index, std::int64_t next_offset, Clock::time_point now);
  // Partition `index` was read to its end, whose offset is `next_offset`.
  void EndOfPartition(std::size_t index, std::int64_t next_offset);

  // Hands over, in order within each partition, every record that alignment allows now.
  // Returns the number of records handed over.
  std::size_t Release(AlignedOutput& output, Clock::time_point now);

  // The partitions to pause (holding pause_above or more records, pause_above per source with
  // merge_sources) and to resume (down to half of it), as of `now`; the caller pauses or
  // resumes them, then calls SetPaused(). With merge_sources, a partition with a source that
  // holds the others back and has nothing buffered (SourceStreams::Starved) is never paused.
  void PausesDue(Clock::time_point now, std::vector<std::size_t>& pause,
                 std::vector<std::size_t>& resume) const;
  // A paused partition brings no message because it was paused, not because its producers
  // are quiet: it holds the others back while paused (with merge_sources, each of its sources
  // whose latest mark says it holds), and its idle time counts again from its resumption
  // `now`. Else one paused for longer than idle_timeout would idle the moment its buffer ran
  // dry, before the first fetch after its resumption came back, and the others would run past
  // its next records.
  void SetPaused(std::size_t index, bool paused, Clock::time_point now);
  // A restoring partition (its state is not there yet) has its records buffered but never
  // handed over, and holds no other back, until it is set not restoring; Assign() clears it.
  void SetRestoring(std::size_t index, bool restoring) { partitions_[index].restoring = restoring; }
  bool restoring(std::size_t index) const { return partitions_[index].restoring; }

  // Counts one record of partition `index` that its receiver dropped as late.
  void CountLate(std::size_t index) { ++partitions_[index].late; }
  // Returns the late records counted for the partition since its assignment (0 when it is
  // not assigned).
  std::uint64_t LateOf(std::string_view topic, std::int32_t partition) const;

  // Returns the records buffered over every partition.
  std::size_t buffered() const;
  std::size_t partition_count() const { return partitions_.size(); }
  std::string_view topic(std::size_t index) const { return partitions_[index].topic; }
  std::int32_t partition(std::size_t index) const { return partitions_[index].partition; }
  bool paused(std::size_t index) const { return partitions_[index].paused; }
  // The partition's time (see the class comment); nullopt before it has one.
  std::optional<common::Seconds> TimeOf(std::size_t index) const;
  // Whether the partition holds the others back now (not restoring, not idle).
  bool Holding(std::size_t index, Clock::time_point now) const;

  // No record later than `ceiling` is handed over until it is raised (nullopt: none). The
  // re-keyer's input is held so to the slowest input partition other instances re-key
  // (DESIGN.md "Partitions and event time"), which bounds what the readers of the repartition
  // topic buffer.
  void SetCeiling(std::optional<common::Seconds> ceiling) { ceiling_ = ceiling; }
  // With merge_sources: how far the slowest input partition not in `except` has been sent on,
  // by the latest marks read over every partition (a source's latest mark in any of them).
  // Sources that hold nothing back are left out; one that holds with no marked time yet
  // (expected and not seen, or not read yet) holds everything back.
  struct SlowestSourceTime {
    bool known = false;             // some source holds
    bool holds_everything = false;  // one of them has no time yet
    common::Seconds time{};         // else the slowest one's
  };
  SlowestSourceTime SlowestSource(const std::vector<SourcePartition>& except,
                                  Clock::time_point now) const;

 private:
  struct Partition {
    std::string topic;
    std::int32_t partition = 0;
    EventRing records;
    std::unique_ptr<SourceStreams> sources;  // with merge_sources, instead of `records`
    std::int64_t reported = -1;              // with merge_sources: the position last handed
    bool reported_at_end = false;            // and whether it was the partition's end
    std::int64_t pending_offset = -1;        // a message without buffered records awaits these
    std::int64_t end_offset = -1;         // read to its end here, once the records are handed over
    std::optional<common::Seconds> time;  // its time when it last handed a record over
    Clock::time_point last_message;       // or its assignment
    std::uint64_t late = 0;               // see CountLate
    bool paused = false;
    bool restoring = false;  // see SetRestoring
  };

  // Whether `partition` holds the others back (it may have no time: then nothing passes).
  bool Holds(const Partition& partition, Clock::time_point now) const;
  // The time of a partition that holds the others back; nullopt: it holds everything.
  std::optional<common::Seconds> TimeOf(const Partition& partition, Clock::time_point now) const;
  // With merge_sources: tells `output` the partition's position when it moved.
  void ReportPosition(std::size_t index, AlignedOutput& output);

  const AlignmentOptions options_;
  std::vector<Partition> partitions_;
  std::optional<common::Seconds> ceiling_;
  mutable std::vector<SourceStreams::MarkedTime> marked_;  // reused by SlowestSource
};

}  // namespace trailsight::consumers
