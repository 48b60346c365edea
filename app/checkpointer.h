#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alerts/kafka_publisher.h"
#include "app/partition_detectors.h"  // RestoreStart
#include "app/snapshot_store.h"
#include "common/result.h"
#include "consumers/kafka_source.h"  // RebalanceListener, PartitionOffset
#include "kafka/state_changelog.h"

namespace trailsight::app {

// An output whose records the checkpoint waits for: numbered 1, 2, 3... as they are
// published, acknowledged by Kafka in any order. KafkaOutput adapts the Kafka publisher.
class CheckpointedOutput {
 public:
  virtual ~CheckpointedOutput() = default;
  // Returns the number of the newest record published (0 before the first).
  virtual std::uint64_t published() const = 0;
  // Returns the largest n such that records 1..n are all acknowledged.
  virtual std::uint64_t AckedThrough() const = 0;
  // Waits until every record published so far is acknowledged, or fails saying why.
  virtual common::Status Flush() = 0;
};

// The input a checkpoint covers: where each assigned partition is read up to, and the
// group's commits. KafkaSource provides both.
class CheckpointedInput {
 public:
  virtual ~CheckpointedInput() = default;
  virtual std::vector<consumers::PartitionOffset> Positions() const = 0;
  virtual common::Status Commit(const std::vector<consumers::PartitionOffset>& offsets) = 0;
  // The group's committed offsets of `partitions` (kUnknownOffset where none), asked of the
  // group coordinator.
  virtual common::Result<std::vector<consumers::PartitionOffset>> Committed(
      const std::vector<consumers::PartitionOffset>& partitions) = 0;
  // Holds back the records of an assigned partition whose state is being restored, or lets
  // them go on (KafkaSource::SetRestoring). Callable inside OnAssign.
  virtual void SetRestoring(const consumers::PartitionOffset& partition, bool restoring) = 0;
};

// The state changelog: writes a checkpoint's changed state records and commits the input
// offsets it reflects, atomically (a Kafka transaction; KafkaChangelog below).
class CheckpointedChangelog {
 public:
  virtual ~CheckpointedChangelog() = default;
  // Either all of `records` become readable and `offsets` are the group's committed offsets,
  // or neither; fails saying why.
  virtual common::Status Commit(const std::vector<kafka::ChangelogRecord>& records,
                                const std::vector<consumers::PartitionOffset>& offsets) = 0;
};

// The state a checkpoint covers (the detectors', the learned trail buckets).
class CheckpointedState {
 public:
  virtual ~CheckpointedState() = default;
  // Fills a snapshot's state; the Checkpointer adds the offsets. With a changelog, state the
  // changelog holds may be left out unless `whole` (a revoke's or the last checkpoint, whose
  // snapshot is the local cache a restart restores from).
  virtual void Capture(Snapshot& snapshot, bool whole) const = 0;
  // With a changelog: the changed state records for the next checkpoint, and word that the
  // last ones captured were not written (the next capture must write everything again).
  virtual void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) = 0;
  virtual void ChangesLost() = 0;
  // State kept per partition is restored for newly assigned `partitions`, from a snapshot
  // at once or from the changelog in the background (`committed`: the group's offsets, given
  // with a changelog; see PartitionDetectors::Restore), or fails saying why.
  virtual common::Result<PartitionDetectors::RestoreStart> Restore(
      const std::vector<consumers::PartitionOffset>& partitions,
      const std::vector<consumers::PartitionOffset>& committed) = 0;
  // The partitions whose background restore has finished, or a failure naming the partition
  // whose state could not be restored (see PartitionDetectors::FinishRestores).
  virtual common::Result<std::vector<consumers::PartitionOffset>> FinishRestores() = 0;
  // State kept per partition is dropped for revoked `partitions`, after their checkpoint:
  // returns true when it was (the state no longer reflects them).
  virtual bool Drop(const std::vector<consumers::PartitionOffset>& partitions) = 0;
};

// The checkpoint rule of DESIGN.md "Delivery and state", in one place:
// 1. Begin() captures the state between two polls together with the input positions it
//    reflects, and notes how many records each output had published by then.
// 2. The snapshot is complete once every output has acknowledged those records; only then
//    is it written (TryComplete) and are its offsets committed for the group.
// 3. A partition that is revoked is checkpointed first (CompleteNow, flushing the outputs).
// 4. In-memory state never runs ahead of where its partitions resume: the state reflects
//    each partition up to the position it had when last read here, so a partition assigned
//    (again) resumes there, whether or not the revoke's snapshot or commit went through, and
//    nothing is counted twice. Partitions the state has never read start from the group's
//    committed offset.
// 5. State kept per partition goes with its partition: a revoked partition's state is
//    dropped after the revoke's checkpoint (and its position forgotten); an assigned one's is
//    restored first, and the partition resumes at the offset the restored state reflects. A
//    restore from the changelog runs beside the partitions held: the partition's records are
//    held back (CheckpointedInput::SetRestoring) until PollRestores() finds its state loaded.
// 6. With a changelog, a periodic checkpoint captures only what changed (its pause follows the
//    changes, not the state's size), and step 2 becomes one transaction: once the outputs have
//    acknowledged, the state records changed since the last checkpoint and the offsets are
//    committed together, then the snapshot (now a local cache) is written. A failed transaction
//    leaves the changelog and the committed offsets as they were, and the next checkpoint writes
//    the whole state again. On assignment the group's committed offsets are read, so that a
//    partition whose cached state is behind them is restored from the changelog instead:
//    in-memory state never runs ahead of where its partition resumes, whichever instance
//    read it last and whether or not a revoke's transaction went through.
//
// Thread safety: none; the service thread calls every method, the rebalance callbacks
// included (KafkaSource calls them from inside Poll and Close).
class Checkpointer final : public consumers::RebalanceListener {
 public:
  // `state`, `outputs` and `store` must outlive the Checkpointer. `resume` are the offsets of
  // the snapshot the state was restored from (none for a fresh start).
  // `changelog` (may be null: offsets are then committed through the input) must outlive it.
  Checkpointer(CheckpointedState& state, std::vector<CheckpointedOutput*> outputs,
               SnapshotStore& store, std::vector<consumers::PartitionOffset> resume,
               CheckpointedChangelog* changelog = nullptr);

  // The input, once it exists (it is created with this listener); must outlive its use.
  void set_input(CheckpointedInput* input) { input_ = input; }

  // Starts a snapshot unless one is pending or there is no input; returns whether it did.
  // `whole`: see CheckpointedState::Capture (CompleteNow's checkpoints are whole).
  bool Begin(bool whole = false);
  // Completes the pending snapshot if its records are all acknowledged: writes it, then
  // commits its offsets. Returns true when nothing is pending any more. A failed write drops
  // the snapshot (the next one retries); a failed commit is logged and the next one retries.
  bool TryComplete();
  // Takes a snapshot now, flushes every output and completes it. Returns whether it did.
  bool CompleteNow();

  std::vector<consumers::PartitionOffset> OnAssign(
      const std::vector<consumers::PartitionOffset>& partitions) override;
  // Lets the records of partitions whose restore has finished go on; a failed restore sets
  // restore_error(). Called between polls.
  void PollRestores();
  void OnRevoke(const std::vector<consumers::PartitionOffset>& partitions) override;

  std::uint64_t completed() const { return completed_; }
  // Set when an assigned partition's state could not be restored: the service must stop
  // without processing it (its state is unknown) and without checkpointing.
  const std::optional<common::Error>& restore_error() const { return restore_error_; }
  // The position the in-memory state reflects for a partition, if it has read any of it.
  std::optional<std::int64_t> StatePosition(const std::string& topic, std::int32_t partition) const;

 private:
  struct Pending {
    Snapshot snapshot;
    std::vector<std::uint64_t> published;  // per output: every record up to this must be acked
    std::vector<kafka::ChangelogRecord> changes;  // with a changelog: what changed since the last
  };
  // Records where the state stands for each of `positions` (known offsets only).
  void Remember(const std::vector<consumers::PartitionOffset>& positions);

  CheckpointedState& state_;  // these three outlive the Checkpointer
  const std::vector<CheckpointedOutput*> outputs_;
  SnapshotStore& store_;
  CheckpointedInput* input_ = nullptr;
  // Per (topic, partition): the next offset the state has not counted.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> state_positions_;
  std::optional<Pending> pending_;
  std::vector<kafka::ChangelogRecord> carried_changes_;  // of a pending dropped by a revoke
  std::uint64_t completed_ = 0;
  CheckpointedChangelog* changelog_;  // may be null
  std::optional<common::Error> restore_error_;
};

// A Kafka publisher as a checkpointed output.
class KafkaOutput final : public CheckpointedOutput {
 public:
  explicit KafkaOutput(alerts::KafkaFindingPublisher& publisher) : publisher_(publisher) {}
  std::uint64_t published() const override { return publisher_.published(); }
  std::uint64_t AckedThrough() const override { return publisher_.AckedThrough(); }
  common::Status Flush() override { return publisher_.Flush(); }

 private:
  alerts::KafkaFindingPublisher& publisher_;  // outlives this adapter
};

// A Kafka source as the checkpointed input.
class KafkaInput final : public CheckpointedInput {
 public:
  explicit KafkaInput(consumers::KafkaSource& source) : source_(source) {}
  std::vector<consumers::PartitionOffset> Positions() const override { return source_.Positions(); }
  common::Status Commit(const std::vector<consumers::PartitionOffset>& offsets) override {
    return source_.Commit(offsets);
  }
  common::Result<std::vector<consumers::PartitionOffset>> Committed(
      const std::vector<consumers::PartitionOffset>& partitions) override {
    return source_.Committed(partitions);
  }
  void SetRestoring(const consumers::PartitionOffset& partition, bool restoring) override {
    source_.SetRestoring(partition.topic, partition.partition, restoring);
  }

 private:
  consumers::KafkaSource& source_;  // outlives this adapter
};

}  // namespace trailsight::app
