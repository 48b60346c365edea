#include "consumers/dead_letter_producer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <utility>

#include "kafka/config.h"

namespace trailsight::consumers {
namespace {

using common::Error;
using common::ErrorCode;

constexpr std::chrono::milliseconds kQueueFullPoll{100};

// A decimal number in a buffer of its own, for a header value.
class DecimalText {
 public:
  explicit DecimalText(std::int64_t value) {
    size_ = static_cast<std::size_t>(
        std::to_chars(text_.data(), text_.data() + text_.size(), value).ptr - text_.data());
  }
  const char* data() const { return text_.data(); }
  ssize_t size() const { return static_cast<ssize_t>(size_); }

 private:
  std::array<char, 24> text_{};
  std::size_t size_ = 0;
};

rd_kafka_vu_t Header(const char* name, const void* value, ssize_t size) {
  rd_kafka_vu_t vu{};
  vu.vtype = RD_KAFKA_VTYPE_HEADER;
  vu.u.header = {name, value, size};
  return vu;
}

}  // namespace

DeadLetterProducer::DeadLetterProducer(std::string topic, std::size_t max_payload, bool redact)
    : topic_(std::move(topic)),
      max_payload_(max_payload),
      redactor_(redact ? std::make_unique<DeadLetterRedactor>() : nullptr),
      log_limiter_(5, std::chrono::seconds(10)) {}

common::Result<std::unique_ptr<DeadLetterProducer>> DeadLetterProducer::Create(
    const std::string& brokers, const std::string& topic,
    const std::map<std::string, std::string>& properties, std::size_t max_payload, bool redact) {
  auto producer =
      std::unique_ptr<DeadLetterProducer>(new DeadLetterProducer(topic, max_payload, redact));
  common::Result<kafka::KafkaConf> conf =
      kafka::MakeKafkaConf({{"bootstrap.servers", brokers},
                            {"client.id", "trailsight-dead-letters"},
                            {"acks", "all"},
                            {"enable.idempotence", "true"},
                            {"linger.ms", "20"}},
                           properties);
  if (!conf) return std::move(conf).error();
  rd_kafka_conf_set_opaque(conf->get(), producer.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &DeadLetterProducer::OnDelivery);
  std::array<char, 512> reason{};
  // On success rd_kafka_new() takes the configuration; on failure it stays ours.
  producer->producer_.reset(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), reason.data(), reason.size()));
  if (producer->producer_ == nullptr) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("kafka dead-letter producer: {}", reason.data())};
  }
  (void)conf->release();
  return producer;
}

DeadLetterProducer::~DeadLetterProducer() {
  if (producer_ == nullptr) return;
  if (const int left = Flush(kCloseFlushTimeout); left > 0) {
    spdlog::error("kafka dead letters: {} dead letters to {} not delivered at shutdown", left,
                  topic_);
  }
}

bool DeadLetterProducer::Produce(const DeadLetterOrigin& origin, std::string_view reason,
                                 std::string_view payload) {
  // The topic name is not NUL-terminated in a view: copy it into a bounded local buffer.
  std::array<char, 256> source_topic{};
  const std::size_t topic_size = std::min(origin.topic.size(), source_topic.size());
  std::copy_n(origin.topic.data(), topic_size, source_topic.data());
  const DecimalText partition(origin.partition);
  const DecimalText offset(origin.offset);
  const DecimalText bytes(static_cast<std::int64_t>(payload.size()));
  const DecimalText record(static_cast<std::int64_t>(origin.record));
  const std::string_view sent = redactor_ != nullptr ? redactor_->Redact(payload) : payload;
  const std::string_view kept = sent.substr(0, max_payload_);

  std::array<rd_kafka_vu_t, 11> vus{};
  std::size_t count = 0;
  vus[count].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[count++].u.cstr = topic_.c_str();
  vus[count].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[count++].u.mem = {const_cast<char*>(kept.data()), kept.size()};
  vus[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[count++].u.i = RD_KAFKA_MSG_F_COPY;
  vus[count++] =
      Header(kDeadLetterTopicHeader, source_topic.data(), static_cast<ssize_t>(topic_size));
  vus[count++] = Header(kDeadLetterPartitionHeader, partition.data(), partition.size());
  vus[count++] = Header(kDeadLetterOffsetHeader, offset.data(), offset.size());
  vus[count++] =
      Header(kDeadLetterReasonHeader, reason.data(), static_cast<ssize_t>(reason.size()));
  vus[count++] = Header(kDeadLetterBytesHeader, bytes.data(), bytes.size());
  if (origin.record > 0)
    vus[count++] = Header(kDeadLetterRecordHeader, record.data(), record.size());
  if (redactor_ != nullptr) vus[count++] = Header(kDeadLetterRedactedHeader, "true", 4);

  const auto give_up = std::chrono::steady_clock::now() + kQueueFullWait;
  while (true) {
    kafka::KafkaError error(rd_kafka_produceva(producer_.get(), vus.data(), count));
    if (error == nullptr) return true;
    if (rd_kafka_error_code(error.get()) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
        std::chrono::steady_clock::now() < give_up) {
      rd_kafka_poll(producer_.get(), static_cast<int>(kQueueFullPoll.count()));
      continue;
    }
    Fail(rd_kafka_error_string(error.get()));
    return false;
  }
}

void DeadLetterProducer::Poll() { rd_kafka_poll(producer_.get(), 0); }

int DeadLetterProducer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count()));
  return rd_kafka_outq_len(producer_.get());
}

void DeadLetterProducer::OnDelivery(rd_kafka_t* /*handle*/, const rd_kafka_message_t* message,
                                    void* opaque) {
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  static_cast<DeadLetterProducer*>(opaque)->Fail(rd_kafka_err2str(message->err));
}

void DeadLetterProducer::Fail(std::string_view why) {
  ++failed_;
  std::uint64_t suppressed = 0;
  if (!log_limiter_.Allow(suppressed)) return;
  spdlog::warn("kafka dead letters: a dead letter to {} was lost: {} ({} lost in all)", topic_, why,
               failed_);
}

}  // namespace trailsight::consumers
