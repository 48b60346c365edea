#include "alerts/kafka_publisher.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "kafka/config.h"

namespace trailsight::alerts {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kWaitSlice{100};            // one rd_kafka_poll while waiting
constexpr milliseconds kQueueFullLogEvery{10000};  // Publish() waiting for room
constexpr milliseconds kFatalDrainTimeout{5000};   // old producer's reports after a fatal error
constexpr std::size_t kLibrdkafkaMaxQueuedMessages = 10000000;  // queue.buffering.max.messages

int ToInt(milliseconds duration) { return static_cast<int>(duration.count()); }

}  // namespace

std::string InsightPartitionKey(const common::InsightKey& key) {
  std::string text =
      fmt::format("{}/{}/{}/{}", key.account, key.region, key.event_source, key.event_name);
  if (!key.error_code.empty()) fmt::format_to(std::back_inserter(text), "/{}", key.error_code);
  return text;
}

// librdkafka's C callbacks. They run inside rd_kafka_poll(), on the publisher's caller thread.
class KafkaPublisherCallbacks {
 public:
  static void Delivery(rd_kafka_t* /*producer*/, const rd_kafka_message_t* message, void* opaque) {
    auto* publisher = static_cast<KafkaFindingPublisher*>(opaque);
    const auto seq =
        static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(message->_private));
    publisher->OnDelivery(seq, message->err, message->err ? rd_kafka_err2str(message->err) : "");
  }

  static void Error(rd_kafka_t* /*producer*/, int error, const char* reason, void* opaque) {
    static_cast<KafkaFindingPublisher*>(opaque)->OnError(error, reason);
  }
};

common::Result<std::unique_ptr<KafkaFindingPublisher>> KafkaFindingPublisher::Create(
    const KafkaPublisherOptions& options) {
  const auto invalid = [](std::string message) {
    return common::Error{common::ErrorCode::kInvalidConfig, "kafka publisher: " + message};
  };
  const bool has_bootstrap = !options.brokers.empty() ||
                             options.properties.contains("bootstrap.servers") ||
                             options.properties.contains("test.mock.num.brokers");
  if (!has_bootstrap) return invalid("brokers is empty");
  if (options.topic.empty()) return invalid("topic is empty");
  if (options.max_in_flight == 0) return invalid("max_in_flight must be at least 1");
  if (options.flush_timeout.count() < 0 || options.retry_backoff.count() < 0) {
    return invalid("flush_timeout and retry_backoff must not be negative");
  }
  std::unique_ptr<KafkaFindingPublisher> publisher(new KafkaFindingPublisher(options));
  common::Result<kafka::KafkaHandle> producer = publisher->NewProducer();
  if (!producer) return std::move(producer).error();
  publisher->producer_ = *std::move(producer);
  return publisher;
}

KafkaFindingPublisher::KafkaFindingPublisher(KafkaPublisherOptions options)
    : options_(std::move(options)) {}

KafkaFindingPublisher::~KafkaFindingPublisher() {
  if (producer_ == nullptr) return;
  const common::Status flushed = Flush();
  if (!flushed) spdlog::error("{} (closing anyway)", flushed.error().message);
}

common::Result<kafka::KafkaHandle> KafkaFindingPublisher::NewProducer() {
  std::map<std::string, std::string> settings = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"client.id", "trailsight-publisher"},
      // Room for every unacknowledged finding, so a produce is refused only when the
      // properties below ask for less.
      {"queue.buffering.max.messages",
       std::to_string(
           std::clamp<std::size_t>(options_.max_in_flight, 100000, kLibrdkafkaMaxQueuedMessages))},
  };
  if (!options_.brokers.empty()) settings["bootstrap.servers"] = options_.brokers;
  // The operator's properties are applied last, so they override these defaults.
  common::Result<kafka::KafkaConf> conf =
      kafka::MakeKafkaConf({settings.begin(), settings.end()}, options_.properties);
  if (!conf) {
    return common::Error{common::ErrorCode::kInvalidConfig,
                         "kafka publisher: " + conf.error().message};
  }
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaPublisherCallbacks::Delivery);
  rd_kafka_conf_set_error_cb(conf->get(), &KafkaPublisherCallbacks::Error);
  rd_kafka_conf_set_opaque(conf->get(), this);
  std::array<char, 512> why{};
  kafka::KafkaHandle producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), why.data(), why.size()));
  if (producer == nullptr) {
    return common::Error{common::ErrorCode::kInvalidConfig,
                         fmt::format("kafka publisher: cannot create the producer for topic "
                                     "\"{}\": {}",
                                     options_.topic, why.data())};
  }
  conf->release();  // rd_kafka_new() owns it now
  // Makes the topic known now, so its metadata is asked for as soon as the producer
  // connects: left to the first produce, it waits for librdkafka's next one-second scan, and
  // the service's first finding (and a shutdown's flush) with it.
  const kafka::KafkaTopic topic(
      rd_kafka_topic_new(producer.get(), options_.topic.c_str(), nullptr));
  return producer;
}

common::Status KafkaFindingPublisher::Publish(const common::Finding& finding) {
  return PublishRecord({.key = InsightPartitionKey(finding.key),
                        .payload = RenderInsightLine(finding),
                        .event_id = DeriveInsightIds(finding).event_id,
                        .state = InsightStateName(finding.state)});
}

common::Status KafkaFindingPublisher::PublishRecord(KafkaRecord record) {
  if (pending_.size() >= options_.max_in_flight) {
    ++counters_.queue_full_waits;
    Clock::time_point next_log = Clock::now() + kQueueFullLogEvery;
    while (pending_.size() >= options_.max_in_flight) {
      Serve(kWaitSlice);
      if (Clock::now() >= next_log) {
        next_log += kQueueFullLogEvery;
        spdlog::warn(
            "kafka publisher: {} findings unacknowledged by topic \"{}\" (max_in_flight); "
            "waiting for Kafka (last error: {})",
            pending_.size(), options_.topic, last_error_.empty() ? "none" : last_error_);
      }
    }
  }
  Entry& entry = pending_.emplace_back();
  entry.seq = ++counters_.published;
  entry.key = std::move(record.key);
  entry.payload = std::move(record.payload);
  entry.event_id = std::move(record.event_id);
  entry.state_name = record.state;
  Produce(entry);
  Serve(milliseconds{0});
  return common::Ok();
}

common::Status KafkaFindingPublisher::Flush() {
  const Clock::time_point deadline = Clock::now() + options_.flush_timeout;
  while (!pending_.empty()) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    Serve(std::min(left, kWaitSlice));
  }
  if (pending_.empty()) return common::Ok();
  return common::Error{
      common::ErrorCode::kIo,
      fmt::format("kafka publisher: {} of {} findings not acknowledged by topic \"{}\" after "
                  "{} ms (last error: {})",
                  pending_.size(), counters_.published, options_.topic,
                  options_.flush_timeout.count(), last_error_.empty() ? "none" : last_error_)};
}

void KafkaFindingPublisher::Poll() { Serve(milliseconds{0}); }

void KafkaFindingPublisher::SimulateFatalErrorForTesting() {
  rd_kafka_test_fatal_error(producer_.get(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            "simulated by a test");
}

void KafkaFindingPublisher::Produce(Entry& entry) {
  if (fatal_) {  // the producer refuses everything: RecreateProducer() re-produces this one
    entry.state = EntryState::kFailed;
    return;
  }
  // The headers go in as one list that we own until the produce succeeds: librdkafka 2.0.2
  // frees per-header (RD_KAFKA_VTYPE_HEADER) lists twice when a produce is refused
  // (confluentinc/librdkafka#4627), but leaves an application's list alone.
  kafka::KafkaHeaders headers(rd_kafka_headers_new(2));
  rd_kafka_header_add(headers.get(), "trailsight.eventID", -1, entry.event_id.data(),
                      static_cast<ssize_t>(entry.event_id.size()));
  if (!entry.state_name.empty()) {
    rd_kafka_header_add(headers.get(), "trailsight.state", -1, entry.state_name.data(),
                        static_cast<ssize_t>(entry.state_name.size()));
  }
  std::array<rd_kafka_vu_t, 6> args{};
  args[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  args[0].u.cstr = options_.topic.c_str();
  args[1].vtype = RD_KAFKA_VTYPE_KEY;
  args[1].u.mem = {entry.key.data(), entry.key.size()};
  args[2].vtype = RD_KAFKA_VTYPE_VALUE;
  args[2].u.mem = {entry.payload.data(), entry.payload.size()};
  args[3].vtype = RD_KAFKA_VTYPE_HEADERS;
  args[3].u.headers = headers.get();
  args[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
  args[4].u.ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(entry.seq));
  args[5].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  args[5].u.i = RD_KAFKA_MSG_F_COPY;
  entry.state = EntryState::kInFlight;
  const kafka::KafkaError error(rd_kafka_produceva(producer_.get(), args.data(), args.size()));
  if (error == nullptr) {
    headers.release();  // the message owns them now
    return;
  }
  if (rd_kafka_error_code(error.get()) == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
  ++counters_.delivery_errors;
  MarkFailed(entry, fmt::format("produce refused: {}", rd_kafka_error_string(error.get())));
}

void KafkaFindingPublisher::Serve(milliseconds timeout) {
  rd_kafka_poll(producer_.get(), ToInt(timeout));
  const Clock::time_point now = Clock::now();
  if (fatal_ && now >= retry_at_) {
    RecreateProducer();
  } else if (!fatal_ && !failed_.empty() && now >= retry_at_) {
    ReproduceFailed();
  }
  if (unlogged_failures_ > 0) {  // one line per round, not one per finding
    spdlog::warn("kafka publisher: {} findings to topic \"{}\" failed (last: {}); {}",
                 unlogged_failures_, options_.topic, last_error_,
                 fatal_ ? "re-creating the producer"
                        : fmt::format("re-producing in {} ms", options_.retry_backoff.count()));
    unlogged_failures_ = 0;
  }
  AdvanceAckedThrough();
}

void KafkaFindingPublisher::ReproduceFailed() {
  std::vector<std::uint64_t> due;
  due.swap(failed_);
  std::sort(due.begin(), due.end());  // re-produce in publish order
  for (const std::uint64_t seq : due) {
    Entry* entry = Find(seq);
    if (entry == nullptr || entry->state != EntryState::kFailed) continue;
    ++counters_.retries;
    Produce(*entry);
  }
}

void KafkaFindingPublisher::RecreateProducer() {
  std::array<char, 512> why{};
  const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(producer_.get(), why.data(), why.size());
  spdlog::error(
      "kafka publisher: fatal producer error ({}: {}); re-creating the producer and "
      "re-producing {} unacknowledged findings",
      rd_kafka_err2name(cause), why.data(), pending_.size());
  common::Result<kafka::KafkaHandle> fresh = NewProducer();
  if (!fresh) {
    spdlog::error("{}; trying again in {} ms", fresh.error().message,
                  options_.retry_backoff.count());
    retry_at_ = Clock::now() + options_.retry_backoff;
    return;
  }
  // Take the old producer's last reports (acks still count), then let it go.
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  const Clock::time_point drain_deadline = Clock::now() + kFatalDrainTimeout;
  while (rd_kafka_outq_len(producer_.get()) > 0 && Clock::now() < drain_deadline) {
    rd_kafka_poll(producer_.get(), ToInt(kWaitSlice));
  }
  producer_ = *std::move(fresh);
  fatal_ = false;
  failed_.clear();
  unlogged_failures_ = 0;  // the purged ones: logged above
  ++counters_.producer_restarts;
  for (Entry& entry : pending_) {
    if (entry.state == EntryState::kAcked) continue;
    ++counters_.retries;
    Produce(entry);
  }
}

void KafkaFindingPublisher::AdvanceAckedThrough() {
  while (!pending_.empty() && pending_.front().state == EntryState::kAcked) {
    acked_through_ = pending_.front().seq;
    pending_.pop_front();
  }
}

KafkaFindingPublisher::Entry* KafkaFindingPublisher::Find(std::uint64_t seq) {
  if (pending_.empty() || seq < pending_.front().seq) return nullptr;
  const std::uint64_t index = seq - pending_.front().seq;
  if (index >= pending_.size()) return nullptr;
  return &pending_[index];
}

void KafkaFindingPublisher::OnDelivery(std::uint64_t seq, int error, std::string_view reason) {
  Entry* entry = Find(seq);
  if (entry == nullptr || entry->state == EntryState::kAcked) return;  // acknowledged before
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    entry->state = EntryState::kAcked;
    std::string().swap(entry->payload);  // free it now; the entry waits for older ones
    ++counters_.delivered;
    return;
  }
  ++counters_.delivery_errors;
  MarkFailed(*entry, reason);
}

void KafkaFindingPublisher::OnError(int error, std::string_view reason) {
  if (error == RD_KAFKA_RESP_ERR__FATAL) {
    fatal_ = true;
    return;  // RecreateProducer() logs it, with the underlying cause
  }
  spdlog::warn("kafka publisher: {}: {}",
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error)), reason);
}

void KafkaFindingPublisher::MarkFailed(Entry& entry, std::string_view reason) {
  entry.state = EntryState::kFailed;
  if (failed_.empty()) retry_at_ = Clock::now() + options_.retry_backoff;
  failed_.push_back(entry.seq);
  last_error_ = reason;
  ++unlogged_failures_;
}

}  // namespace trailsight::alerts
