#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/dead_letter.h"
#include "common/event.h"
#include "common/event_receiver.h"
#include "common/interner.h"
#include "common/rate_limiter.h"
#include "common/result.h"
#include "common/time.h"
#include "consumers/dead_letter_producer.h"
#include "consumers/fetch_waker.h"
#include "consumers/message_decoder.h"
#include "consumers/partition_alignment.h"
#include "consumers/partition_positions.h"  // PartitionOffset, kUnknownOffset
#include "kafka/handles.h"

namespace trailsight::consumers {

struct KafkaSourceOptions {
  std::string brokers;  // bootstrap.servers
  std::string group_id = "trailsight";
  std::vector<std::string> topics;
  std::string dead_letter_topic;  // empty: dead letters go only to the DeadLetterSink
  // Extra librdkafka properties, applied last to the consumer and to the dead-letter producer
  // (e.g. security.protocol, sasl.*), so they may replace any default the source sets, except
  // enable.auto.commit=false, enable.auto.offset.store=false and enable.partition.eof=true,
  // which delivery and CaughtUp() need (another value fails Create).
  std::map<std::string, std::string> properties;
  std::size_t max_record_bytes = 50u << 20;         // larger messages are dead-lettered
  std::size_t dead_letter_max_payload = 64u << 10;  // the dead-letter topic gets this much
  // The dead-letter topic gets each payload's redacted form (DeadLetterRedactor), not the
  // record; the DeadLetterSink is given the record and redacts it itself if it must.
  bool dead_letter_redact = false;
  // Events later than the wall clock plus this are dead-lettered (DESIGN.md "Time"); 0
  // disables the check.
  std::chrono::seconds future_skew{900};
  // Events dated before this are dead-lettered (see InputOptions::min_event_time).
  common::Seconds min_event_time = common::kCloudTrailBegan;
  // How long Commit() waits for the group coordinator's answer before it fails.
  std::chrono::milliseconds commit_timeout{10000};
  // Bound of Committed(): long enough to outlast a transaction a killed instance left open
  // with offsets of these partitions, which the coordinator aborts after its timeout.
  std::chrono::milliseconds committed_timeout{30000};
  // How the partitions are read in step by event time (see PartitionAligner).
  AlignmentOptions alignment;
  // The operator declares the input keyed by account and region: every record of an
  // (account, region) on one partition, which several instances in a group rely on. Checked
  // on every record: one seen on another partition than its (account, region)'s earlier
  // records here is counted (`misrouted`) and logged.
  bool keyed_by_account_region = false;
  // The topics hold records the service re-keyed (the repartition topic): each message is one
  // encoded Event or a source-marks record (consumers/encoded_event.h), not CloudTrail JSON.
  // With alignment.merge_sources, each partition is read as the input partitions its records
  // came from (SourceStreams), and its positions carry their handed-over table.
  bool encoded_events = false;
};

// How far one assigned partition is behind its high watermark.
struct PartitionLag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t messages = -1;  // -1 while the position or the watermark is unknown
  std::uint64_t late = 0;      // its records the receiver dropped as late (see MarkLate)
};

// Told about partition assignment changes; the app implements it. Called on the thread that
// calls KafkaSource::Poll() (or Close()), from inside that call.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Partitions are about to be assigned (their offsets are kUnknownOffset): returns the offsets
  // to start from for any of them (e.g. from a snapshot). Partitions not returned start from
  // the group's committed offset, or the earliest offset when the group has none. Not called
  // for an assignment KafkaSource::Close() serves: those partitions go at once, unread.
  virtual std::vector<PartitionOffset> OnAssign(const std::vector<PartitionOffset>& partitions) = 0;
  // Partitions are about to be revoked; their offsets are the source's positions (as
  // Positions() gives them; kUnknownOffset where nothing was read). The app snapshots and
  // commits what is safe now, before the revoke completes; Positions() and Commit() work here.
  virtual void OnRevoke(const std::vector<PartitionOffset>& partitions) = 0;
};

struct KafkaSourceCounters {
  std::uint64_t messages = 0;      // messages handled (each also advances its position)
  std::uint64_t records = 0;       // records handed to the receiver as Events
  std::uint64_t malformed = 0;     // messages, or records in a batch, that did not parse
  std::uint64_t future_dated = 0;  // records whose eventTime is beyond wall clock + skew
  std::uint64_t early_dated = 0;   // records whose eventTime is before min_event_time
  // Records with an identity field beyond its bound (field_limits.h; in malformed too).
  std::uint64_t oversized_fields = 0;
  std::uint64_t values_cut = 0;         // userAgents cut and bucket names left out (field_limits.h)
  std::uint64_t dead_lettered = 0;      // malformed + future_dated + early_dated: letters written
  std::uint64_t dead_letters_lost = 0;  // letters the dead-letter topic did not take
  std::uint64_t broker_errors = 0;      // errors librdkafka reported while polling
  std::uint64_t commit_errors = 0;      // Commit() calls that failed
  std::uint64_t fetch_wakes = 0;        // parked fetching woken up (see FetchWaker)
  std::uint64_t late = 0;               // records the receiver dropped as late (MarkLate)
  std::uint64_t pauses = 0;             // partitions paused because they were far ahead
  std::uint64_t misrouted = 0;  // records off their (account, region)'s partition (see options)
  // Re-keyed records read again after a restart that were handed over before it (skipped).
  std::uint64_t handed_before = 0;
  std::uint64_t source_marks = 0;  // messages that were source marks (no record)
};

// Reads CloudTrail records from Kafka topics as a member of a consumer group (librdkafka's
// high-level consumer, eager rebalancing unless the properties choose cooperative). A message
// holds one record, a {"Records":[...]} batch or an EventBridge envelope (see MessageDecoder).
//
// Event time (DESIGN.md "Partitions and event time"): the partitions are read in step by
// event time (PartitionAligner): records are buffered per partition as they are read and
// handed to the receiver only while their partition is not too far ahead of the slowest
// one; a partition holding `alignment.pause_above` records is paused until it is let
// through. So a partition read days behind the others makes none of their records late, and
// is not made late by them. Poll() hands records over in that order; a record is "handed
// over" only then, and positions follow that.
//
// Delivery (DESIGN.md "Delivery and state"): nothing is committed automatically. Positions()
// says how far the records handed over reach; the app snapshots its state with them and calls
// Commit() when the snapshot is complete; RebalanceListener lets it do so before partitions
// are revoked, and choose where assigned partitions start.
//
// Bad input (DESIGN.md "Bad input"): a message that cannot be read, a bad record in a batch,
// a message over max_record_bytes and a record dated beyond wall clock + future_skew or
// before min_event_time each become one dead letter, with the source "topic/partition", the
// position "offset N" (or "offset N record I" in a batch) and the reason, written to the
// DeadLetterSink and, when a dead-letter topic is set, produced there (see
// DeadLetterProducer for the headers). The message still counts as handled, so its position
// advances and the stream goes on.
//
// Threads: the source is used from one thread, which calls every method; the receiver, the
// listener and the sinks are called on it. librdkafka's own threads are internal to it.
class KafkaSource final : private DecodedRecordHandler, private AlignedOutput {
 public:
  // Connects as a member of `options.group_id` and subscribes to `options.topics`. Fails with
  // kInvalidConfig naming the property librdkafka rejected, or what is missing. `interner`,
  // `dead_letters` and `listener` must outlive the source.
  static common::Result<std::unique_ptr<KafkaSource>> Create(const KafkaSourceOptions& options,
                                                             common::StringInterner& interner,
                                                             common::DeadLetterSink& dead_letters,
                                                             RebalanceListener& listener);
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;
  ~KafkaSource() override;

  // Polls for up to `timeout` and reads at most `max_messages` messages: each bad message (or
  // bad record inside a batch) to the dead letters, each good record into its partition's
  // buffer; then hands `receiver` every buffered record that alignment lets through. Returns
  // the number of messages read (0 on timeout, or once closed). Returns early once messages
  // were read and no more are waiting. Never blocks longer than `timeout` plus the time to
  // hand records over (a full dead-letter queue may add up to
  // DeadLetterProducer::kQueueFullWait per letter). Rebalances run inside this call.
  std::size_t Poll(common::EventReceiver& receiver, std::chrono::milliseconds timeout,
                   std::size_t max_messages = 1000);

  // Records that the receiver dropped the record it is being handed as late, against that
  // record's partition. REQUIRES: called from inside the receiver's OnEvent, during Poll().
  void MarkLate();
  // The topic and partition of the record the receiver is being handed. REQUIRES: called
  // from inside the receiver's OnEvent, during Poll(); the view lives until Poll() returns.
  std::string_view delivering_topic() const { return aligner_.topic(delivering_partition_); }
  std::int32_t delivering_partition() const { return aligner_.partition(delivering_partition_); }

  // Sets `marks` to how far each assigned partition's records were handed over (its time) and
  // whether it holds the others back, for the re-keyer's source marks; the topics view the
  // source's strings, valid until the next Poll().
  void SourceMarks(std::vector<SourceMark>& marks) const;
  // Hands over no record dated after `ceiling` (nullopt: none); see PartitionAligner.
  void SetCeiling(std::optional<common::Seconds> ceiling) { aligner_.SetCeiling(ceiling); }
  // With merge_sources: how far the slowest input partition not in `except` was sent on, by
  // the source marks read (PartitionAligner::SlowestSource).
  PartitionAligner::SlowestSourceTime SlowestSource(
      const std::vector<SourcePartition>& except) const {
    return aligner_.SlowestSource(except, PartitionAligner::Clock::now());
  }

  // Returns the next offset to read for each assigned partition, after everything handed over
  // so far: what a snapshot records. A partition is left out until its offset is known (a
  // message or its end was read, or OnAssign gave a start). With merge_sources, each carries
  // its handed-over table as metadata, to be committed with it.
  std::vector<PartitionOffset> Positions() const;

  // Returns true when partitions are assigned and Poll() has read each to its end and handed
  // every record over, with no message since: the input is drained (for now). Needs
  // enable.partition.eof, which the source sets.
  bool CaughtUp() const;

  // Commits exactly `offsets` for the group, synchronously: waits up to
  // options.commit_timeout for the answer. Fails with kIo naming the broker error, or the
  // timeout (counted in commit_errors); the caller retries with a later snapshot. A commit
  // that timed out may still complete later; commits reach the coordinator in order, so a
  // later one is never overwritten by it.
  common::Status Commit(const std::vector<PartitionOffset>& offsets);
  // The group's committed offsets of `partitions` (kUnknownOffset where the group has none),
  // with their metadata, asked of the coordinator, waiting up to options.committed_timeout.
  // Fails with kIo naming the broker error or the timeout. Safe inside the rebalance
  // callbacks; asked inside OnAssign, a partition that then starts at its committed offset
  // takes its handed-over table from the metadata (merge_sources).
  common::Result<std::vector<PartitionOffset>> Committed(
      const std::vector<PartitionOffset>& partitions);

  // Marks an assigned partition as restoring (its state is being read elsewhere) or done:
  // while restoring, its records are read and buffered (the partition is paused once it holds
  // alignment.pause_above of them) but not handed over, and it holds no other partition back
  // in event time. Callable from inside RebalanceListener::OnAssign (the partitions being
  // assigned are known by then) and between polls; ignored for a partition not assigned.
  void SetRestoring(std::string_view topic, std::int32_t partition, bool restoring);

  // Leaves the group (OnRevoke runs first, inside this call), flushes the dead-letter topic
  // and closes. An assignment still waiting to be polled is handed back unread, without
  // OnAssign. Idempotent; the destructor calls it.
  void Close();

  const KafkaSourceCounters& counters() const { return counters_; }
  // Returns the consumer's librdkafka handle, for kafka::ChangelogWriter::Commit (which takes
  // its group metadata for rd_kafka_send_offsets_to_transaction); null once closed. The source
  // owns it: use it on the source's thread, do not keep it, and do not poll, assign, commit
  // with or close it.
  rd_kafka_t* consumer_handle() const { return consumer_.get(); }
  // Records read but not handed over yet: held back until slower partitions catch up.
  std::size_t held_records() const { return aligner_.buffered(); }
  // Assigned partitions paused for being ahead with a full buffer.
  std::size_t paused_partitions() const;

  // Asks the brokers for the high watermarks of partitions 0 to `partitions` - 1 of `topic`,
  // assigned here or not, waiting up to `timeout` for each; fails with kIo naming the topic,
  // the partition and the broker error.
  common::Result<std::vector<std::int64_t>> EndOffsets(const std::string& topic,
                                                       std::int32_t partitions,
                                                       std::chrono::milliseconds timeout) const;

  // Returns how many messages lie behind the high watermark over the assigned partitions
  // (consumer lag), from librdkafka's cached watermarks; -1 when unknown for any of them.
  std::int64_t Lag() const;
  // Sets `lags` to each assigned partition's lag (-1 while unknown), in assignment order;
  // reuses its storage, so it allocates only when partitions are added.
  void PartitionLags(std::vector<PartitionLag>& lags) const;

 private:
  KafkaSource(const KafkaSourceOptions& options, common::StringInterner& interner,
              common::DeadLetterSink& dead_letters, RebalanceListener& listener);
  common::Status Connect();

  static void RebalanceCallback(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void ErrorCallback(rd_kafka_t* handle, int error, const char* reason, void* opaque);
  void OnRebalance(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions);
  void BrokerError(std::string_view what);

  // The consumer queue is empty: wakes fetching for the partitions behind their high
  // watermark (as last seen), which librdkafka may have parked (see FetchWaker).
  void WakeFetchingIfBehind();
  // Returns the messages between `position` and its high watermark, -1 when unknown.
  std::int64_t LagOf(const PartitionOffset& position) const;
  void HandleMessage(const rd_kafka_message_t& message);
  void OnRecord(const common::Event& event, std::size_t index, std::string_view payload) override;
  void OnAlignedEvent(std::size_t partition, const common::Event& event) override;
  // Counts and logs `event` when its (account, region) came from another partition before.
  void CheckKeying(std::size_t partition, const common::Event& event);
  void OnHandled(std::size_t partition, std::int64_t next_offset, bool at_end) override;
  // Hands over what alignment allows, then pauses and resumes partitions as it says.
  void Release();
  // Pauses (or resumes) one partition in librdkafka; a paused partition's fetched messages
  // are dropped and fetched again from its position when it resumes.
  void SetPaused(std::size_t partition, bool paused);
  // Returns the aligner's index of the partition, assigning it if librdkafka hands over a
  // message of a partition the rebalance callback did not announce.
  std::size_t AlignerIndex(std::string_view topic, std::int32_t partition);
  void OnBadRecord(std::string_view reason, std::size_t index, std::string_view payload) override;
  // Decodes a re-keyed message: an event into its partition's buffer, or source marks.
  void HandleEncoded(std::string_view payload);
  // With merge_sources: each assigned partition starting at its committed offset (`starts`:
  // where each starts, kUnknownOffset for the committed one) takes that offset's table.
  void SkipHandedOver(const std::vector<PartitionOffset>& starts);
  void DeadLetter(std::size_t index, std::string_view reason, std::string_view payload);

  const KafkaSourceOptions options_;
  common::DeadLetterSink& dead_letters_;  // outlives the source; see Create
  RebalanceListener& listener_;           // outlives the source; see Create
  MessageDecoder decoder_;
  std::unique_ptr<DeadLetterProducer> dead_letter_producer_;  // null without a topic
  kafka::KafkaHandle consumer_;                               // null once closed
  std::unique_ptr<FetchWaker> fetch_waker_;                   // uses consumer_; null once closed
  std::vector<PartitionOffset> behind_;                       // reused by WakeFetchingIfBehind
  PartitionPositions positions_;
  PartitionAligner aligner_;
  std::vector<std::size_t> to_pause_, to_resume_;  // reused by Release
  // With options.keyed_by_account_region: the partition each (account, region) was read from,
  // by (account symbol << 32 | region symbol). Entries of a revoked partition are dropped.
  struct PartitionRef {
    std::string topic;
    std::int32_t partition = 0;
  };
  std::unordered_map<std::uint64_t, PartitionRef> region_partition_;
  common::StringInterner& interner_;  // outlives the source; see Create
  common::RateLimiter misrouted_log_limiter_;
  KafkaSourceCounters counters_;
  common::RateLimiter error_log_limiter_;
  bool closing_ = false;  // Close() has begun: an assignment it serves is not the listener's

  // The message being handled, and where its records go; set only inside Poll().
  const rd_kafka_message_t* message_ = nullptr;
  std::size_t message_partition_ = 0;     // the aligner's index of the message's partition
  std::size_t delivering_partition_ = 0;  // the aligner's index of the record being handed over
  PartitionAligner::Clock::time_point poll_started_;
  std::string_view message_topic_;
  common::EventReceiver* receiver_ = nullptr;
  common::Seconds latest_event_time_{};     // later events are dead-lettered
  EventSource message_source_;              // with encoded_events: the record's input partition
  std::vector<SourceMark> marks_;           // reused by HandleEncoded
  std::vector<PartitionOffset> committed_;  // the last Committed() answer, with metadata
  std::string letter_source_;               // reused: "topic/partition"
  std::string letter_position_;             // reused: "offset N[ record I]"
};

}  // namespace trailsight::consumers
