#pragma once

// How far in event time this instance may re-key (DESIGN.md "Partitions and event time").
// Several instances re-key the input's partitions at their own pace; the reader of each
// repartition partition merges the input partitions' records by event time
// (consumers/source_streams.h) and so buffers what a fast instance sent until a slow one
// catches up. Alignment across instances, as Flink's watermark alignment across sources: an
// instance hands over no input record dated more than a drift past the slowest input
// partition re-keyed anywhere (this instance's own by their live times, the others' by the
// source marks its repartition partitions brought; idle ones left out). The slowest is never
// held back by it, so all go at the slowest one's pace at most a drift apart.
//
// Before the other input partitions are known (each expected one not marked yet holds
// everything back, until the idle timeout, as it does for the readers), nothing is handed
// over: else a fast instance would send its whole backlog ahead of the others' first commit.
//
// The drift is what the readers can buffer, in event time: half of a repartition partition's
// pause threshold, at the density this instance has re-keyed so far (records per event-time
// minute), between kMinDrift (also until the density is known) and kMaxDrift. A sparse backlog gets
// a wide drift (the marks' round trips would otherwise pace it), a dense one a narrow one.
//
// Thread safety: none; the service thread owns it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/time.h"
#include "consumers/encoded_event.h"
#include "consumers/partition_alignment.h"

namespace trailsight::app {

class RekeyCeiling {
 public:
  static constexpr std::chrono::minutes kMinDrift{5};
  static constexpr std::chrono::minutes kMaxDrift{24 * 60};

  // `buffer_budget`: the records a repartition partition may buffer before it is paused
  // (PartitionAligner's pause threshold); `keyed_partitions`: the repartition topic's count.
  RekeyCeiling(std::size_t buffer_budget, std::int32_t keyed_partitions)
      : buffer_budget_(buffer_budget), keyed_partitions_(keyed_partitions) {}

  // The ceiling for now: `own` are this instance's input partitions (KafkaSource::SourceMarks
  // of its input), `others` the slowest other input partition by the marks read
  // (KafkaSource::SlowestSource), `rekeyed` the records this instance re-keyed so far. None
  // while no time is known; the earliest time there is while another input partition holds
  // everything back (expected but not seen yet, or not read yet), as the readers do.
  std::optional<common::Seconds> Compute(
      const std::vector<consumers::SourceMark>& own,
      const consumers::PartitionAligner::SlowestSourceTime& others, std::uint64_t rekeyed);

  // The drift of the last Compute().
  std::chrono::minutes drift() const { return drift_; }

 private:
  const std::size_t buffer_budget_;
  const std::int32_t keyed_partitions_;
  std::optional<common::Seconds> first_time_;  // the slowest own time first seen
  std::uint64_t first_rekeyed_ = 0;            // records re-keyed by then
  std::chrono::minutes drift_ = kMinDrift;     // until the density is known
};

}  // namespace trailsight::app
