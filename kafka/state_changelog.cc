#include "kafka/state_changelog.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>
#include <utility>

#include "kafka/config.h"

namespace trailsight::kafka {
namespace {

using common::Error;
using common::ErrorCode;
using Clock = std::chrono::steady_clock;

// How long an abort may take even when the Commit's own time is used up: without it, a
// transaction would stay open (and hold readers back) until the coordinator times it out.
constexpr std::chrono::milliseconds kMinAbortTime{2'000};
// How long one wait for a full producer queue to drain lasts.
constexpr std::chrono::milliseconds kQueueFullWait{10};

// Milliseconds left until `deadline`, 0 once it has passed; as librdkafka's int timeouts.
int ChangelogMillisecondsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, std::numeric_limits<int>::max()));
}

// librdkafka's name of a transactional error and its description.
std::string TransactionErrorText(const rd_kafka_error_t* error) {
  return fmt::format("{} ({})", rd_kafka_error_name(error), rd_kafka_error_string(error));
}

// True for the errors that say a newer producer with our transactional.id took over.
bool IsFencing(rd_kafka_resp_err_t error) {
  return error == RD_KAFKA_RESP_ERR__FENCED || error == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         error == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

// Returns whether `a` and `b` mean the same as values of property `name`.
bool SameValue(std::string_view name, std::string_view a, std::string_view b) {
  if (name == "acks") {
    auto all = [](std::string_view v) { return v == "all" || v == "-1"; };
    return all(a) == all(b);
  }
  return a == b;
}

// Fails with kInvalidConfig when the operator's `properties` give one of `fixed` another value.
common::Status CheckFixedProperties(const std::map<std::string, std::string>& properties,
                                    const KafkaProperties& fixed, std::string_view who) {
  for (const auto& [name, value] : fixed) {
    auto it = properties.find(name);
    if (it != properties.end() && !SameValue(name, it->second, value)) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("kafka property {}={}: the {} needs {}={}", name, it->second, who,
                               name, value)};
    }
  }
  return common::Ok();
}

// A transactional producer for `options`, with transactions initialised. kIo when the brokers
// do not answer or refuse.
common::Result<KafkaHandle> NewTransactionalProducer(const ChangelogOptions& options) {
  const KafkaProperties fixed = {{"transactional.id", options.transactional_id},
                                 {"enable.idempotence", "true"},
                                 {"acks", "all"}};
  if (common::Status ok = CheckFixedProperties(options.properties, fixed, "changelog writer");
      !ok) {
    return ok.error();
  }
  KafkaProperties defaults = {
      {"bootstrap.servers", options.brokers},
      {"client.id", "trailsight-changelog"},
      {"transaction.timeout.ms", std::to_string(ChangelogWriter::kTransactionTimeout.count())},
      // Records repeat the strings they name (each carries its own): batches compress well.
      {"compression.type", "lz4"},
      // Metadata requests never create the changelog topic: the service creates it compacted.
      {"allow.auto.create.topics", "false"}};
  defaults.insert(defaults.end(), fixed.begin(), fixed.end());
  common::Result<KafkaConf> conf = MakeKafkaConf(defaults, options.properties);
  if (!conf) return std::move(conf).error();
  std::array<char, 512> reason{};
  KafkaHandle producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), reason.data(), reason.size()));
  if (producer == nullptr) {
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka changelog: {}", reason.data())};
  }
  (void)conf->release();  // rd_kafka_new took it
  KafkaError error(
      rd_kafka_init_transactions(producer.get(), static_cast<int>(options.timeout.count())));
  if (error != nullptr) {
    return Error{ErrorCode::kIo,
                 fmt::format("kafka changelog: initialising transactions for transactional id {} "
                             "on {} (topic {}): {}",
                             options.transactional_id, options.brokers, options.topic,
                             TransactionErrorText(error.get()))};
  }
  return producer;
}

// Fails with kIo when the cluster's metadata does not show `partition` of `topic`.
common::Status CheckPartitionExists(rd_kafka_t* client, rd_kafka_topic_t* topic,
                                    std::int32_t partition, std::string_view where,
                                    Clock::time_point deadline) {
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(client, 0, topic, &raw, ChangelogMillisecondsLeft(deadline));
  KafkaMetadata metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{ErrorCode::kIo, fmt::format("kafka changelog: {}: asking for its metadata: {}",
                                             where, KafkaErrorText(error))};
  }
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& found = metadata->topics[i];
    if (std::string_view(found.topic) != rd_kafka_topic_name(topic)) continue;
    if (found.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) return common::Ok();  // being placed
    if (found.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error{ErrorCode::kIo,
                   fmt::format("kafka changelog: {}: {}", where, KafkaErrorText(found.err))};
    }
    if (partition >= found.partition_cnt) {
      return Error{ErrorCode::kIo, fmt::format("kafka changelog: {}: the topic has only {} "
                                               "partitions",
                                               where, found.partition_cnt)};
    }
    return common::Ok();
  }
  return Error{
      ErrorCode::kIo,
      fmt::format("kafka changelog: {}: the metadata response does not mention the topic", where)};
}

}  // namespace

common::Result<std::unique_ptr<ChangelogWriter>> ChangelogWriter::Create(
    const ChangelogOptions& options) {
  std::string missing;
  if (options.brokers.empty()) missing = "brokers (bootstrap.servers)";
  if (options.topic.empty()) missing = "topic";
  if (options.transactional_id.empty()) missing = "transactional id";
  if (!missing.empty()) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("kafka changelog: no {} given for the state changelog", missing)};
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("kafka changelog: the timeout must be positive, not {} ms",
                             options.timeout.count())};
  }
  common::Result<KafkaHandle> producer = NewTransactionalProducer(options);
  if (!producer) return std::move(producer).error();
  return std::unique_ptr<ChangelogWriter>(new ChangelogWriter(options, *std::move(producer)));
}

ChangelogWriter::~ChangelogWriter() = default;  // no transaction is ever left open by Commit

common::Status ChangelogWriter::Recreate() {
  producer_.reset();  // first: the old producer's transaction must not race the new one's init
  common::Result<KafkaHandle> producer = NewTransactionalProducer(options_);
  if (!producer) return std::move(producer).error();
  producer_ = *std::move(producer);
  return common::Ok();
}

common::Error ChangelogWriter::Fail(std::string_view doing, const rd_kafka_error_t* error,
                                    Stage stage, Clock::time_point deadline) {
  ++failed_transactions_;
  std::string message = fmt::format(
      "kafka changelog: {} (topic {}, transactional id {}, brokers {}): {}", doing, options_.topic,
      options_.transactional_id, options_.brokers, TransactionErrorText(error));
  const bool fatal = rd_kafka_error_is_fatal(error) != 0;
  rd_kafka_resp_err_t cause = rd_kafka_error_code(error);
  if (fatal && producer_ != nullptr) {
    std::array<char, 512> reason{};
    cause = rd_kafka_fatal_error(producer_.get(), reason.data(), reason.size());
  }
  if (fatal && (IsFencing(rd_kafka_error_code(error)) || IsFencing(cause))) {
    fenced_ = true;
    producer_.reset();
    message += fmt::format(
        "; fenced: another writer with transactional id {} took over, so this one writes no more",
        options_.transactional_id);
    return Error{ErrorCode::kIo, std::move(message)};
  }

  bool replace = fatal || stage == Stage::kBegin;
  if (!replace && stage == Stage::kCommitting && rd_kafka_error_is_retriable(error) != 0) {
    // The commit request is on its way and may still succeed: a new producer's init lets the
    // coordinator finish it (or abort it) before anything else is written.
    message +=
        "; the outcome is unknown: the transaction may still commit, records and offsets "
        "together";
    outcome_unknown_ = true;
    replace = true;
  } else if (!replace) {
    const auto abort_by = std::max(deadline, Clock::now() + kMinAbortTime);
    if (KafkaError aborted(
            rd_kafka_abort_transaction(producer_.get(), ChangelogMillisecondsLeft(abort_by)));
        aborted != nullptr) {
      message += fmt::format("; aborting failed too: {}", TransactionErrorText(aborted.get()));
      replace = true;
    } else {
      message += "; the transaction was aborted";
    }
  }
  if (replace) {
    if (common::Status recreated = Recreate(); !recreated) {
      message += fmt::format("; replacing the producer failed, the next commit tries again: {}",
                             recreated.error().message);
    } else {
      message += "; the producer was replaced";
    }
  }
  return Error{ErrorCode::kIo, std::move(message)};
}

common::Status ChangelogWriter::Commit(const std::vector<ChangelogRecord>& records,
                                       const std::vector<InputOffset>& offsets,
                                       rd_kafka_t* consumer) {
  for (const ChangelogRecord& record : records) {
    const char* wrong = record.key.empty()     ? "empty key (a compacted topic needs keys)"
                        : record.value.empty() ? "empty value"
                        : record.partition < 0 ? "negative partition"
                                               : nullptr;
    if (wrong != nullptr) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("kafka changelog: record '{}' for partition {} of {}: {}",
                               record.key, record.partition, options_.topic, wrong)};
    }
  }
  return Transact(records.size(), offsets, consumer,
                  [&](Clock::time_point deadline, std::uint64_t& bytes) -> std::optional<Error> {
                    for (const ChangelogRecord& record : records) {
                      if (std::optional<Error> failed =
                              Produce(record.topic.empty() ? options_.topic : record.topic,
                                      record.partition, record.key, record.value, deadline)) {
                        return failed;
                      }
                      bytes += record.key.size() + record.value.size();
                    }
                    return std::nullopt;
                  });
}

common::Status ChangelogWriter::Commit(const PackedRecords& records,
                                       const std::vector<InputOffset>& offsets,
                                       rd_kafka_t* consumer) {
  if (records.size() > 0 && records.topic().empty()) {
    return Error{ErrorCode::kInvalidArgument, "kafka changelog: packed records without a topic"};
  }
  return Transact(
      records.size(), offsets, consumer,
      [&](Clock::time_point deadline, std::uint64_t& bytes) -> std::optional<Error> {
        std::optional<Error> failed;
        records.ForEach([&](std::int32_t partition, std::string_view key, std::string_view value) {
          if (!failed) failed = Produce(records.topic(), partition, key, value, deadline);
          bytes += key.size() + value.size();
        });
        return failed;
      });
}

std::optional<Error> ChangelogWriter::Produce(const std::string& topic, std::int32_t partition,
                                              std::string_view key, std::string_view value,
                                              Clock::time_point deadline) {
  std::array<rd_kafka_vu_t, 5> fields{};
  fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[0].u.cstr = topic.c_str();
  fields[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  fields[1].u.i32 = partition;
  fields[2].vtype = RD_KAFKA_VTYPE_KEY;
  fields[2].u.mem = {const_cast<char*>(key.data()), key.size()};
  fields[3].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[3].u.mem = {const_cast<char*>(value.data()), value.size()};
  fields[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[4].u.i = RD_KAFKA_MSG_F_COPY;
  while (true) {
    KafkaError error(rd_kafka_produceva(producer_.get(), fields.data(), fields.size()));
    if (error == nullptr) return std::nullopt;
    if (rd_kafka_error_code(error.get()) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
        Clock::now() < deadline) {
      rd_kafka_poll(producer_.get(), static_cast<int>(kQueueFullWait.count()));
      continue;
    }
    return Fail(fmt::format("producing a record to partition {} of {}", partition, topic),
                error.get(), Stage::kInTransaction, deadline);
  }
}

common::Status ChangelogWriter::Transact(std::size_t record_count,
                                         const std::vector<InputOffset>& offsets,
                                         rd_kafka_t* consumer, const ProduceAll& produce) {
  outcome_unknown_ = false;
  KafkaPartitionList positions;
  KafkaGroupMetadata group;
  if (!offsets.empty()) {
    if (consumer == nullptr) {
      return Error{ErrorCode::kInvalidArgument,
                   "kafka changelog: offsets to commit but no consumer to commit them for"};
    }
    group.reset(rd_kafka_consumer_group_metadata(consumer));
    if (group == nullptr) {
      return Error{ErrorCode::kInvalidArgument,
                   "kafka changelog: the consumer given has no group (not a consumer, or no "
                   "group.id)"};
    }
    positions.reset(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const InputOffset& offset : offsets) {
      if (offset.offset < 0) {
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("kafka changelog: offset {} of {}/{} is not a position",
                                 offset.offset, offset.topic, offset.partition)};
      }
      rd_kafka_topic_partition_t* element = rd_kafka_topic_partition_list_add(
          positions.get(), offset.topic.c_str(), offset.partition);
      element->offset = offset.offset;
      SetOffsetMetadata(*element, offset.metadata.data(), offset.metadata.size());
    }
  }
  if (fenced_) {
    ++failed_transactions_;
    return Error{ErrorCode::kIo,
                 fmt::format("kafka changelog: fenced: another writer with transactional id {} "
                             "took over the changelog {}; this one writes no more",
                             options_.transactional_id, options_.topic)};
  }
  if (producer_ == nullptr) {
    if (common::Status recreated = Recreate(); !recreated) {
      ++failed_transactions_;
      return recreated.error();
    }
  }

  const Clock::time_point deadline = Clock::now() + options_.timeout;
  if (KafkaError error(rd_kafka_begin_transaction(producer_.get())); error != nullptr) {
    return Fail("beginning a transaction", error.get(), Stage::kBegin, deadline);
  }
  std::uint64_t bytes = 0;
  if (std::optional<Error> failed = produce(deadline, bytes)) return *std::move(failed);

  if (positions != nullptr) {
    if (KafkaError error(rd_kafka_send_offsets_to_transaction(
            producer_.get(), positions.get(), group.get(), ChangelogMillisecondsLeft(deadline)));
        error != nullptr) {
      return Fail("adding the input offsets to the transaction", error.get(), Stage::kInTransaction,
                  deadline);
    }
  }

  while (true) {
    KafkaError error(
        rd_kafka_commit_transaction(producer_.get(), ChangelogMillisecondsLeft(deadline)));
    if (error == nullptr) break;
    // A retriable error before the deadline: the commit goes on in the background; resume it.
    if (rd_kafka_error_is_retriable(error.get()) != 0 && !rd_kafka_error_is_fatal(error.get()) &&
        !rd_kafka_error_txn_requires_abort(error.get()) && Clock::now() < deadline) {
      continue;
    }
    return Fail(fmt::format("committing a transaction of {} records and {} offsets", record_count,
                            offsets.size()),
                error.get(), Stage::kCommitting, deadline);
  }
  ++committed_transactions_;
  committed_records_ += record_count;
  committed_bytes_ += bytes;
  return common::Ok();
}

common::Result<std::unique_ptr<ChangelogTail>> ChangelogTail::Open(
    const ChangelogReadOptions& options, std::int32_t partition) {
  if (options.brokers.empty() || options.topic.empty()) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("kafka changelog: no {} given to read the state changelog from",
                             options.brokers.empty() ? "brokers (bootstrap.servers)" : "topic")};
  }
  if (partition < 0) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("kafka changelog: no partition {} of {} to read", partition, options.topic)};
  }
  const KafkaProperties fixed = {{"isolation.level", "read_committed"},
                                 {"enable.partition.eof", "true"}};
  if (common::Status ok = CheckFixedProperties(options.properties, fixed, "changelog reader");
      !ok) {
    return ok.error();
  }
  KafkaProperties defaults = {{"bootstrap.servers", options.brokers},
                              {"client.id", "trailsight-changelog-reader"},
                              {"enable.auto.commit", "false"},
                              {"auto.offset.reset", "earliest"},
                              {"allow.auto.create.topics", "false"}};
  defaults.insert(defaults.end(), fixed.begin(), fixed.end());
  common::Result<KafkaConf> conf = MakeKafkaConf(defaults, options.properties);
  if (!conf) return std::move(conf).error();
  const Clock::time_point deadline = Clock::now() + options.timeout;
  std::unique_ptr<ChangelogTail> tail(new ChangelogTail(
      partition, fmt::format("reading {}/{} from {}", options.topic, partition, options.brokers)));

  // The simple (legacy) consumer API: it reads one partition without a group.id, where the
  // high-level consumer's assign() needs one.
  std::array<char, 512> reason{};
  tail->consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), reason.data(), reason.size()));
  if (tail->consumer_ == nullptr) {
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka changelog: {}", reason.data())};
  }
  (void)conf->release();  // rd_kafka_new took it
  tail->topic_.reset(rd_kafka_topic_new(tail->consumer_.get(), options.topic.c_str(), nullptr));
  if (tail->topic_ == nullptr) {
    return Error{ErrorCode::kIo, fmt::format("kafka changelog: {}: {}", tail->where_,
                                             KafkaErrorText(rd_kafka_last_error()))};
  }
  // The simple consumer waits for an absent topic or partition to appear: ask first.
  if (common::Status found = CheckPartitionExists(tail->consumer_.get(), tail->topic_.get(),
                                                  partition, tail->where_, deadline);
      !found) {
    return found.error();
  }
  if (rd_kafka_consume_start(tail->topic_.get(), partition, RD_KAFKA_OFFSET_BEGINNING) != 0) {
    return Error{ErrorCode::kIo, fmt::format("kafka changelog: {}: {}", tail->where_,
                                             KafkaErrorText(rd_kafka_last_error()))};
  }
  tail->started_ = true;
  return tail;
}

ChangelogTail::~ChangelogTail() {
  if (started_) rd_kafka_consume_stop(topic_.get(), partition_);
}

common::Result<ChangelogReadStats> ChangelogTail::Read(std::chrono::milliseconds timeout,
                                                       const Visit& visit) {
  const Clock::time_point deadline = Clock::now() + timeout;
  ChangelogReadStats stats;
  std::string last_error;  // a transient one, named if the end is never reached
  while (true) {
    const int left = ChangelogMillisecondsLeft(deadline);
    if (left == 0 && timeout.count() > 0) {
      return Error{ErrorCode::kIo,
                   fmt::format("kafka changelog: {}: the end was not reached within {} ms, "
                               "after {} records{}",
                               where_, timeout.count(), stats.records,
                               last_error.empty() ? "" : "; last error: " + last_error)};
    }
    KafkaMessage message(rd_kafka_consume(topic_.get(), partition_, left));
    if (message == nullptr) {
      if (timeout.count() == 0) return stats;  // nothing more for now
      continue;                                // timed out: the loop's check fails
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return stats;  // the end, for now
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      switch (message->err) {
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__RESOLVE:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
          last_error = KafkaErrorText(message->err);  // librdkafka retries these
          if (timeout.count() == 0) return stats;
          continue;
        default:
          break;
      }
      return Error{ErrorCode::kIo, fmt::format("kafka changelog: {}: {}", where_,
                                               rd_kafka_message_errstr(message.get()))};
    }
    if (message->payload == nullptr) continue;  // a tombstone: the key has no state
    const std::string_view key(static_cast<const char*>(message->key),
                               message->key != nullptr ? message->key_len : 0);
    const std::string_view value(static_cast<const char*>(message->payload), message->len);
    ++stats.records;
    stats.bytes += key.size() + value.size();
    visit(key, value);
  }
}

common::Result<ChangelogReadStats> ReadChangelogPartition(const ChangelogReadOptions& options,
                                                          std::int32_t partition,
                                                          const ChangelogTail::Visit& visit) {
  ChangelogReadOptions to_the_end = options;
  to_the_end.properties.emplace("fetch.wait.max.ms", "10");
  common::Result<std::unique_ptr<ChangelogTail>> tail = ChangelogTail::Open(to_the_end, partition);
  if (!tail) return tail.error();
  return (*tail)->Read(options.timeout, visit);
}

void PackedRecords::Add(std::int32_t partition, std::string_view key, std::string_view value) {
  entries_.push_back({.partition = partition,
                      .key_size = static_cast<std::uint32_t>(key.size()),
                      .value_size = static_cast<std::uint32_t>(value.size())});
  bytes_.append(key);
  bytes_.append(value);
}

}  // namespace trailsight::kafka
