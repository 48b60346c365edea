#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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
#include "kafka/state_changelog.h"  // ChangelogRecord

namespace trailsight::app {

// Reads one partition of the state changelog: every record, oldest first. KafkaChangelog
// (app/service_parts.h) reads the Kafka topic; tests read a vector. Read is called on threads
// of its own (a restore runs beside the service thread), several at once.
class ChangelogReader {
 public:
  virtual ~ChangelogReader() = default;
  virtual common::Status Read(
      std::int32_t partition,
      const std::function<void(std::string_view key, std::string_view value)>& visit) = 0;
};

// The service's detection state, one Detector per partition of the keyed topic (the input
// declared keyed by account and region, else the repartition topic; DESIGN.md "Delivery and
// state"):
// - every (account, region) is on one partition, so its watermark, keys, open minutes and
//   open insights live in that partition's own Detector, which exists while the partition is
//   held. Restore() creates it when the
//   partition is assigned; Drop() removes it once the partition is revoked and checkpointed.
//   Idle ticks, and so silence, concern held partitions only.
//   With a changelog (Wiring::changelog), each checkpoint writes the records of what changed
//   (CaptureChanges) to the changelog partition numbered as the input partition, in one
//   transaction with the input offsets (app/checkpointer.h); a partition assigned here is
//   restored from that changelog, so it arrives warm on any instance, an empty disk included.
//   That restore does not stop the partitions held (DESIGN.md "Threads"): the changelog is
//   read on a thread of its own, and FinishRestores(), called between polls, loads what was
//   read into the partition's Detector on the service thread (the interner is that
//   thread's); until then the partition's records wait (KafkaSource::SetRestoring).
//   A dropped partition's state is also kept as bytes, with the offset it reflects, and
//   written into every snapshot (a local cache): when the partition comes back, here or after
//   a restart, its state is restored from there when it is current (its offset is the
//   group's committed one: nobody read the partition since), from the changelog otherwise.
//   Without a changelog the cache is all there is, and a partition resumes at its offset.
// Every Detector shares the interner, the sinks and the current tuning.
//
// Thread safety: none; the service thread owns it (rebalance callbacks run on that thread).
class PartitionDetectors {
 public:
  // What Restore() did with newly assigned partitions.
  struct RestoreStart {
    // Restored from kept state, with the offsets that state reflects (where each resumes).
    std::vector<consumers::PartitionOffset> resumed;
    // Being read from the changelog: their Detectors exist once FinishRestores() returns
    // them, and their records must wait until then. They resume at the committed offset.
    std::vector<consumers::PartitionOffset> restoring;
  };

  static constexpr std::size_t kLoadChunk = 8192;  // Wiring::load_chunk's default
  struct Wiring {
    detector::DetectorOptions options;
    common::StringInterner* interner = nullptr;  // these outlive the PartitionDetectors
    common::FindingSink* findings = nullptr;
    common::AlertSink* alerts = nullptr;                // silent sources; may be null
    detector::CloseListener* close_listener = nullptr;  // may be null
    ChangelogReader* changelog = nullptr;  // per partition: the state changelog; may be null
    // Changelog records loaded per FinishRestores() call, over every partition restoring: the
    // service thread's pause for a restore is about this many records' load (some 50 ms),
    // however large the partition.
    std::size_t load_chunk = kLoadChunk;
  };

  // `tuning` applies to every Detector, present and future, until Retune().
  PartitionDetectors(Wiring wiring, detector::CompiledTuning tuning);

  // The partitions' states of the snapshot the service starts from, each
  // restored when its partition is assigned.
  void Seed(std::vector<PartitionState> states);
  // Splits a whole input's state (`trailsight replay --state-out`) by
  // (account, region) into the states of the `partitions` partitions of `topic`, each pair to
  // partition_of(account, region), kept as seeds (offset kSeedOffset): a seed is restored
  // when its partition is assigned while the group has committed no offset for it (nobody
  // has read it yet), and then written to the changelog whole. Returns the partitions
  // seeded; fails, saying why, on bytes it cannot read (nothing is seeded then).
  using PartitionOf =
      std::function<std::int32_t(std::string_view account, std::string_view region)>;
  common::Result<std::size_t> SeedWhole(std::string_view detector_state, const std::string& topic,
                                        const PartitionOf& partition_of);
  static constexpr std::int64_t kSeedOffset = -2;

  // The Detector that counts the records of `partition` of `topic`. One is created fresh for a
  // partition that was never restored (records of a partition assigned without OnAssign, which the
  // consumer never does).
  detector::Detector& For(std::string_view topic, std::int32_t partition);

  // Idle tick (Detector::OnIdle) for every Detector held.
  void OnIdle(common::Seconds wall_clock);
  // New tuning for every Detector held and every one created from now on.
  void Retune(const detector::CompiledTuning& tuning);

  // The state of each dropped partition and, when `with_held` or without a changelog, of each
  // held one, at its offset in `snapshot.offsets` (which must be filled first).
  void Capture(Snapshot& snapshot, bool with_held = true) const;
  // With a changelog: the records of every region and key changed since the
  // last call, for the changelog partition numbered as their input partition. Each record
  // key is the input topic (a text) then the detector's record key.
  void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes);
  // The changes last captured were not written: every held partition's state counts as
  // changed, so the next capture writes it whole.
  void ChangesLost();
  // Restores newly assigned `partitions`. Each is restored at once from its kept state when
  // there is one and, with a changelog, when its offset is the partition's in `committed`
  // (the group's committed offsets); otherwise, with a changelog, its changelog partition
  // starts being read on a thread of its own (see RestoreStart); without one it starts fresh.
  common::Result<RestoreStart> Restore(const std::vector<consumers::PartitionOffset>& partitions,
                                       const std::vector<consumers::PartitionOffset>& committed);
  // Loads the changelog reads that have finished into their partitions' Detectors, at most
  // Wiring::load_chunk records a call (all of them, waiting for the reads, when `wait`), and
  // returns the partitions whose state is whole: their records may go on. Fails,
  // naming the partition, when its changelog could not be read or its records loaded: its
  // state is then unknown, and the caller must not process it.
  common::Result<std::vector<consumers::PartitionOffset>> FinishRestores(bool wait = false);
  std::size_t restoring() const { return restoring_.size(); }
  // Drops the Detectors of revoked `partitions`, keeping each one's state at its given offset
  // (the position it was read to) when that is known, and returns true (the live state no
  // longer reflects them). A partition still restoring is forgotten; its read finishes
  // unheeded.
  bool Drop(const std::vector<consumers::PartitionOffset>& partitions);

  // Totals over every Detector this object had, dropped ones included, so they only grow.
  detector::DetectorCounters counters() const;
  // Over the Detectors held now.
  std::size_t key_count() const;
  std::size_t open_insights() const;
  std::size_t held() const { return held_.size(); }
  // Partitions restored so far, and the time spent reading and loading changelogs.
  struct RestoreCounters {
    std::uint64_t from_cache = 0;      // from kept state (the local snapshot)
    std::uint64_t from_changelog = 0;  // from the changelog
    double changelog_seconds = 0;
  };
  const RestoreCounters& restores() const { return restores_; }
  std::size_t kept() const { return kept_.size(); }

 private:
  struct Held {
    std::string topic;
    std::int32_t partition = 0;
    std::unique_ptr<detector::Detector> detector;
  };
  // The newest value of each of a partition's detector record keys in the changelog: what
  // compaction keeps.
  // The newest value of each of a partition's detector record keys in the changelog (what
  // compaction keeps), every region's before the keys'.
  using ChangelogState = std::vector<std::pair<std::string, std::string>>;
  struct Restoring {
    std::string topic;
    std::int32_t partition = 0;
    std::future<common::Result<ChangelogState>> read;  // invalid while queued, and once taken
    std::chrono::steady_clock::time_point started;     // queued, then read
    std::optional<ChangelogState> records;             // the read's, once taken
    std::size_t loaded = 0;                            // of `records`, into `detector`
    std::unique_ptr<detector::Detector> detector;
  };
  // Changelog reads at once, each a thread and a consumer; the others queue. A rebalance may
  // assign dozens of partitions: more reads than this would only share the same bandwidth.
  static constexpr std::size_t kConcurrentReads = 4;
  std::unique_ptr<detector::Detector> NewDetector() const;
  // Queues a read of the changelog's records of `topic` in `partition`.
  void QueueChangelogRead(const std::string& topic, std::int32_t partition);
  // Starts queued reads, each on a thread of its own, up to kConcurrentReads running.
  void StartQueuedReads();
  // Loads up to `budget` records of a finished read into its Detector (taking `budget` down);
  // returns true once the state is whole and the Detector held.
  common::Result<bool> Install(Restoring& restoring, std::size_t& budget);
  Held* Find(std::string_view topic, std::int32_t partition);

  const Wiring wiring_;
  detector::CompiledTuning tuning_;
  std::vector<Held> held_;              // the partitions held
  std::vector<PartitionState> kept_;    // the others' states
  std::size_t last_hit_ = 0;            // index into held_ of the last For()
  detector::DetectorCounters dropped_;  // totals of the Detectors dropped so far
  RestoreCounters restores_;
  std::vector<Restoring> restoring_;  // reads in progress, in the order they started
  // Reads of partitions revoked while restoring, which cannot be stopped: waited for when
  // they are done (and, at the latest, by the destructor).
  std::vector<std::future<common::Result<ChangelogState>>> abandoned_;
  std::vector<detector::StateRecord> chunk_;  // reused by Install
};

}  // namespace trailsight::app
