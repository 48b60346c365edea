#include "consumers/kafka_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "consumers/encoded_event.h"
#include "kafka/config.h"

namespace trailsight::consumers {
namespace {

using common::Error;
using common::ErrorCode;

constexpr std::size_t kErrorLogBurst = 5;
constexpr std::chrono::seconds kErrorLogPeriod{10};

std::vector<PartitionOffset> ToVector(const rd_kafka_topic_partition_list_t& list) {
  std::vector<PartitionOffset> partitions;
  partitions.reserve(static_cast<std::size_t>(list.cnt));
  for (int i = 0; i < list.cnt; ++i) {
    partitions.push_back({list.elems[i].topic, list.elems[i].partition, kUnknownOffset});
  }
  return partitions;
}

std::string Describe(const std::vector<PartitionOffset>& partitions) {
  std::string text;
  for (const PartitionOffset& partition : partitions) {
    if (!text.empty()) text += ", ";
    fmt::format_to(std::back_inserter(text), "{}/{}", partition.topic, partition.partition);
    if (partition.offset >= 0) fmt::format_to(std::back_inserter(text), "@{}", partition.offset);
  }
  return text;
}

}  // namespace

KafkaSource::KafkaSource(const KafkaSourceOptions& options, common::StringInterner& interner,
                         common::DeadLetterSink& dead_letters, RebalanceListener& listener)
    : options_(options),
      dead_letters_(dead_letters),
      listener_(listener),
      decoder_(interner),
      aligner_(options.alignment),
      interner_(interner),
      misrouted_log_limiter_(kErrorLogBurst, kErrorLogPeriod),
      error_log_limiter_(kErrorLogBurst, kErrorLogPeriod) {}

common::Result<std::unique_ptr<KafkaSource>> KafkaSource::Create(
    const KafkaSourceOptions& options, common::StringInterner& interner,
    common::DeadLetterSink& dead_letters, RebalanceListener& listener) {
  if (options.brokers.empty()) {
    return Error{ErrorCode::kInvalidConfig, "kafka source: no brokers (bootstrap.servers) given"};
  }
  if (options.topics.empty()) {
    return Error{ErrorCode::kInvalidConfig, "kafka source: no topics to consume given"};
  }
  if (options.group_id.empty()) {
    return Error{ErrorCode::kInvalidConfig, "kafka source: the consumer group id is empty"};
  }
  auto source =
      std::unique_ptr<KafkaSource>(new KafkaSource(options, interner, dead_letters, listener));
  if (common::Status status = source->Connect(); !status) return status.error();
  return source;
}

common::Status KafkaSource::Connect() {
  if (!options_.dead_letter_topic.empty()) {
    auto producer = DeadLetterProducer::Create(
        options_.brokers, options_.dead_letter_topic, options_.properties,
        options_.dead_letter_max_payload, options_.dead_letter_redact);
    if (!producer) return std::move(producer).error();
    dead_letter_producer_ = *std::move(producer);
  }
  // Delivery (nothing committed but a complete snapshot's offsets) and CaughtUp() rest on
  // these; the operator's properties may not change them.
  const kafka::KafkaProperties fixed = {{"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"enable.partition.eof", "true"}};
  for (const auto& [name, value] : fixed) {
    if (auto it = options_.properties.find(name);
        it != options_.properties.end() && it->second != value) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("kafka property {}={}: trailsight needs {}={}", name, it->second,
                               name, value)};
    }
  }
  kafka::KafkaProperties defaults = {{"bootstrap.servers", options_.brokers},
                                     {"group.id", options_.group_id},
                                     {"client.id", "trailsight"},
                                     {"auto.offset.reset", "earliest"}};
  defaults.insert(defaults.end(), fixed.begin(), fixed.end());
  common::Result<kafka::KafkaConf> conf = kafka::MakeKafkaConf(defaults, options_.properties);
  if (!conf) return std::move(conf).error();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaSource::RebalanceCallback);
  rd_kafka_conf_set_error_cb(conf->get(), &KafkaSource::ErrorCallback);
  std::array<char, 512> reason{};
  // On success rd_kafka_new() takes the configuration; on failure it stays ours.
  consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), reason.data(), reason.size()));
  if (consumer_ == nullptr) {
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka consumer: {}", reason.data())};
  }
  (void)conf->release();
  rd_kafka_poll_set_consumer(consumer_.get());  // one queue: messages, rebalances and errors
  fetch_waker_ = std::make_unique<FetchWaker>(consumer_.get());

  kafka::KafkaPartitionList topics(
      rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
  for (const std::string& topic : options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t error = rd_kafka_subscribe(consumer_.get(), topics.get())) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("kafka consumer: cannot subscribe to {}: {}",
                             fmt::join(options_.topics, ", "), kafka::KafkaErrorText(error))};
  }
  return common::Ok();
}

KafkaSource::~KafkaSource() { Close(); }

std::size_t KafkaSource::Poll(common::EventReceiver& receiver, std::chrono::milliseconds timeout,
                              std::size_t max_messages) {
  if (consumer_ == nullptr) return 0;
  receiver_ = &receiver;
  poll_started_ = PartitionAligner::Clock::now();
  // Read once a call: the skew allowed is minutes, a call lasts milliseconds.
  latest_event_time_ = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                       options_.future_skew;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t handled = 0;
  while (handled < max_messages) {
    // Take what is waiting; wait (for the time left) only before the first message.
    kafka::KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), 0));
    if (message == nullptr) {
      WakeFetchingIfBehind();
      if (handled > 0) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      message.reset(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(left.count())));
      if (message == nullptr) break;  // nothing within the time left
    }
    switch (message->err) {
      case RD_KAFKA_RESP_ERR_NO_ERROR:
        HandleMessage(*message);
        ++handled;
        break;
      case RD_KAFKA_RESP_ERR__PARTITION_EOF:  // caught up: the offset is the next to read
        aligner_.EndOfPartition(AlignerIndex(rd_kafka_topic_name(message->rkt), message->partition),
                                message->offset);
        break;
      default:  // a consumer error: unknown topic, broker gone, ...; librdkafka recovers
        BrokerError(rd_kafka_message_errstr(message.get()));
        break;
    }
    if (handled == 0 && std::chrono::steady_clock::now() >= deadline) break;
  }
  Release();
  counters_.oversized_fields = decoder_.field_limit_counters().oversized_records;
  counters_.values_cut = decoder_.field_limit_counters().values_cut;
  if (dead_letter_producer_ != nullptr) {
    dead_letter_producer_->Poll();
    counters_.dead_letters_lost = dead_letter_producer_->failed();
  }
  receiver_ = nullptr;
  return handled;
}

void KafkaSource::WakeFetchingIfBehind() {
  behind_.clear();
  for (const PartitionOffset& position : positions_.all()) {
    if (LagOf(position) > 0) behind_.push_back(position);
  }
  fetch_waker_->Wake(behind_);
  counters_.fetch_wakes = fetch_waker_->wakes();
}

void KafkaSource::Release() {
  const PartitionAligner::Clock::time_point now = PartitionAligner::Clock::now();
  aligner_.Release(*this, now);
  aligner_.PausesDue(now, to_pause_, to_resume_);
  for (std::size_t index : to_pause_) SetPaused(index, true);
  for (std::size_t index : to_resume_) SetPaused(index, false);
}

void KafkaSource::SetRestoring(std::string_view topic, std::int32_t partition, bool restoring) {
  if (std::optional<std::size_t> index = aligner_.Find(topic, partition)) {
    aligner_.SetRestoring(*index, restoring);
  }
}

void KafkaSource::SetPaused(std::size_t index, bool paused) {
  kafka::KafkaPartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), std::string(aligner_.topic(index)).c_str(),
                                    aligner_.partition(index));
  const rd_kafka_resp_err_t error = paused
                                        ? rd_kafka_pause_partitions(consumer_.get(), list.get())
                                        : rd_kafka_resume_partitions(consumer_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    BrokerError(fmt::format("{} {}/{}: {}", paused ? "pause" : "resume", aligner_.topic(index),
                            aligner_.partition(index), kafka::KafkaErrorText(error)));
    return;
  }
  if (paused) ++counters_.pauses;
  aligner_.SetPaused(index, paused, PartitionAligner::Clock::now());
}

std::size_t KafkaSource::AlignerIndex(std::string_view topic, std::int32_t partition) {
  if (std::optional<std::size_t> index = aligner_.Find(topic, partition)) return *index;
  return aligner_.Assign(topic, partition, PartitionAligner::Clock::now());
}

void KafkaSource::OnAlignedEvent(std::size_t partition, const common::Event& event) {
  ++counters_.records;
  if (options_.keyed_by_account_region) CheckKeying(partition, event);
  delivering_partition_ = partition;
  receiver_->OnEvent(event);
}

void KafkaSource::CheckKeying(std::size_t partition, const common::Event& event) {
  const std::uint64_t region = (std::uint64_t{event.account} << 32) | event.region;
  const std::string_view topic = aligner_.topic(partition);
  const std::int32_t number = aligner_.partition(partition);
  auto [it, inserted] = region_partition_.try_emplace(region);
  if (inserted) {
    it->second = {std::string(topic), number};
    return;
  }
  if (it->second.partition == number && it->second.topic == topic) return;
  ++counters_.misrouted;
  std::uint64_t suppressed = 0;
  if (!misrouted_log_limiter_.Allow(suppressed)) return;
  spdlog::warn(
      "kafka consumer: a record of account {} in {} came from {}/{}, earlier ones from {}/{}: "
      "the input is not keyed by account and region as kafka.input_keyed_by_account_region "
      "declares ({} similar records not logged)",
      interner_.Resolve(event.account), interner_.Resolve(event.region), topic, number,
      it->second.topic, it->second.partition, suppressed);
}

void KafkaSource::OnHandled(std::size_t partition, std::int64_t next_offset, bool at_end) {
  if (at_end) {
    positions_.AdvanceToEnd(aligner_.topic(partition), aligner_.partition(partition), next_offset);
  } else {
    positions_.Advance(aligner_.topic(partition), aligner_.partition(partition), next_offset);
  }
}

void KafkaSource::MarkLate() {
  ++counters_.late;
  aligner_.CountLate(delivering_partition_);
}

void KafkaSource::HandleMessage(const rd_kafka_message_t& message) {
  ++counters_.messages;
  message_ = &message;
  message_topic_ = rd_kafka_topic_name(message.rkt);
  message_partition_ = AlignerIndex(message_topic_, message.partition);
  const std::string_view payload(static_cast<const char*>(message.payload),
                                 message.payload != nullptr ? message.len : 0);
  if (payload.size() > options_.max_record_bytes) {
    ++counters_.malformed;
    DeadLetter(0,
               fmt::format("message of {} bytes exceeds max_record_bytes ({})", payload.size(),
                           options_.max_record_bytes),
               payload);
  } else if (payload.empty()) {
    ++counters_.malformed;
    DeadLetter(0, "empty message", payload);
  } else if (options_.encoded_events) {
    HandleEncoded(payload);
  } else {
    decoder_.Decode(payload, *this);
  }
  // The position moves once every record buffered from it is handed over (OnHandled).
  aligner_.EndOfMessage(message_partition_, message.offset + 1, poll_started_);
  message_ = nullptr;
}

void KafkaSource::OnRecord(const common::Event& event, std::size_t index,
                           std::string_view payload) {
  if (options_.future_skew.count() > 0 && event.time > latest_event_time_) {
    ++counters_.future_dated;
    DeadLetter(index,
               fmt::format("eventTime {} is more than {} s ahead of the wall clock ({})",
                           common::FormatUtcTimestamp(event.time), options_.future_skew.count(),
                           common::FormatUtcTimestamp(latest_event_time_ - options_.future_skew)),
               payload);
    return;
  }
  if (event.time < options_.min_event_time) {
    ++counters_.early_dated;
    DeadLetter(index, EarlyDatedReason(event.time, options_.min_event_time), payload);
    return;
  }
  if (!options_.alignment.merge_sources) {
    aligner_.Buffer(message_partition_, event);
  } else if (!aligner_.BufferFrom(message_partition_, message_source_, event, message_->offset,
                                  poll_started_)) {
    ++counters_.handed_before;
  }
}

void KafkaSource::OnBadRecord(std::string_view reason, std::size_t index,
                              std::string_view payload) {
  ++counters_.malformed;
  DeadLetter(index, reason, payload);
}

void KafkaSource::DeadLetter(std::size_t index, std::string_view reason, std::string_view payload) {
  ++counters_.dead_lettered;
  const rd_kafka_message_t& message = *message_;
  letter_source_.clear();
  fmt::format_to(std::back_inserter(letter_source_), "{}/{}", message_topic_, message.partition);
  letter_position_.clear();
  fmt::format_to(std::back_inserter(letter_position_), "offset {}", message.offset);
  if (index > 0) fmt::format_to(std::back_inserter(letter_position_), " record {}", index);
  dead_letters_.Write({letter_source_, letter_position_, reason, payload});
  if (dead_letter_producer_ != nullptr) {
    dead_letter_producer_->Produce({message_topic_, message.partition, message.offset, index},
                                   reason, payload);
  }
}

std::size_t KafkaSource::paused_partitions() const {
  std::size_t paused = 0;
  for (std::size_t index = 0; index < aligner_.partition_count(); ++index) {
    if (aligner_.paused(index)) ++paused;
  }
  return paused;
}

std::vector<PartitionOffset> KafkaSource::Positions() const {
  std::vector<PartitionOffset> known = positions_.Known();
  if (options_.alignment.merge_sources) {
    for (PartitionOffset& position : known) {
      if (std::optional<std::size_t> index = aligner_.Find(position.topic, position.partition)) {
        position.metadata = aligner_.HandedOver(*index, position.offset);
      }
    }
  }
  return known;
}

bool KafkaSource::CaughtUp() const { return consumer_ != nullptr && positions_.AllAtEnd(); }

common::Status KafkaSource::Commit(const std::vector<PartitionOffset>& offsets) {
  if (offsets.empty()) return common::Ok();  // an empty list would commit the current offsets
  if (consumer_ == nullptr) {
    ++counters_.commit_errors;
    return Error{ErrorCode::kIo, "kafka commit: the consumer is closed"};
  }
  kafka::KafkaPartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& offset : offsets) {
    rd_kafka_topic_partition_t* element =
        rd_kafka_topic_partition_list_add(list.get(), offset.topic.c_str(), offset.partition);
    element->offset = offset.offset;
    kafka::SetOffsetMetadata(*element, offset.metadata.data(), offset.metadata.size());
  }
  // The commit's result arrives on a queue of its own, so that waiting for it is bounded:
  // rd_kafka_commit() would wait forever for a coordinator that has gone away.
  kafka::KafkaQueue queue(rd_kafka_queue_new(consumer_.get()));
  rd_kafka_resp_err_t error =
      rd_kafka_commit_queue(consumer_.get(), list.get(), queue.get(), nullptr, nullptr);
  kafka::KafkaEvent result;
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    result.reset(
        rd_kafka_queue_poll(queue.get(), static_cast<int>(options_.commit_timeout.count())));
    if (result == nullptr) {
      ++counters_.commit_errors;
      return Error{
          ErrorCode::kIo,
          fmt::format("kafka commit of {} for group {} did not complete within {} ms "
                      "(is the group coordinator reachable?)",
                      Describe(offsets), options_.group_id, options_.commit_timeout.count())};
    }
    error = rd_kafka_event_error(result.get());
  }
  std::string failed;
  if (const rd_kafka_topic_partition_list_t* committed =
          result != nullptr ? rd_kafka_event_topic_partition_list(result.get()) : nullptr) {
    for (int i = 0; i < committed->cnt && error == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      if (committed->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = committed->elems[i].err;
        failed = fmt::format(" ({}/{})", committed->elems[i].topic, committed->elems[i].partition);
      }
    }
  }
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return common::Ok();
  ++counters_.commit_errors;
  return Error{ErrorCode::kIo,
               fmt::format("kafka commit of {} for group {} failed{}: {}", Describe(offsets),
                           options_.group_id, failed, kafka::KafkaErrorText(error))};
}

common::Result<std::vector<PartitionOffset>> KafkaSource::Committed(
    const std::vector<PartitionOffset>& partitions) {
  std::vector<PartitionOffset> committed;
  if (partitions.empty()) return committed;
  if (consumer_ == nullptr)
    return Error{ErrorCode::kIo, "kafka committed offsets: consumer closed"};
  kafka::KafkaPartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const PartitionOffset& partition : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition);
  }
  rd_kafka_resp_err_t error = rd_kafka_committed(
      consumer_.get(), list.get(), static_cast<int>(options_.committed_timeout.count()));
  for (int i = 0; i < list->cnt && error == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    const rd_kafka_topic_partition_t& element = list->elems[i];
    if (element.err != RD_KAFKA_RESP_ERR_NO_ERROR) error = element.err;
    committed.push_back(
        {element.topic, element.partition, element.offset >= 0 ? element.offset : kUnknownOffset,
         element.metadata != nullptr
             ? std::string(static_cast<const char*>(element.metadata), element.metadata_size)
             : std::string{}});
  }
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{ErrorCode::kIo,
                 fmt::format("kafka committed offsets of {} for group {}: {}", Describe(partitions),
                             options_.group_id, kafka::KafkaErrorText(error))};
  }
  committed_ = committed;
  return committed;
}

void KafkaSource::Close() {
  if (consumer_ == nullptr) return;
  fetch_waker_.reset();  // before the consumer it uses
  closing_ = true;
  // Revokes the assignment (the listener's OnRevoke runs here) and leaves the group.
  if (rd_kafka_resp_err_t error = rd_kafka_consumer_close(consumer_.get())) {
    spdlog::warn("kafka consumer: leaving group {}: {}", options_.group_id,
                 kafka::KafkaErrorText(error));
  }
  consumer_.reset();
  positions_.Clear();
  aligner_.Clear();
  if (dead_letter_producer_ != nullptr) {
    if (const int left = dead_letter_producer_->Flush(DeadLetterProducer::kCloseFlushTimeout);
        left > 0) {
      spdlog::error("kafka dead letters: {} dead letters to {} not delivered at close", left,
                    options_.dead_letter_topic);
    }
    counters_.dead_letters_lost = dead_letter_producer_->failed();
  }
}

void KafkaSource::RebalanceCallback(rd_kafka_t* /*handle*/, rd_kafka_resp_err_t error,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->OnRebalance(error, partitions);
}

void KafkaSource::ErrorCallback(rd_kafka_t* /*handle*/, int error, const char* reason,
                                void* opaque) {
  static_cast<KafkaSource*>(opaque)->BrokerError(
      fmt::format("{}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error)), reason));
}

void KafkaSource::OnRebalance(rd_kafka_resp_err_t error,
                              rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* consumer = consumer_.get();
  const bool cooperative = kafka::RebalancesCooperatively(consumer);
  std::vector<PartitionOffset> changed = ToVector(*partitions);
  kafka::KafkaError assign_error;
  switch (error) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS: {
      // Known to the aligner first, so that the listener may mark them restoring.
      for (const PartitionOffset& partition : changed) {
        aligner_.Assign(partition.topic, partition.partition, PartitionAligner::Clock::now());
      }
      // Served by Close() (the source stops before a poll took it), it is taken as an
      // unassign: the partitions are not read, and the listener is not asked where they start
      // (the service's listener asks the group coordinator, which waits for a group being left).
      const std::vector<PartitionOffset> starts =
          closing_ ? std::vector<PartitionOffset>{} : listener_.OnAssign(changed);
      for (const PartitionOffset& start : starts) {
        rd_kafka_topic_partition_t* entry =
            rd_kafka_topic_partition_list_find(partitions, start.topic.c_str(), start.partition);
        auto it = std::find_if(changed.begin(), changed.end(), [&](const PartitionOffset& p) {
          return p.partition == start.partition && p.topic == start.topic;
        });
        if (entry == nullptr || it == changed.end() || start.offset < 0) {
          spdlog::warn("kafka consumer: ignoring start offset {} for {}/{}: not being assigned",
                       start.offset, start.topic, start.partition);
          continue;
        }
        entry->offset = start.offset;
        it->offset = start.offset;
      }
      positions_.Add(changed);
      if (options_.alignment.merge_sources) SkipHandedOver(changed);
      committed_.clear();
      if (closing_) {
        spdlog::info("kafka consumer: closing; handing {} back unread", Describe(changed));
      } else {
        spdlog::info("kafka consumer: assigned {}", Describe(changed));
      }
      if (cooperative) {
        assign_error.reset(rd_kafka_incremental_assign(consumer, partitions));
      } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer, partitions)) {
        BrokerError(fmt::format("assign: {}", kafka::KafkaErrorText(err)));
      }
      break;
    }
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: {
      for (PartitionOffset& partition : changed) {
        for (const PartitionOffset& known : positions_.all()) {
          if (known.partition == partition.partition && known.topic == partition.topic) {
            partition.offset = known.offset;
          }
        }
      }
      if (rd_kafka_assignment_lost(consumer)) {
        spdlog::warn("kafka consumer: assignment lost (session timed out?): {}", Describe(changed));
      }
      listener_.OnRevoke(changed);
      spdlog::info("kafka consumer: revoked {}", Describe(changed));
      positions_.Remove(changed);
      // Their buffered records were never handed over: the next owner reads them again.
      for (const PartitionOffset& partition : changed) {
        if (std::optional<std::size_t> index = aligner_.Find(partition.topic, partition.partition);
            index && aligner_.paused(*index)) {
          SetPaused(*index, false);  // a paused partition would stay paused if it came back
        }
        aligner_.Revoke(partition.topic, partition.partition);
      }
      std::erase_if(region_partition_, [&](const auto& entry) {
        return std::any_of(changed.begin(), changed.end(), [&](const PartitionOffset& gone) {
          return gone.partition == entry.second.partition && gone.topic == entry.second.topic;
        });
      });
      if (cooperative) {
        assign_error.reset(rd_kafka_incremental_unassign(consumer, partitions));
      } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer, nullptr)) {
        BrokerError(fmt::format("unassign: {}", kafka::KafkaErrorText(err)));
      }
      break;
    }
    default:
      BrokerError(fmt::format("rebalance failed: {}", kafka::KafkaErrorText(error)));
      positions_.Clear();
      for (std::size_t index = 0; index < aligner_.partition_count(); ++index) {
        if (aligner_.paused(index)) SetPaused(index, false);
      }
      aligner_.Clear();
      if (cooperative) {
        assign_error.reset(rd_kafka_incremental_unassign(consumer, partitions));
      } else {
        (void)rd_kafka_assign(consumer, nullptr);
      }
      break;
  }
  if (assign_error != nullptr) {
    BrokerError(fmt::format("incremental assign: {}", rd_kafka_error_string(assign_error.get())));
  }
}

void KafkaSource::BrokerError(std::string_view what) {
  ++counters_.broker_errors;
  std::uint64_t suppressed = 0;
  if (!error_log_limiter_.Allow(suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("kafka consumer: {} ({} similar errors suppressed)", what, suppressed);
  } else {
    spdlog::warn("kafka consumer: {}", what);
  }
}

}  // namespace trailsight::consumers
