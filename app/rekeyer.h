#pragma once

// Re-keying (DESIGN.md, "Scale"): an input that is not keyed by (account, region) is read in
// event-time step across its partitions and each record is sent on to the repartition topic's
// partition of its (account, region), where the state of that pair lives. Exactly once: the
// records sent and the input offsets they reach are committed together, in one Kafka
// transaction, so a crash between the two leaves neither (read_committed readers never see
// the records of an aborted transaction, and the input is read again from the offsets that
// were committed).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/event_receiver.h"
#include "common/interner.h"
#include "common/result.h"
#include "consumers/encoded_event.h"
#include "consumers/kafka_source.h"
#include "kafka/state_changelog.h"

namespace trailsight::app {

// Commits re-keyed records with the input offsets they reach, all or nothing (the service's:
// kafka::ChangelogWriter with the input consumer's group metadata).
class RekeyCommitter {
 public:
  virtual ~RekeyCommitter() = default;
  virtual common::Status Commit(const kafka::PackedRecords& records,
                                const std::vector<consumers::PartitionOffset>& offsets) = 0;
  // True when the last Commit failed with its outcome unknown: it may still commit.
  virtual bool OutcomeUnknown() const = 0;
};

// The input the rekeyer re-keys (the service's: its KafkaSource).
class RekeyedInput {
 public:
  virtual ~RekeyedInput() = default;
  // The positions after the records handed over (KafkaSource::Positions).
  virtual std::vector<consumers::PartitionOffset> Positions() const = 0;
  // The partition of the record being handed over; REQUIRES: inside the rekeyer's OnEvent.
  virtual consumers::EventSource Delivering() const = 0;
  // Sets `marks` to how far each partition's records were handed over
  // (KafkaSource::SourceMarks); the views live until the next poll.
  virtual void Marks(std::vector<consumers::SourceMark>& marks) const = 0;
};

struct RekeyerCounters {
  std::uint64_t records = 0;         // records sent on (committed or pending)
  std::uint64_t commits = 0;         // committed transactions
  std::uint64_t failed_commits = 0;  // Commit calls that failed
};

// Receives the input's records (as the input KafkaSource's receiver and rebalance listener)
// and commits them to the repartition topic:
// - every `commit_interval` while records or positions are pending, and whenever the batch
//   holds `max_batch_bytes` (CommitIfDue);
// - at a revoke, before the partitions go (their records and offsets must be committed by
//   the owner that read them);
// - on demand (Commit), at shutdown.
// A commit that fails is retried with the same records (kept) and later offsets at the next
// one, since the input's position is past them. A commit of source marks alone is never
// needed for correctness: one that fails is tried again a marks_refresh later, and a revoke
// commits only records and positions. A failure that cannot be retried that way
// stops the service as a crash would (failure() says why), and the input is read again from
// the committed offsets by whoever gets its partitions: a commit whose outcome is unknown
// (it may have committed), and a revoke's commit (the partitions are gone).
//
// Partitions start at the group's committed offsets (OnAssign gives none). The record's key
// is "account/region" and its partition consumers::RepartitionOf; its value the encoded Event,
// with the input partition it was read from. Each commit also writes a source-marks record to
// every partition of the repartition topic (consumers/encoded_event.h): how far each input
// partition held here was sent, by which the reader of a repartition partition merges the
// input partitions' records in event-time step (consumers/source_streams.h). A change of the
// marks alone is also a reason to commit.
//
// Thread safety: none; the processing thread calls every method (librdkafka calls the
// listener's methods on it, inside KafkaSource::Poll).
class Rekeyer final : public common::EventReceiver, public consumers::RebalanceListener {
 public:
  struct Options {
    std::string topic;            // the repartition topic; required
    std::int32_t partitions = 1;  // its partition count (> 0)
    std::chrono::milliseconds commit_interval{200};
    std::size_t max_batch_bytes = std::size_t{8} << 20;
    // Unchanged source marks that hold the others back are written again this often, so that
    // the readers do not take an input partition this rekeyer holds (waiting at its ceiling,
    // say) for one nobody reads: well below the readers' partition idle timeout.
    std::chrono::milliseconds marks_refresh{10'000};
  };
  // `interner` resolves the Events' symbols; `input` is what they are read from. Both and
  // `committer` outlive the rekeyer.
  Rekeyer(Options options, const common::StringInterner& interner, RekeyCommitter& committer,
          const RekeyedInput& input);

  void OnEvent(const common::Event& event) override;
  std::vector<consumers::PartitionOffset> OnAssign(
      const std::vector<consumers::PartitionOffset>& partitions) override;
  void OnRevoke(const std::vector<consumers::PartitionOffset>& partitions) override;

  // Commits when due (see the class comment); `now` is the steady clock.
  void CommitIfDue(std::chrono::steady_clock::time_point now);
  // Commits the pending records and positions now; Ok when there was nothing to commit.
  common::Status Commit();

  // True while records, positions or source marks wait for a commit.
  bool pending() const;
  // Set once a failure stopped the rekeyer: the service must stop without a checkpoint.
  const std::optional<common::Error>& failure() const { return failure_; }
  const RekeyerCounters& counters() const { return counters_; }

 private:
  std::vector<consumers::PartitionOffset> CommittablePositions() const;
  // The input's source marks, encoded (a source-marks record's value); empty without any.
  const std::string& EncodedMarks() const;
  // Whether an input partition of the marks EncodedMarks() last read holds the others back:
  // only then are unchanged marks written again.
  bool MarksHold() const;
  // Whether the marks alone are a reason to commit at `now`: changed, or holding and not
  // written for marks_refresh; never before marks_retry_at_.
  bool MarksDue(std::chrono::steady_clock::time_point now) const;

  const Options options_;
  const common::StringInterner& interner_;
  RekeyCommitter& committer_;
  const RekeyedInput& input_;
  kafka::PackedRecords batch_;
  std::string key_, value_;                            // one record's, reused
  std::vector<consumers::PartitionOffset> committed_;  // the positions last committed
  mutable std::vector<consumers::SourceMark> marks_;   // reused by EncodedMarks
  mutable std::string marks_value_;                    // reused by EncodedMarks
  std::string committed_marks_;                        // the marks last committed, encoded
  std::chrono::steady_clock::time_point marks_committed_at_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point marks_retry_at_{};  // after a failed commit of marks only
  std::chrono::steady_clock::time_point last_commit_ = std::chrono::steady_clock::now();
  std::optional<common::Error> failure_;
  RekeyerCounters counters_;
};

}  // namespace trailsight::app
