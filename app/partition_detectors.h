#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/snapshot_store.h"  // Snapshot, PartitionState
#include "common/alert.h"
#include "common/finding.h"
#include "common/interner.h"
#include "common/result.h"
#include "common/time.h"
#include "consumers/partition_positions.h"
#include "detector/detector.h"
#include "detector/options.h"
#include "detector/tuning.h"

namespace trailsight::app {

// The service's detection state, split as the input's keying allows (DESIGN.md "Delivery and
// state"):
// - Per partition, for an input keyed by account and region
//   (`kafka.input_keyed_by_account_region`): every (account, region) is on one partition, so
//   its watermark, keys, open minutes and open insights live in that partition's own
//   Detector, which exists while the partition is held. Restore() creates it when the
//   partition is assigned; Drop() removes it once the partition is revoked and checkpointed.
//   Idle ticks, and so silence, concern held partitions only.
//   A dropped partition's state is kept as bytes, with the offset it reflects, and written
//   into every snapshot (a local cache): when the partition comes back, here or after a
//   restart, its state is restored from there and it resumes at that offset, re-reading what
//   another instance read meanwhile rather than starting without a baseline.
// - Whole, otherwise: one Detector for every partition, kept across assignments, since any
//   partition may carry any (account, region).
// Every Detector shares the interner, the sinks and the current tuning.
//
// Thread safety: none; the service thread owns it (rebalance callbacks run on that thread).
class PartitionDetectors {
 public:
  struct Wiring {
    detector::DetectorOptions options;
    common::StringInterner* interner = nullptr;  // these outlive the PartitionDetectors
    common::FindingSink* findings = nullptr;
    common::AlertSink* alerts = nullptr;                // silent sources; may be null
    detector::CloseListener* close_listener = nullptr;  // may be null
  };

  // `per_partition` chooses the split above. `tuning` applies to every Detector, present and
  // future, until Retune().
  PartitionDetectors(Wiring wiring, bool per_partition, detector::CompiledTuning tuning);

  bool per_partition() const { return per_partition_; }

  // Whole state only: restores the one Detector from a snapshot's `detector_state`; fails,
  // saying why, on bytes it cannot read (the Detector is then left fresh).
  common::Status LoadWhole(std::string_view detector_state);

  // Per partition: the partitions' states of the snapshot the service starts from, each
  // restored when its partition is assigned.
  void Seed(std::vector<PartitionState> states);

  // The Detector that counts the records of `partition` of `topic`. Per partition, one is
  // created fresh for a partition that was never restored (records of a partition assigned
  // without OnAssign, which the consumer never does).
  detector::Detector& For(std::string_view topic, std::int32_t partition);

  // Idle tick (Detector::OnIdle) for every Detector held.
  void OnIdle(common::Seconds wall_clock);
  // New tuning for every Detector held and every one created from now on.
  void Retune(const detector::CompiledTuning& tuning);

  // Per partition: the state of each held partition, at its offset in `snapshot.offsets`
  // (which must be filled first), and of each dropped one. Whole: `detector_state`.
  void Capture(Snapshot& snapshot) const;
  // Per partition: creates the Detectors of newly assigned `partitions`, each restored from
  // its kept state when there is one. Returns those partitions with the offsets their
  // restored state reflects (where each must resume). Whole: nothing to do; returns none.
  std::vector<consumers::PartitionOffset> Restore(
      const std::vector<consumers::PartitionOffset>& partitions);
  // Per partition: drops the Detectors of revoked `partitions`, keeping each one's state at
  // its given offset (the position it was read to) when that is known, and returns true (the
  // live state no longer reflects them). Whole: keeps everything and returns false.
  bool Drop(const std::vector<consumers::PartitionOffset>& partitions);

  // Totals over every Detector this object had, dropped ones included, so they only grow.
  detector::DetectorCounters counters() const;
  // Over the Detectors held now.
  std::size_t key_count() const;
  std::size_t open_insights() const;
  std::size_t held() const { return per_partition_ ? held_.size() : 0; }
  std::size_t kept() const { return kept_.size(); }

 private:
  struct Held {
    std::string topic;
    std::int32_t partition = 0;
    std::unique_ptr<detector::Detector> detector;
  };
  std::unique_ptr<detector::Detector> NewDetector() const;
  Held* Find(std::string_view topic, std::int32_t partition);

  const Wiring wiring_;
  const bool per_partition_;
  detector::CompiledTuning tuning_;
  std::unique_ptr<detector::Detector> whole_;  // the whole-input Detector, or null
  std::vector<Held> held_;                     // per partition: the partitions held
  std::vector<PartitionState> kept_;           // per partition: the others' states
  std::size_t last_hit_ = 0;                   // index into held_ of the last For()
  detector::DetectorCounters dropped_;         // totals of the Detectors dropped so far
};

}  // namespace trailsight::app
