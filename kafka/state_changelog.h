#pragma once

// The detection state's changelog on Kafka (DESIGN.md, "Delivery and state"): a compacted topic
// with one partition per input partition. A checkpoint writes the changed state records and
// commits the input consumer group's offsets in one Kafka transaction (Kafka Streams'
// exactly-once, KIP-447), so the offsets a group resumes from always match the state that
// read_committed readers of the changelog rebuild.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "kafka/handles.h"

namespace trailsight::kafka {

// One changelog record: `partition` of the changelog topic, compaction key (non-empty: a
// compacted topic refuses records without one), value (non-empty: the changelog has no
// tombstones; compaction keeps each key's latest value).
struct ChangelogRecord {
  std::int32_t partition = 0;
  std::string key;
  std::string value;
  std::string topic{};  // empty: the writer's topic (ChangelogOptions::topic); {}: may be left out
};

// An input position to commit with a checkpoint: the next offset to read.
struct InputOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string metadata{};  // committed with it (Kafka's offset metadata); empty: none
};

// Records for one topic packed into one buffer: a transaction of many small records (the
// repartition topic's) without an allocation per record once the buffer has grown.
class PackedRecords {
 public:
  explicit PackedRecords(std::string topic) : topic_(std::move(topic)) {}

  // Adds a record for `partition` (>= 0) of the topic; key and value are copied.
  void Add(std::int32_t partition, std::string_view key, std::string_view value);
  // Forgets the records, keeping the storage.
  void Clear() {
    entries_.clear();
    bytes_.clear();
  }
  // Calls visit(partition, key, value) for each record in the order added.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::size_t at = 0;
    for (const Entry& entry : entries_) {
      const std::string_view key(bytes_.data() + at, entry.key_size);
      const std::string_view value(bytes_.data() + at + entry.key_size, entry.value_size);
      visit(entry.partition, key, value);
      at += entry.key_size + entry.value_size;
    }
  }
  const std::string& topic() const { return topic_; }
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_.size(); }  // keys plus values

 private:
  struct Entry {
    std::int32_t partition = 0;
    std::uint32_t key_size = 0;
    std::uint32_t value_size = 0;
  };
  std::string topic_;
  std::string bytes_;
  std::vector<Entry> entries_;
};

struct ChangelogOptions {
  std::string brokers;           // bootstrap.servers; required
  std::string topic;             // the changelog topic (compacted, created by the caller); required
  std::string transactional_id;  // required; stable per instance, so a restarted one fences the old
  // The operator's librdkafka properties, applied last. They may not change transactional.id,
  // enable.idempotence or acks, which the transactions need (another value fails Create).
  std::map<std::string, std::string> properties;
  std::chrono::milliseconds timeout{30'000};  // bound of initialising and of each Commit
};

// Writes changelog records and input offsets in Kafka transactions, one per Commit(). A
// transactional, idempotent producer (acks=all, compression.type=lz4 unless the operator's
// properties say otherwise) with transaction.timeout.ms of
// kTransactionTimeout: a killed instance's open transaction holds read_committed readers back
// (see ReadChangelogPartition) until the coordinator aborts it, that long after it began plus
// up to the broker's transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by
// default). A restarted instance (same transactional_id) aborts it at once in Create().
//
// Fencing: a second writer with the same transactional_id fences this one for good: Commit()
// then fails with kIo saying so, now and on every later call (fenced() is true), and nothing of
// it becomes visible. Such a writer is a zombie (an instance whose partitions were taken over,
// or that was restarted): it must not re-initialise, which would fence the new owner in turn.
//
// Thread safety: none; one thread (the processing thread) calls every method. Holds one
// librdkafka producer, whose threads librdkafka runs; Create() and Commit() block their caller.
class ChangelogWriter {
 public:
  static constexpr std::chrono::milliseconds kTransactionTimeout{10'000};

  // Creates the transactional producer and initialises transactions (bounded by
  // options.timeout), which aborts or completes any transaction a previous writer with this
  // transactional_id left open. Fails with kInvalidConfig for a missing option or a property
  // librdkafka refuses (naming it), and with kIo naming the brokers, the transactional id and
  // librdkafka's error when the brokers cannot be reached or refuse (e.g. no ACL).
  static common::Result<std::unique_ptr<ChangelogWriter>> Create(const ChangelogOptions& options);
  ChangelogWriter(const ChangelogWriter&) = delete;
  ChangelogWriter& operator=(const ChangelogWriter&) = delete;
  ~ChangelogWriter();

  // Runs one transaction: produces `records` to their partitions of the changelog topic, adds
  // `offsets` as the committed offsets of `consumer`'s group (rd_kafka_send_offsets_to_transaction
  // with rd_kafka_consumer_group_metadata(consumer)), and commits. Either may be empty (no
  // offsets: `consumer` may be null). `consumer` is a high-level consumer with
  // enable.auto.commit=false (KafkaSource's handle); it is used, not kept. Blocks up to
  // options.timeout, and up to options.timeout more to replace the producer after a fatal error.
  //
  // Fails with kInvalidArgument, before starting a transaction, for an empty key or value, a
  // negative partition or offset, or offsets without a consumer (or one without a group). Fails
  // with kIo saying why otherwise; then nothing of this call is visible to read_committed readers
  // and the group's offsets are unchanged:
  // - an abortable error (a record the broker refused, a stale group generation, ...): the
  //   transaction is aborted; the next Commit may succeed;
  // - fenced by another writer with the same transactional_id: see the class comment;
  // - another fatal error: the producer is replaced (a new one, initialised again) before
  //   returning, so the next Commit may succeed; if that fails, the next Commit tries again.
  // One exception: when the coordinator does not answer the commit itself within the timeout,
  // the outcome is unknown (the message says so): the transaction may still commit, records
  // and offsets together. Either way state and offsets stay consistent for the next owner.
  common::Status Commit(const std::vector<ChangelogRecord>& records,
                        const std::vector<InputOffset>& offsets, rd_kafka_t* consumer);
  // The same for packed records, all to records.topic() (any topic the producer may write:
  // the repartition topic's records travel this way, with the input offsets they came from).
  common::Status Commit(const PackedRecords& records, const std::vector<InputOffset>& offsets,
                        rd_kafka_t* consumer);

  // Counters for metrics and benchmarks: committed transactions, and the records and bytes
  // (keys plus values) in them; failed Commit calls.
  std::uint64_t committed_transactions() const { return committed_transactions_; }
  std::uint64_t committed_records() const { return committed_records_; }
  std::uint64_t committed_bytes() const { return committed_bytes_; }
  std::uint64_t failed_transactions() const { return failed_transactions_; }
  // True once another writer with the same transactional_id fenced this one: every Commit fails.
  bool fenced() const { return fenced_; }
  // True when the last Commit failed with its outcome unknown (see Commit): its records and
  // offsets may yet become visible, together.
  bool outcome_unknown() const { return outcome_unknown_; }

 private:
  using Clock = std::chrono::steady_clock;

  ChangelogWriter(ChangelogOptions options, KafkaHandle producer)
      : options_(std::move(options)), producer_(std::move(producer)) {}

  // Where in a transaction a step failed.
  enum class Stage {
    kBegin,          // beginning it: there is no transaction to abort
    kInTransaction,  // producing or sending offsets: the transaction is aborted
    kCommitting,     // committing: a timeout leaves the outcome to the coordinator
  };
  // Handles a failed step: marks the writer fenced, aborts the transaction, or replaces the
  // producer, as the class comment says; returns the kIo error for the caller.
  common::Error Fail(std::string_view doing, const rd_kafka_error_t* error, Stage stage,
                     Clock::time_point deadline);
  // Replaces the producer with a new, initialised one; on failure leaves producer_ null.
  common::Status Recreate();
  // Produces every record of a transaction (adding their keys' and values' sizes to `bytes`);
  // returns the error of the first that fails (Fail() has handled it).
  using ProduceAll =
      std::function<std::optional<common::Error>(Clock::time_point deadline, std::uint64_t& bytes)>;
  // Runs one transaction: begins it, produces, adds `offsets` for `consumer`'s group, commits.
  common::Status Transact(std::size_t record_count, const std::vector<InputOffset>& offsets,
                          rd_kafka_t* consumer, const ProduceAll& produce);
  // Produces one record into the open transaction, waiting while librdkafka's queue is full.
  std::optional<common::Error> Produce(const std::string& topic, std::int32_t partition,
                                       std::string_view key, std::string_view value,
                                       Clock::time_point deadline);

  const ChangelogOptions options_;
  KafkaHandle producer_;  // null after a failed Recreate(): the next Commit tries again
  bool fenced_ = false;
  bool outcome_unknown_ = false;
  std::uint64_t committed_transactions_ = 0;
  std::uint64_t committed_records_ = 0;
  std::uint64_t committed_bytes_ = 0;
  std::uint64_t failed_transactions_ = 0;
};

struct ChangelogReadOptions {
  std::string brokers;  // bootstrap.servers; required
  std::string topic;    // the changelog topic; required
  // The operator's librdkafka properties, applied last. They may not change isolation.level
  // (read_committed) or enable.partition.eof (true), which reading to the end needs.
  std::map<std::string, std::string> properties;
  std::chrono::milliseconds timeout{30'000};  // bound of the whole read
};

struct ChangelogReadStats {
  std::uint64_t records = 0;  // records visited
  std::uint64_t bytes = 0;    // their keys plus values
};

// Reads one partition of a changelog topic, isolation level read_committed, from its
// beginning, now and as it grows: a manually assigned consumer without a group (commits
// nothing, joins nothing). Records of aborted transactions, transaction markers and
// tombstones are skipped. Thread safety: none; holds one librdkafka consumer.
class ChangelogTail {
 public:
  using Visit = std::function<void(std::string_view key, std::string_view value)>;

  // Fails with kInvalidConfig (missing option, refused property), kInvalidArgument (negative
  // partition), or kIo naming the topic, partition and brokers when the partition does not
  // exist (asked first, within options.timeout) or cannot be read.
  static common::Result<std::unique_ptr<ChangelogTail>> Open(const ChangelogReadOptions& options,
                                                             std::int32_t partition);
  ChangelogTail(const ChangelogTail&) = delete;
  ChangelogTail& operator=(const ChangelogTail&) = delete;
  ~ChangelogTail();

  // Calls visit(key, value) for every record from where the last Read stopped to the end
  // (the last stable offset when a fetch answers), in offset order; the views live until
  // visit returns. With a zero `timeout`, reads only what has arrived and returns at once;
  // otherwise waits for the end up to `timeout`, and fails with kIo naming the topic and
  // partition when it is not reached (visit may have been called for some records by then).
  // Records of transactions still open at the end (a killed writer's, until
  // ChangelogWriter::kTransactionTimeout aborts it) are not read yet.
  common::Result<ChangelogReadStats> Read(std::chrono::milliseconds timeout, const Visit& visit);

 private:
  ChangelogTail(std::int32_t partition, std::string where)
      : partition_(partition), where_(std::move(where)) {}

  const std::int32_t partition_;
  const std::string where_;  // "reading TOPIC/P from BROKERS", for errors
  KafkaHandle consumer_;
  KafkaTopic topic_;
  bool started_ = false;
};

// Reads partition `partition` of options.topic from its beginning to its end, within
// options.timeout: ChangelogTail::Open then one Read. Reading to the end, it asks the broker
// not to hold an empty fetch for librdkafka's default 500 ms (fetch.wait.max.ms=10 unless
// options.properties say otherwise), which would cost half a second per empty partition.
common::Result<ChangelogReadStats> ReadChangelogPartition(const ChangelogReadOptions& options,
                                                          std::int32_t partition,
                                                          const ChangelogTail::Visit& visit);

}  // namespace trailsight::kafka
