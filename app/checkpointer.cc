#include "app/checkpointer.h"

#include <spdlog/spdlog.h>

namespace trailsight::app {

Checkpointer::Checkpointer(CheckpointedState& state, std::vector<CheckpointedOutput*> outputs,
                           SnapshotStore& store, std::vector<consumers::PartitionOffset> resume,
                           CheckpointedChangelog* changelog)
    : state_(state), outputs_(std::move(outputs)), store_(store), changelog_(changelog) {
  Remember(resume);
}

void Checkpointer::Remember(const std::vector<consumers::PartitionOffset>& positions) {
  for (const consumers::PartitionOffset& position : positions) {
    if (position.offset >= 0) {
      state_positions_[{position.topic, position.partition}] = position.offset;
    }
  }
}

bool Checkpointer::Begin(bool whole) {
  // After a failed restore nothing may be checkpointed: the partition's state is unknown.
  if (pending_ || input_ == nullptr || restore_error_) return false;
  Pending pending;
  pending.changes = std::move(carried_changes_);  // before the newer changes: they win
  carried_changes_.clear();
  pending.snapshot.offsets = input_->Positions();
  state_.Capture(pending.snapshot, whole || changelog_ == nullptr);
  if (changelog_ != nullptr) state_.CaptureChanges(pending.changes);
  for (const CheckpointedOutput* output : outputs_)
    pending.published.push_back(output->published());
  pending_ = std::move(pending);
  return true;
}

bool Checkpointer::TryComplete() {
  if (!pending_) return true;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i]->AckedThrough() < pending_->published[i]) return false;
  }
  if (changelog_ != nullptr) {
    if (common::Status committed =
            changelog_->Commit(pending_->changes, pending_->snapshot.offsets);
        !committed) {
      spdlog::error("state: checkpoint transaction failed, the next one writes everything: {}",
                    committed.error().message);
      state_.ChangesLost();
      pending_.reset();
      return false;
    }
    // The snapshot is a cache now: the changelog and the offsets are committed.
    if (common::Status written = store_.Write(pending_->snapshot); !written) {
      spdlog::warn("state: {}", written.error().message);
    }
    ++completed_;
    pending_.reset();
    return true;
  }
  if (common::Status written = store_.Write(pending_->snapshot); !written) {
    spdlog::error("state: {}", written.error().message);
    pending_.reset();  // try again with the next snapshot
    return false;
  }
  if (!pending_->snapshot.offsets.empty()) {
    if (common::Status committed = input_->Commit(pending_->snapshot.offsets); !committed) {
      spdlog::warn("state: snapshot written, commit failed: {}", committed.error().message);
    }
  }
  ++completed_;
  pending_.reset();
  return true;
}

bool Checkpointer::CompleteNow() {
  Begin(/*whole=*/true);
  for (CheckpointedOutput* output : outputs_) {
    if (common::Status flushed = output->Flush(); !flushed) {
      spdlog::error("state: {}", flushed.error().message);
      return false;
    }
  }
  return TryComplete();
}

std::vector<consumers::PartitionOffset> Checkpointer::OnAssign(
    const std::vector<consumers::PartitionOffset>& partitions) {
  std::vector<consumers::PartitionOffset> committed;
  if (changelog_ != nullptr && input_ != nullptr) {
    common::Result<std::vector<consumers::PartitionOffset>> group = input_->Committed(partitions);
    if (!group) {
      restore_error_ = group.error();
      return {};
    }
    committed = *std::move(group);
  }
  common::Result<PartitionDetectors::RestoreStart> restored = state_.Restore(partitions, committed);
  if (!restored) {
    restore_error_ = restored.error();
    return {};
  }
  Remember(restored->resumed);
  if (input_ != nullptr) {
    for (const consumers::PartitionOffset& partition : restored->restoring) {
      input_->SetRestoring(partition, true);
    }
  }
  std::vector<consumers::PartitionOffset> starts;
  for (const consumers::PartitionOffset& partition : partitions) {
    if (std::optional<std::int64_t> position =
            StatePosition(partition.topic, partition.partition)) {
      starts.push_back({partition.topic, partition.partition, *position});
    }
  }
  spdlog::info("kafka: assigned {} partitions, {} resumed where the state stands",
               partitions.size(), starts.size());
  return starts;
}

void Checkpointer::PollRestores() {
  if (restore_error_ || input_ == nullptr) return;
  common::Result<std::vector<consumers::PartitionOffset>> finished = state_.FinishRestores();
  if (!finished) {
    restore_error_ = finished.error();
    return;
  }
  for (const consumers::PartitionOffset& partition : *finished) {
    input_->SetRestoring(partition, false);
  }
}

void Checkpointer::OnRevoke(const std::vector<consumers::PartitionOffset>& partitions) {
  spdlog::info("kafka: {} partitions revoked; snapshotting first", partitions.size());
  // What the state has counted of them, whatever becomes of the snapshot and the commit.
  Remember(partitions);
  // Positions must be taken now, before the partitions go; changes already captured go with
  // the new capture.
  if (pending_) carried_changes_ = std::move(pending_->changes);
  pending_.reset();
  if (!CompleteNow()) spdlog::warn("state: snapshot on revoke did not complete");
  if (state_.Drop(partitions)) {
    for (const consumers::PartitionOffset& partition : partitions) {
      state_positions_.erase({partition.topic, partition.partition});
    }
  }
}

std::optional<std::int64_t> Checkpointer::StatePosition(const std::string& topic,
                                                        std::int32_t partition) const {
  auto it = state_positions_.find({topic, partition});
  if (it == state_positions_.end()) return std::nullopt;
  return it->second;
}

}  // namespace trailsight::app
