#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/rate_limiter.h"
#include "common/result.h"
#include "consumers/dead_letter_redaction.h"
#include "kafka/handles.h"

namespace trailsight::consumers {

// Headers of a dead letter on the dead-letter topic. Values are text: the topic name, the
// partition and offset in decimal, the reason as the DeadLetterSink gets it.
inline constexpr char kDeadLetterTopicHeader[] = "trailsight.source.topic";
inline constexpr char kDeadLetterPartitionHeader[] = "trailsight.source.partition";
inline constexpr char kDeadLetterOffsetHeader[] = "trailsight.source.offset";
inline constexpr char kDeadLetterReasonHeader[] = "trailsight.reason";
// The 1-based index of the bad record in a {"Records":[...]} batch; absent for whole messages.
inline constexpr char kDeadLetterRecordHeader[] = "trailsight.source.record";
// The size in bytes of the rejected payload before redaction and truncation.
inline constexpr char kDeadLetterBytesHeader[] = "trailsight.source.bytes";
// "true" when the value is the payload's redacted form (DeadLetterRedactor); absent otherwise.
inline constexpr char kDeadLetterRedactedHeader[] = "trailsight.redacted";

// Where a rejected piece of input came from.
struct DeadLetterOrigin {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::size_t record = 0;  // 1-based index in a batch; 0 for the whole message
};

// Writes dead letters to a Kafka topic with an idempotent producer (acks=all) of its own:
// the payload (with `redact`, its redacted form: no identities, request parameters or
// addresses) is cut to `max_payload` bytes and the origin and reason travel in headers.
// Produce() only queues; delivery reports are served by Poll() and Flush(), and a letter the
// broker did not take is logged (rate-limited) and counted in failed().
//
// Thread safety: none; the consumer's thread owns it and calls every method.
class DeadLetterProducer {
 public:
  // Connects to `brokers` (bootstrap.servers) with `properties` applied last. Fails with
  // kInvalidConfig naming the property librdkafka rejected.
  static common::Result<std::unique_ptr<DeadLetterProducer>> Create(
      const std::string& brokers, const std::string& topic,
      const std::map<std::string, std::string>& properties, std::size_t max_payload,
      bool redact = false);

  DeadLetterProducer(const DeadLetterProducer&) = delete;
  DeadLetterProducer& operator=(const DeadLetterProducer&) = delete;
  // Flushes for up to kCloseFlushTimeout, then logs how many letters were not delivered.
  ~DeadLetterProducer();

  // Queues one letter. When librdkafka's queue is full it serves delivery reports for up to
  // kQueueFullWait (backpressure on the consumer) before giving up. Returns false when the
  // letter could not be queued; that is logged and counted in failed().
  bool Produce(const DeadLetterOrigin& origin, std::string_view reason, std::string_view payload);

  // Serves delivery reports without blocking.
  void Poll();

  // Waits up to `timeout` for every queued letter to be delivered; returns how many are left.
  int Flush(std::chrono::milliseconds timeout);

  // Letters that could not be queued or that the broker did not accept.
  std::uint64_t failed() const { return failed_; }

  static constexpr std::chrono::milliseconds kQueueFullWait{1000};
  static constexpr std::chrono::milliseconds kCloseFlushTimeout{10000};

 private:
  DeadLetterProducer(std::string topic, std::size_t max_payload, bool redact);
  static void OnDelivery(rd_kafka_t* handle, const rd_kafka_message_t* message, void* opaque);
  void Fail(std::string_view why);

  const std::string topic_;
  const std::size_t max_payload_;
  std::unique_ptr<DeadLetterRedactor> redactor_;  // set when payloads are redacted
  kafka::KafkaHandle producer_;
  std::uint64_t failed_ = 0;
  common::RateLimiter log_limiter_;
};

}  // namespace trailsight::consumers
