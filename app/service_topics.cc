#include "app/service_topics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <vector>

#include "kafka/topic_admin.h"

namespace trailsight::app {
namespace {

constexpr std::chrono::seconds kAdminTimeout{30};  // per topic: lookup, create, describe

}  // namespace

common::Status EnsureServiceTopics(const config::Config& config) {
  common::Result<std::unique_ptr<kafka::TopicAdmin>> admin =
      kafka::TopicAdmin::Create({.brokers = config.kafka.brokers,
                                 .properties = config.kafka.properties,
                                 .timeout = kAdminTimeout});
  if (!admin) return admin.error();

  for (const std::string& topic : config.kafka.topics) {
    common::Result<kafka::TopicDescription> input = (*admin)->Lookup(topic);
    if (!input) return input.error();
    if (!input->exists) {
      return common::Error{
          common::ErrorCode::kInvalidConfig,
          fmt::format("input topic {} does not exist on {}", topic, config.kafka.brokers)};
    }
  }

  std::vector<std::string> outputs = {config.kafka.insights_topic, config.kafka.alerts_topic};
  if (!config.kafka.dead_letter_topic.empty()) outputs.push_back(config.kafka.dead_letter_topic);
  for (const std::string& topic : outputs) {
    common::Result<kafka::TopicDescription> output = (*admin)->Ensure(
        {.name = topic, .partitions = 1, .configs = {{"cleanup.policy", "delete"}}});
    if (!output) return output.error();
    spdlog::info("kafka: output topic {} is ready (partitions: {}, cleanup.policy: {})", topic,
                 output->partitions, output->cleanup_policy);
    if (output->cleanup_policy.find("compact") != std::string::npos) {
      spdlog::warn(
          "kafka: output topic {} has cleanup.policy={}: compaction keeps only the newest record "
          "per key and so drops records the service published (an insight's Start, once its End "
          "is written)",
          topic, output->cleanup_policy);
    }
  }
  return common::Ok();
}

}  // namespace trailsight::app
