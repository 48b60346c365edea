#include "kafka/topic_admin.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "kafka/broker_refusal.h"
#include "kafka/config.h"

namespace trailsight::kafka {
namespace {

using common::Error;
using common::ErrorCode;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kAppearPollInterval{100};  // waiting for a new topic
// How often a call waiting for an answer looks at what the client reported meanwhile: a
// broker that refuses our credentials fails the call at once, not at its deadline.
constexpr std::chrono::milliseconds kRefusalPollInterval{200};

// Milliseconds left until `deadline`, 0 once it has passed; as librdkafka's int timeouts.
int MillisecondsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, std::numeric_limits<int>::max()));
}

// The next wait of a call that answers by `deadline`: at most kRefusalPollInterval.
int NextWaitMilliseconds(Clock::time_point deadline) {
  return std::min(MillisecondsLeft(deadline), static_cast<int>(kRefusalPollInterval.count()));
}

// Admin options for one request that must answer by `deadline`.
common::Result<KafkaAdminOptions> AdminOptions(rd_kafka_t* client, rd_kafka_admin_op_t op,
                                               Clock::time_point deadline) {
  KafkaAdminOptions options(rd_kafka_AdminOptions_new(client, op));
  std::array<char, 512> reason{};
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), MillisecondsLeft(deadline),
                                                reason.data(),
                                                reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error{ErrorCode::kInternal, fmt::format("kafka admin: {}", reason.data())};
  }
  return options;
}

}  // namespace

common::Result<std::unique_ptr<TopicAdmin>> TopicAdmin::Create(const TopicAdminOptions& options) {
  if (options.brokers.empty()) {
    return Error{ErrorCode::kInvalidConfig, "kafka admin: no brokers (bootstrap.servers) given"};
  }
  // Defaults first, then the operator's properties, which may replace any of them.
  common::Result<KafkaConf> conf =
      MakeKafkaConf({{"bootstrap.servers", options.brokers},
                     {"client.id", "trailsight-admin"},
                     // A producer's metadata requests may create topics on brokers that allow it;
                     // ours only look.
                     {"allow.auto.create.topics", "false"}},
                    options.properties);
  if (!conf) return std::move(conf).error();
  std::unique_ptr<TopicAdmin> admin(new TopicAdmin(options));
  rd_kafka_conf_set_opaque(conf->get(), admin.get());
  rd_kafka_conf_set_error_cb(conf->get(), &TopicAdmin::OnClientError);
  std::array<char, 512> reason{};
  admin->client_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), reason.data(), reason.size()));
  if (admin->client_ == nullptr) {
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka admin: {}", reason.data())};
  }
  (void)conf->release();  // rd_kafka_new took it
  return admin;
}

void TopicAdmin::OnClientError(rd_kafka_t* /*client*/, int error, const char* reason,
                               void* opaque) {
  auto* admin = static_cast<TopicAdmin*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (!admin->refusal_ && IsBrokerRefusal(code, reason)) admin->refusal_ = reason;
}

std::optional<common::Error> TopicAdmin::Refused(const std::string& doing) {
  rd_kafka_poll(client_.get(), 0);  // serves OnClientError
  if (!refusal_) return std::nullopt;
  return Error{ErrorCode::kInvalidConfig,
               fmt::format("kafka admin: {} on {}: the broker refused this client: {}", doing,
                           options_.brokers, BrokerRefusalText(*refusal_))};
}

common::Result<KafkaEvent> TopicAdmin::AwaitAnswer(rd_kafka_queue_t* queue,
                                                   const std::string& doing, Deadline deadline) {
  while (true) {
    KafkaEvent event(rd_kafka_queue_poll(queue, NextWaitMilliseconds(deadline)));
    if (event != nullptr) return event;
    if (std::optional<common::Error> refused = Refused(doing)) return *std::move(refused);
    if (Clock::now() >= deadline) return BrokerError(doing, RD_KAFKA_RESP_ERR__TIMED_OUT);
  }
}

common::Result<TopicDescription> TopicAdmin::Lookup(const std::string& topic) {
  return LookupUntil(topic, Clock::now() + options_.timeout);
}

common::Result<TopicDescription> TopicAdmin::Describe(const std::string& topic) {
  return DescribeUntil(topic, Clock::now() + options_.timeout);
}

common::Result<TopicDescription> TopicAdmin::Ensure(const TopicSpec& spec) {
  if (spec.name.empty()) {
    return Error{ErrorCode::kInvalidArgument, "kafka admin: a topic to create has no name"};
  }
  if (spec.partitions < 1) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("kafka admin: topic {} must have at least 1 partition, not {}",
                             spec.name, spec.partitions)};
  }
  const Deadline deadline = Clock::now() + options_.timeout;
  common::Result<TopicDescription> found = DescribeUntil(spec.name, deadline);
  if (!found || found->exists) return found;

  if (common::Status created = CreateUntil(spec, deadline); !created) return created.error();
  // The controller has the topic; the brokers we ask may learn of it a little later.
  while (true) {
    found = DescribeUntil(spec.name, deadline);
    if (!found || (found->exists && found->partitions > 0)) return found;
    if (Clock::now() + kAppearPollInterval >= deadline) {
      return Error{ErrorCode::kIo,
                   fmt::format("kafka admin: topic {} was created but did not appear in the "
                               "metadata of {} within {} ms",
                               spec.name, options_.brokers, options_.timeout.count())};
    }
    std::this_thread::sleep_for(kAppearPollInterval);
  }
}

common::Result<TopicDescription> TopicAdmin::LookupUntil(const std::string& topic,
                                                         Deadline deadline) {
  const std::string doing = fmt::format("looking up topic {}", topic);
  // A topic handle only names the topic for the request: it creates nothing on the broker.
  KafkaTopic handle(rd_kafka_topic_new(client_.get(), topic.c_str(), nullptr));
  if (handle == nullptr) return BrokerError(doing, rd_kafka_last_error());
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR__TIMED_OUT;
  // In slices, looking for a refusal between them; librdkafka retries within each.
  while (true) {
    const Deadline slice_end = std::min(deadline, Clock::now() + kRefusalPollInterval);
    error = rd_kafka_metadata(client_.get(), 0, handle.get(), &raw,
                              std::max(MillisecondsLeft(slice_end), 1));
    if (error != RD_KAFKA_RESP_ERR__TIMED_OUT && error != RD_KAFKA_RESP_ERR__TRANSPORT) break;
    if (std::optional<common::Error> refused = Refused(doing)) return *std::move(refused);
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_until(slice_end);  // no broker at all may fail a request at once
  }
  KafkaMetadata metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return BrokerError(doing, error);

  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& found = metadata->topics[i];
    if (topic != found.topic) continue;
    switch (found.err) {
      case RD_KAFKA_RESP_ERR_NO_ERROR:
      case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:  // exists, partitions still being placed
        return TopicDescription{
            .name = topic, .exists = true, .partitions = found.partition_cnt, .cleanup_policy = {}};
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return TopicDescription{
            .name = topic, .exists = false, .partitions = 0, .cleanup_policy = {}};
      default:
        return BrokerError(doing, found.err);
    }
  }
  return Error{ErrorCode::kInternal,
               fmt::format("kafka admin: {} on {}: the metadata response does not mention it",
                           doing, options_.brokers)};
}

common::Result<TopicDescription> TopicAdmin::DescribeUntil(const std::string& topic,
                                                           Deadline deadline) {
  common::Result<TopicDescription> found = LookupUntil(topic, deadline);
  if (!found || !found->exists) return found;
  common::Result<std::optional<std::string>> policy = CleanupPolicyUntil(topic, deadline);
  if (!policy) return policy.error();
  if (!policy->has_value()) {
    // The broker that answered DescribeConfigs does not know the topic (not yet, or no longer).
    return TopicDescription{.name = topic, .exists = false, .partitions = 0, .cleanup_policy = {}};
  }
  found->cleanup_policy = **std::move(policy);
  return found;
}

common::Result<std::optional<std::string>> TopicAdmin::CleanupPolicyUntil(const std::string& topic,
                                                                          Deadline deadline) {
  const std::string doing = fmt::format("reading the configs of topic {}", topic);
  common::Result<KafkaAdminOptions> options =
      AdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, deadline);
  if (!options) return options.error();
  KafkaConfigResource resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  KafkaQueue queue(rd_kafka_queue_new(client_.get()));
  std::array<rd_kafka_ConfigResource_t*, 1> resources = {resource.get()};
  rd_kafka_DescribeConfigs(client_.get(), resources.data(), resources.size(), options->get(),
                           queue.get());
  common::Result<KafkaEvent> answer = AwaitAnswer(queue.get(), doing, deadline);
  if (!answer) return answer.error();
  const KafkaEvent event = *std::move(answer);
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return BrokerError(doing, rd_kafka_event_error(event.get()),
                       rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  std::size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      result != nullptr ? rd_kafka_DescribeConfigs_result_resources(result, &count) : nullptr;
  if (count != 1) {
    return Error{ErrorCode::kInternal,
                 fmt::format("kafka admin: {} on {}: {} resources in the answer, not 1", doing,
                             options_.brokers, count)};
  }
  if (rd_kafka_ConfigResource_error(described[0]) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return std::optional<std::string>();
  }
  if (rd_kafka_ConfigResource_error(described[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return BrokerError(doing, rd_kafka_ConfigResource_error(described[0]),
                       rd_kafka_ConfigResource_error_string(described[0]));
  }
  std::size_t config_count = 0;
  const rd_kafka_ConfigEntry_t** configs =
      rd_kafka_ConfigResource_configs(described[0], &config_count);
  for (std::size_t i = 0; i < config_count; ++i) {
    const char* name = rd_kafka_ConfigEntry_name(configs[i]);
    const char* value = rd_kafka_ConfigEntry_value(configs[i]);
    if (name != nullptr && std::string_view(name) == "cleanup.policy" && value != nullptr) {
      return std::optional<std::string>(value);
    }
  }
  return Error{ErrorCode::kIo, fmt::format("kafka admin: {} on {}: no cleanup.policy among them",
                                           doing, options_.brokers)};
}

common::Status TopicAdmin::CreateUntil(const TopicSpec& spec, Deadline deadline) {
  const std::string doing = fmt::format("creating topic {} with {} partition{}", spec.name,
                                        spec.partitions, spec.partitions == 1 ? "" : "s");
  std::array<char, 512> reason{};
  KafkaNewTopic new_topic(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                -1,  // the broker's default.replication.factor
                                                reason.data(), reason.size()));
  if (new_topic == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("kafka admin: {}: {}", doing, reason.data())};
  }
  for (const auto& [name, value] : spec.configs) {
    if (rd_kafka_NewTopic_set_config(new_topic.get(), name.c_str(), value.c_str()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("kafka admin: {}: config {}={} refused", doing, name, value)};
    }
  }
  common::Result<KafkaAdminOptions> options =
      AdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, deadline);
  if (!options) return options.error();
  KafkaQueue queue(rd_kafka_queue_new(client_.get()));
  std::array<rd_kafka_NewTopic_t*, 1> topics = {new_topic.get()};
  rd_kafka_CreateTopics(client_.get(), topics.data(), topics.size(), options->get(), queue.get());
  common::Result<KafkaEvent> answer = AwaitAnswer(queue.get(), doing, deadline);
  if (!answer) return answer.error();
  const KafkaEvent event = *std::move(answer);
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return BrokerError(doing, rd_kafka_event_error(event.get()),
                       rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      result != nullptr ? rd_kafka_CreateTopics_result_topics(result, &count) : nullptr;
  if (count != 1) {
    return Error{ErrorCode::kInternal,
                 fmt::format("kafka admin: {} on {}: {} topics in the answer, not 1", doing,
                             options_.brokers, count)};
  }
  const rd_kafka_resp_err_t error = rd_kafka_topic_result_error(results[0]);
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::info("kafka admin: created topic {} on {} ({} partition{})", spec.name,
                 options_.brokers, spec.partitions, spec.partitions == 1 ? "" : "s");
    return common::Ok();
  }
  if (error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return common::Ok();  // a concurrent creator
  return BrokerError(doing, error, rd_kafka_topic_result_error_string(results[0]));
}

common::Error TopicAdmin::BrokerError(const std::string& doing, rd_kafka_resp_err_t error,
                                      const char* detail) const {
  // librdkafka's own words for this failure when it gave some, else the code's description.
  const std::string description =
      detail != nullptr && *detail != '\0' ? detail : rd_kafka_err2str(error);
  return Error{ErrorCode::kIo,
               fmt::format("kafka admin: {} on {}: {} ({})", doing, options_.brokers,
                           rd_kafka_err2name(error), description)};
}

}  // namespace trailsight::kafka
