#pragma once

// The adapters between Service (app/service.cc) and its parts: each implements an interface of
// one part (the checkpointer's state and changelog, the re-keyer's committer, the source's
// receiver) with others. A named namespace: Service::Parts holds them, and a struct's members
// cannot have types of an anonymous one.
#include <spdlog/spdlog.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/checkpointer.h"
#include "app/global_table.h"
#include "app/partition_detectors.h"
#include "app/rekeyer.h"
#include "common/event_receiver.h"
#include "consumers/kafka_source.h"
#include "detector/pipeline.h"
#include "detector/tamper_rules.h"
#include "kafka/state_changelog.h"

namespace trailsight::app::service_parts {

// Feeds each event through the pipeline to the detector of its partition, and tells the
// source which records the detector dropped as late (counted per partition).
class ServiceFeed final : public common::EventReceiver {
 public:
  ServiceFeed(detector::Pipeline& pipeline, PartitionDetectors& detectors,
              consumers::KafkaSource& source)
      : pipeline_(pipeline), detectors_(detectors), source_(source) {}
  void OnEvent(const common::Event& event) override {
    pipeline_.OnEvent(event,
                      detectors_.For(source_.delivering_topic(), source_.delivering_partition()));
    if (pipeline_.last_event_late()) source_.MarkLate();
  }

 private:
  detector::Pipeline& pipeline_;  // these three outlive the feed; they live in Service::Parts
  PartitionDetectors& detectors_;
  consumers::KafkaSource& source_;
};

// The detectors' state and the trail buckets the tamper rules learned, for a checkpoint; with
// a changelog, the global table's new facts too.
class ServiceState final : public CheckpointedState {
 public:
  ServiceState(PartitionDetectors& detectors, const detector::TamperRules& tamper,
               GlobalTable* global)
      : detectors_(detectors), tamper_(tamper), global_(global) {}
  void Capture(Snapshot& snapshot, bool whole) const override {
    detectors_.Capture(snapshot, whole);
    snapshot.trail_buckets = tamper_.LearnedBuckets();
  }
  void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) override {
    detectors_.CaptureChanges(changes);
    if (global_ != nullptr) global_->CaptureChanges(changes);
  }
  void ChangesLost() override {
    detectors_.ChangesLost();
    if (global_ != nullptr) global_->ChangesLost();
  }
  common::Result<PartitionDetectors::RestoreStart> Restore(
      const std::vector<consumers::PartitionOffset>& partitions,
      const std::vector<consumers::PartitionOffset>& committed) override {
    return detectors_.Restore(partitions, committed);
  }
  common::Result<std::vector<consumers::PartitionOffset>> FinishRestores() override {
    return detectors_.FinishRestores();
  }
  bool Drop(const std::vector<consumers::PartitionOffset>& partitions) override {
    return detectors_.Drop(partitions);
  }

 private:
  PartitionDetectors& detectors_;  // these outlive this state: Service::Parts
  const detector::TamperRules& tamper_;
  GlobalTable* global_;  // may be null
};

// The state changelog on Kafka: a checkpoint is one transaction of the writer, committing the
// input consumer's offsets; a restore reads one partition, read_committed.
class KafkaChangelog final : public CheckpointedChangelog, public ChangelogReader {
 public:
  KafkaChangelog(kafka::ChangelogWriter& writer, kafka::ChangelogReadOptions read)
      : writer_(writer), read_(std::move(read)) {}
  // The input, once it exists; its consumer's group is the one the offsets are committed for.
  void set_source(consumers::KafkaSource* source) { source_ = source; }

  common::Status Commit(const std::vector<kafka::ChangelogRecord>& records,
                        const std::vector<consumers::PartitionOffset>& offsets) override {
    std::vector<kafka::InputOffset> input;
    for (const consumers::PartitionOffset& offset : offsets) {
      if (offset.offset >= 0) {
        input.push_back({offset.topic, offset.partition, offset.offset, offset.metadata});
      }
    }
    rd_kafka_t* consumer = source_ != nullptr ? source_->consumer_handle() : nullptr;
    return writer_.Commit(records, consumer != nullptr ? input : std::vector<kafka::InputOffset>{},
                          consumer);
  }
  common::Status Read(
      std::int32_t partition,
      const std::function<void(std::string_view key, std::string_view value)>& visit) override {
    common::Result<kafka::ChangelogReadStats> read =
        kafka::ReadChangelogPartition(read_, partition, visit);
    if (!read) return read.error();
    spdlog::info("state: read {} records ({} bytes) of {}/{}", read->records, read->bytes,
                 read_.topic, partition);
    return common::Ok();
  }

 private:
  kafka::ChangelogWriter& writer_;  // outlives this adapter: Service::Parts
  const kafka::ChangelogReadOptions read_;
  consumers::KafkaSource* source_ = nullptr;
};

// Re-keyed records committed with the input consumer's offsets, in one transaction of the
// re-keying writer.
class KafkaRekeyCommitter final : public RekeyCommitter {
 public:
  explicit KafkaRekeyCommitter(kafka::ChangelogWriter& writer) : writer_(writer) {}
  // The input, once it exists: its consumer's group is the one the offsets are committed for.
  void set_source(consumers::KafkaSource* source) { source_ = source; }

  common::Status Commit(const kafka::PackedRecords& records,
                        const std::vector<consumers::PartitionOffset>& offsets) override {
    offsets_.clear();
    for (const consumers::PartitionOffset& offset : offsets) {
      offsets_.push_back({offset.topic, offset.partition, offset.offset});
    }
    rd_kafka_t* consumer = source_ != nullptr ? source_->consumer_handle() : nullptr;
    if (consumer == nullptr) offsets_.clear();
    return writer_.Commit(records, offsets_, consumer);
  }
  bool OutcomeUnknown() const override { return writer_.outcome_unknown(); }

 private:
  kafka::ChangelogWriter& writer_;  // outlives this adapter: Service::Parts
  consumers::KafkaSource* source_ = nullptr;
  std::vector<kafka::InputOffset> offsets_;  // reused
};

// What the re-keyer reads: the input's own KafkaSource, once it exists.
class RekeyInput final : public RekeyedInput {
 public:
  void set_source(const consumers::KafkaSource* source) { source_ = source; }

  std::vector<consumers::PartitionOffset> Positions() const override {
    return source_ != nullptr ? source_->Positions() : std::vector<consumers::PartitionOffset>{};
  }
  consumers::EventSource Delivering() const override {
    return {source_->delivering_topic(), source_->delivering_partition()};
  }
  void Marks(std::vector<consumers::SourceMark>& marks) const override {
    marks.clear();
    if (source_ != nullptr) source_->SourceMarks(marks);
  }

 private:
  const consumers::KafkaSource* source_ = nullptr;  // outlives this adapter: Service::Parts
};

}  // namespace trailsight::app::service_parts
