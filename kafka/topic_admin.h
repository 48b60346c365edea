#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/result.h"
#include "kafka/handles.h"

namespace trailsight::kafka {

// What the cluster says about one topic.
struct TopicDescription {
  std::string name;
  bool exists = false;
  int partitions = 0;          // 0 when the topic does not exist
  std::string cleanup_policy;  // "delete", "compact" or "compact,delete"; empty from Lookup()
};

// A topic to create when it is absent. The replication factor is always the broker's default
// (default.replication.factor): the cluster's operators know it, we do not.
struct TopicSpec {
  std::string name;
  int partitions = 1;                          // at least 1
  std::map<std::string, std::string> configs;  // topic configs, e.g. {"cleanup.policy", "compact"}
};

struct TopicAdminOptions {
  std::string brokers;                            // bootstrap.servers; required
  std::map<std::string, std::string> properties;  // the operator's librdkafka properties, last
  std::chrono::milliseconds timeout{30'000};      // bound of each call, retries included
};

// A small admin client over librdkafka's Admin API and metadata requests: looks topics up,
// reads their cleanup.policy, and creates the absent ones. Metadata requests never create a
// topic, even on a broker with auto.create.topics.enable=true (allow.auto.create.topics=false
// unless the operator's properties say otherwise).
//
// Failures are values (kIo for what the broker or the network answered, kInvalidArgument and
// kInvalidConfig for what the caller passed), each naming the topic, the brokers and
// librdkafka's error name: "kafka admin: creating topic trailsight-insights with 1 partition on
// b1:9092: TOPIC_AUTHORIZATION_FAILED (Broker: Topic authorization failed)".
//
// A broker that refuses the client's credentials or certificate (kafka/broker_refusal.h) fails
// the call within a fraction of a second, with kInvalidConfig and librdkafka's words, which
// name the listener and no secret: "kafka admin: looking up topic t on b1:9096: the broker
// refused this client: sasl_ssl://b1:9096/bootstrap: SASL authentication error: ...".
//
// Thread safety: none; one thread at a time. Each call blocks its caller for at most
// TopicAdminOptions::timeout. Holds one librdkafka client (and its threads) while it lives.
class TopicAdmin {
 public:
  // Connects lazily: succeeds without a broker. Fails with kInvalidConfig when brokers is empty
  // or librdkafka refuses a property (naming it).
  static common::Result<std::unique_ptr<TopicAdmin>> Create(const TopicAdminOptions& options);

  // Returns whether `topic` exists and its partition count, from a metadata request (the
  // cleanup_policy stays empty). Needs only the Describe ACL on the topic; a topic the client may
  // not describe is an error (TOPIC_AUTHORIZATION_FAILED), not an absent topic.
  common::Result<TopicDescription> Lookup(const std::string& topic);

  // Returns Lookup()'s answer and, for an existing topic, its cleanup.policy (DescribeConfigs:
  // needs the DescribeConfigs ACL on the topic too). A topic that the broker answering
  // DescribeConfigs does not know (just created, or just deleted) counts as absent.
  common::Result<TopicDescription> Describe(const std::string& topic);

  // Creates `spec.name` with spec.partitions partitions and spec.configs unless it exists, waits
  // until the cluster's metadata shows it, and returns Describe()'s answer. An existing topic is
  // left as it is (its partitions and configs may differ from `spec`: the caller decides whether
  // that matters). A concurrent creator's TOPIC_ALREADY_EXISTS counts as success. Needs the
  // Create ACL (on the topic or the cluster) only when the topic is absent.
  common::Result<TopicDescription> Ensure(const TopicSpec& spec);

  const std::string& brokers() const { return options_.brokers; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit TopicAdmin(TopicAdminOptions options) : options_(std::move(options)) {}

  // librdkafka's error callback: keeps the first refusal (IsBrokerRefusal) in refusal_.
  static void OnClientError(rd_kafka_t* client, int error, const char* reason, void* opaque);
  // Serves the client's error callback; an error naming the refusal if the broker refused us.
  std::optional<common::Error> Refused(const std::string& doing);
  // The answer on `queue` by `deadline`, or an error: refused, or timed out.
  common::Result<KafkaEvent> AwaitAnswer(rd_kafka_queue_t* queue, const std::string& doing,
                                         Deadline deadline);

  common::Result<TopicDescription> LookupUntil(const std::string& topic, Deadline deadline);
  common::Result<TopicDescription> DescribeUntil(const std::string& topic, Deadline deadline);
  // nullopt: the broker that answered does not know the topic.
  common::Result<std::optional<std::string>> CleanupPolicyUntil(const std::string& topic,
                                                                Deadline deadline);
  common::Status CreateUntil(const TopicSpec& spec, Deadline deadline);
  common::Error BrokerError(const std::string& doing, rd_kafka_resp_err_t error,
                            const char* detail = nullptr) const;

  const TopicAdminOptions options_;
  KafkaHandle client_;  // a producer that never produces: librdkafka's admin calls need a client
  std::optional<std::string> refusal_;  // librdkafka's words for the first refusal
};

}  // namespace trailsight::kafka
