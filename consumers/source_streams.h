#pragma once

// One partition of the repartition topic, read as the input partitions it was re-keyed from
// (DESIGN.md "Partitions and event time"). Several instances re-key the input, each holding
// some of its partitions, and each sends a pair's records on in its own event-time step: in
// the repartition partition their transactions interleave in commit order, not in time
// order. Read in that order, the minutes of one (account, region) would arrive out of order
// (a burst's next minute before this one's) or late. So the records are buffered per input
// partition (a source) and handed over in event-time step across the sources, as the
// PartitionAligner does across partitions.
//
// A source's time is that of its next record (HeadTime), or, with nothing buffered, the
// later of the last it handed over and its latest mark: every re-keying commit writes the
// re-keyer's view of each input partition it holds (how far in time it was sent, and whether
// it still holds the others back; consumers/encoded_event.h). A source holds the others back
// while it has records, or while its latest mark says it holds and it brought a record or a
// mark within `idle_timeout` (time its partition spent paused not counted: SetPaused). A source
// expected (every input partition) but not seen yet holds everything back until it brings a record
// or a mark, or `idle_timeout` has passed since Reset().
//
// Positions: records leave out of offset order, so the partition's position is its oldest
// record not handed over (or, with none buffered, the end of what was read), and a restart
// there reads again records that were handed over. HandedOver() is what a commit keeps beside
// the offset (Kafka's offset metadata): for each source, the last offset it handed over at
// or after the position. SkipHandedOver() takes it back after a restart, and Buffer() then
// drops those records. So every record is handed over once.
//
// Thread safety: none; the consumer's thread owns it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.h"
#include "common/result.h"
#include "common/time.h"
#include "consumers/encoded_event.h"
#include "consumers/event_ring.h"

namespace trailsight::consumers {

// An input partition whose records are re-keyed.
struct SourcePartition {
  std::string topic;
  std::int32_t partition = 0;
  bool operator==(const SourcePartition&) const = default;
};

class SourceStreams {
 public:
  using Clock = std::chrono::steady_clock;

  // `max_jump`: see StandingTime (consumers/event_ring.h).
  SourceStreams(std::chrono::milliseconds idle_timeout, std::chrono::seconds max_jump)
      : idle_timeout_(idle_timeout), max_jump_(max_jump) {}

  // Starts over: nothing buffered or read, no handed-over table, and `expected` each holding
  // everything back (see the class comment) from `now`.
  void Reset(const std::vector<SourcePartition>& expected, Clock::time_point now);
  // The partition resumes at `position` with the table HandedOver() wrote for it there
  // (empty: none). Fails with kMalformedEvent naming what is wrong (the table is then ignored).
  common::Status SkipHandedOver(std::string_view table, std::int64_t position);

  // A record of `source` at `offset`; returns false when it was handed over before the
  // restart (SkipHandedOver) and is dropped.
  bool Buffer(EventSource source, const common::Event& event, std::int64_t offset,
              Clock::time_point now);
  // A source-marks record's mark.
  void Mark(const SourceMark& mark, Clock::time_point now);
  // The partition is paused (or resumed) from `now`. While paused no source idles: each holds
  // the others back unless its latest mark says it does not; resumed, each one's idle time
  // counts again from `now` (PartitionAligner::SetPaused).
  void SetPaused(bool paused, Clock::time_point now);
  // Everything before `next_offset` in the partition has been read.
  void ReadTo(std::int64_t next_offset) {
    if (next_offset > read_to_) read_to_ = next_offset;
  }

  // Whether any source holds the others back.
  bool Holds(Clock::time_point now) const;
  // Whether a source that holds the others back has nothing buffered: only reading on brings
  // its next records (the partition must not stay paused).
  bool Starved(Clock::time_point now) const;
  // The time of the slowest source that holds the others back (each at its StandingTime: more
  // may come unless the partition was `read_to_end`); nullopt when one of them has no time yet
  // (it holds everything back) or none holds.
  std::optional<common::Seconds> Time(Clock::time_point now, bool read_to_end) const;

  // Hands over to hand_over(event), source by source, each record whose source's time is at
  // or before `bound`. Returns the number handed over.
  template <typename HandOver>
  std::size_t Release(common::Seconds bound, HandOver&& hand_over) {
    std::size_t released = 0;
    for (Stream& stream : streams_) {
      while (!stream.records.empty()) {
        const common::Seconds time = HeadTime(stream.records);
        if (time > bound) break;
        if (!stream.time || *stream.time < time) stream.time = time;
        const BufferedEvent& entry = stream.records.front();
        stream.last_handed = entry.next_offset - 1;
        hand_over(entry.event);
        stream.records.pop_front();
        --buffered_;
        ++released;
      }
    }
    return released;
  }

  // The partition's position: its oldest record not handed over, else the end of what was
  // read; -1 before anything was read.
  std::int64_t Position() const;
  // The handed-over table for a commit at `position` (see the class comment): empty when no
  // source handed a record over at or after it. Text: "1;" then, per topic, the topic, ':'
  // and, per source of it, `partition@offset - position` separated by ','; topics separated
  // by ';' (Kafka topic names hold none of ",:@;"). About 8 bytes per source.
  std::string HandedOver(std::int64_t position) const;

  std::size_t buffered() const { return buffered_; }

  // For each source that holds the others back: its latest mark's time, how far its re-keyer
  // has sent its records, or none when it has no marked time yet (appended to `out`).
  struct MarkedTime {
    const SourcePartition* source = nullptr;  // valid until the next call that adds a source
    std::optional<common::Seconds> time{};
  };
  void AddMarkedTimes(std::vector<MarkedTime>& out, Clock::time_point now) const;

 private:
  struct Stream {
    SourcePartition source;
    EventRing records{};                      // each entry's next_offset is its offset + 1
    std::optional<common::Seconds> time{};    // the latest handed over, or marked
    std::optional<common::Seconds> marked{};  // the latest mark's time
    bool marked_holds = true;                 // the latest mark's word
    bool seen = false;                        // brought a record or a mark
    Clock::time_point last_seen;              // or Reset()
    std::int64_t last_handed = -1;            // the offset of the last record handed over
    std::int64_t skip_through = -1;           // records at or below were handed over before
  };
  Stream& Find(std::string_view topic, std::int32_t partition, Clock::time_point now);
  bool Holds(const Stream& stream, Clock::time_point now) const;

  const std::chrono::milliseconds idle_timeout_;
  const std::chrono::seconds max_jump_;
  std::vector<Stream> streams_;
  std::size_t last_found_ = 0;
  std::size_t buffered_ = 0;
  std::int64_t read_to_ = -1;
  Clock::time_point reset_at_;
  bool paused_ = false;
};

}  // namespace trailsight::consumers
