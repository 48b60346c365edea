#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/finding.h"
#include "common/result.h"
#include "kafka/handles.h"

namespace trailsight::alerts {

struct KafkaPublisherOptions {
  std::string brokers;  // bootstrap.servers, e.g. "127.0.0.1:19092"
  std::string topic;    // the insights topic
  // Extra librdkafka properties ("message.timeout.ms", "linger.ms", ...), applied last, so
  // they override the publisher's defaults (enable.idempotence=true, acks=all).
  std::map<std::string, std::string> properties{};  // {}: may be left out of {.brokers, ...}
  // Bound on findings published but not yet acknowledged (the queue): Publish() waits for
  // acknowledgements beyond it. Also the bound on the payloads kept for re-producing.
  std::size_t max_in_flight = 100000;
  std::chrono::milliseconds flush_timeout{30000};  // Flush() and the destructor wait this long
  // Least time between a final delivery failure and the re-produce of that finding, so a
  // permanent error (a topic that does not exist, say) does not spin.
  std::chrono::milliseconds retry_backoff{1000};
};

// One message, rendered by the caller, for KafkaFindingPublisher::PublishRecord().
struct KafkaRecord {
  std::string key;              // the partition key: records that must stay in order share it
  std::string payload;          // the message value
  std::string event_id;         // header trailsight.eventID: what consumers deduplicate by
  std::string_view state = {};  // header trailsight.state, when not empty; static storage
};

// The partition key of an insight: "account/region/eventSource/eventName[/errorCode]", so a
// Start and its End land on the same partition, in order.
std::string InsightPartitionKey(const common::InsightKey& key);

struct PublisherCounters {
  std::uint64_t published = 0;         // Publish() calls that were accepted
  std::uint64_t delivered = 0;         // findings acknowledged by Kafka (each counted once)
  std::uint64_t delivery_errors = 0;   // final failures reported by librdkafka, or refused produces
  std::uint64_t retries = 0;           // findings re-produced by the publisher itself
  std::uint64_t queue_full_waits = 0;  // Publish() calls that waited for room
  std::uint64_t producer_restarts = 0;  // producers re-created after a fatal error
};

// Publishes findings to one Kafka topic as AWS Insights JSON (RenderInsightLine), keyed by
// "account/region/eventSource/eventName[/errorCode]" so that a Start and its End land on the
// same partition, in order; headers "trailsight.eventID" and "trailsight.state" ("Start" or
// "End"). The producer is idempotent (enable.idempotence=true, acks=all). PublishRecord()
// sends records rendered elsewhere (OCSF alerts, see ocsf_sink.h) through the same machinery.
//
// Each Publish() gets a sequence number 1, 2, 3...; AckedThrough() is the largest n such that
// every finding 1..n has been acknowledged by Kafka: a state snapshot that covers the events
// behind findings 1..n is complete once AckedThrough() >= n (DESIGN.md, "Delivery and state").
//
// Nothing is dropped silently. librdkafka retries first (retries, message.timeout.ms); a final
// delivery failure (a message timed out during a long outage, say) is counted, logged and the
// finding re-produced after retry_backoff, until it is acknowledged. A fatal error of the
// idempotent producer is logged, the producer re-created and every unacknowledged finding
// re-produced. The rendered payload of each finding is kept until it is acknowledged, so
// memory is bounded by max_in_flight. Delivery is at least once: a finding re-produced after a
// failure may be written twice, and may land after later findings of its key; consumers
// deduplicate by eventID (derived from the finding, see insight_ids.h).
//
// Thread safety: none. One thread (the service loop) calls Publish, Poll and Flush; delivery
// reports run inside those calls, on that thread. librdkafka runs its own internal threads;
// its log lines go to spdlog, rate-limited, as for every client built with kafka/config.h.
class KafkaFindingPublisher final : public common::FindingSink {
 public:
  // Creates the producer. Fails with kInvalidConfig when brokers or topic is empty, when the
  // producer cannot be created, or when librdkafka rejects a property: the message names the
  // property, never its value (it may be a secret).
  static common::Result<std::unique_ptr<KafkaFindingPublisher>> Create(
      const KafkaPublisherOptions& options);

  // Flushes for up to flush_timeout and logs how many findings were not acknowledged.
  ~KafkaFindingPublisher() override;

  KafkaFindingPublisher(const KafkaFindingPublisher&) = delete;
  KafkaFindingPublisher& operator=(const KafkaFindingPublisher&) = delete;

  // Renders `finding`, gives it the next sequence number and hands it to librdkafka. While
  // max_in_flight findings are unacknowledged, serves delivery reports (blocking) until there
  // is room. A produce that librdkafka refuses is counted and retried like a failed delivery,
  // so this fails only when the finding cannot be rendered (never, today).
  common::Status Publish(const common::Finding& finding) override;

  // Publishes a record the caller rendered (an OCSF alert, say) exactly as Publish() does a
  // finding: the same sequence numbers, acknowledgement, retries and backpressure.
  common::Status PublishRecord(KafkaRecord record);

  // Waits up to flush_timeout until every finding published so far is acknowledged, serving
  // delivery reports and re-producing failures meanwhile. Fails with kIo saying how many
  // findings are still unacknowledged (and the last delivery error) when time runs out.
  common::Status Flush() override;

  // Serves delivery reports and due re-produces without blocking (rd_kafka_poll(0)). Call it
  // from the service loop, so that AckedThrough() advances.
  void Poll();

  // The sequence number of the newest Publish(); 0 before the first.
  std::uint64_t published() const { return counters_.published; }
  // The largest n such that findings 1..n are all acknowledged; 0 before the first ack.
  std::uint64_t AckedThrough() const { return acked_through_; }
  // Findings published and not yet acknowledged (at most max_in_flight).
  std::size_t unacknowledged() const { return pending_.size(); }
  const PublisherCounters& counters() const { return counters_; }

  // For tests: makes librdkafka raise a fatal idempotent-producer error (as
  // rd_kafka_test_fatal_error does), which the next Poll/Publish/Flush handles.
  void SimulateFatalErrorForTesting();

 private:
  friend class KafkaPublisherCallbacks;  // librdkafka's C callbacks, in kafka_publisher.cc

  enum class EntryState { kInFlight, kFailed, kAcked };
  struct Entry {
    std::uint64_t seq = 0;
    std::string key;
    std::string payload;          // cleared once acknowledged
    std::string event_id;         // header trailsight.eventID
    std::string_view state_name;  // header trailsight.state unless empty; static storage
    EntryState state = EntryState::kInFlight;
  };

  explicit KafkaFindingPublisher(KafkaPublisherOptions options);

  // Builds a producer from options_ (kafka::MakeKafkaConf) whose delivery and error
  // callbacks report to this object. Fails as Create() does.
  common::Result<kafka::KafkaHandle> NewProducer();

  // Hands `entry` to librdkafka; a refused produce marks it failed, to be retried. After a
  // fatal error it only marks the entry: the re-created producer will produce it.
  void Produce(Entry& entry);
  // Serves delivery reports for up to `timeout`, then handles a fatal error, re-produces the
  // failures that are due and advances AckedThrough.
  void Serve(std::chrono::milliseconds timeout);
  void ReproduceFailed();
  void RecreateProducer();
  void AdvanceAckedThrough();
  Entry* Find(std::uint64_t seq);

  // Called by the callbacks (on this object's caller thread, inside rd_kafka_poll).
  void OnDelivery(std::uint64_t seq, int error, std::string_view reason);
  void OnError(int error, std::string_view reason);
  void MarkFailed(Entry& entry, std::string_view reason);

  const KafkaPublisherOptions options_;
  kafka::KafkaHandle producer_;
  std::deque<Entry> pending_;                       // seq order; front().seq == acked_through_ + 1
  std::vector<std::uint64_t> failed_;               // entries waiting for a re-produce, any order
  std::chrono::steady_clock::time_point retry_at_;  // when failed_ is next re-produced
  std::uint64_t acked_through_ = 0;
  bool fatal_ = false;                   // librdkafka raised a fatal error: re-create the producer
  std::string last_error_;               // the newest delivery error, for Flush()'s message
  std::uint64_t unlogged_failures_ = 0;  // failures since Serve() last logged them
  PublisherCounters counters_;
};

}  // namespace trailsight::alerts
