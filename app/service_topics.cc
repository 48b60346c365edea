#include "app/service_topics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "kafka/topic_admin.h"

namespace trailsight::app {
namespace {

constexpr std::chrono::seconds kAdminTimeout{30};  // per topic: lookup, create, describe

}  // namespace

common::Result<ServiceTopics> EnsureServiceTopics(const config::Config& config) {
  common::Result<std::unique_ptr<kafka::TopicAdmin>> admin =
      kafka::TopicAdmin::Create({.brokers = config.kafka.brokers,
                                 .properties = config.kafka.properties,
                                 .timeout = kAdminTimeout});
  if (!admin) return admin.error();

  int input_partitions = 0;
  ServiceTopics topics;
  for (const std::string& topic : config.kafka.topics) {
    common::Result<kafka::TopicDescription> input = (*admin)->Lookup(topic);
    if (!input) return input.error();
    if (!input->exists) {
      return common::Error{
          common::ErrorCode::kInvalidConfig,
          fmt::format("input topic {} does not exist on {}", topic, config.kafka.brokers)};
    }
    input_partitions = std::max(input_partitions, input->partitions);
    for (int partition = 0; partition < input->partitions; ++partition) {
      topics.inputs.push_back({topic, partition});
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
  int keyed_partitions = input_partitions;
  if (!config.kafka.input_keyed_by_account_region) {
    common::Result<kafka::TopicDescription> repartition =
        (*admin)->Ensure({.name = config.kafka.repartition_topic,
                          .partitions = input_partitions,
                          .configs = {{"cleanup.policy", "delete"}}});
    if (!repartition) return repartition.error();
    keyed_partitions = repartition->partitions;
    spdlog::info("kafka: repartition topic {} is ready (partitions: {})",
                 config.kafka.repartition_topic, keyed_partitions);
  }
  {
    const std::string& topic = config.kafka.changelog_topic;
    common::Result<kafka::TopicDescription> changelog =
        (*admin)->Ensure({.name = topic,
                          .partitions = keyed_partitions,
                          .configs = {{"cleanup.policy", "compact"}}});
    if (!changelog) return changelog.error();
    if (changelog->cleanup_policy != "compact") {
      return common::Error{
          common::ErrorCode::kInvalidConfig,
          fmt::format("state changelog topic {} has cleanup.policy={}; it must be exactly "
                      "\"compact\" (deleting old records would lose state)",
                      topic, changelog->cleanup_policy)};
    }
    if (changelog->partitions < keyed_partitions) {
      return common::Error{
          common::ErrorCode::kInvalidConfig,
          fmt::format("state changelog topic {} has {} partitions, fewer than the {} of the {}: "
                      "its partition n holds the state of that topic's partition n",
                      topic, changelog->partitions, keyed_partitions,
                      config.kafka.input_keyed_by_account_region
                          ? "input"
                          : "repartition topic " + config.kafka.repartition_topic)};
    }
    spdlog::info("kafka: state changelog {} is ready (partitions: {})", topic,
                 changelog->partitions);
    common::Result<kafka::TopicDescription> global =
        (*admin)->Ensure({.name = config.kafka.global_topic,
                          .partitions = 1,
                          .configs = {{"cleanup.policy", "compact"}}});
    if (!global) return global.error();
    if (global->cleanup_policy != "compact") {
      return common::Error{
          common::ErrorCode::kInvalidConfig,
          fmt::format("global table topic {} has cleanup.policy={}; it must be exactly \"compact\"",
                      config.kafka.global_topic, global->cleanup_policy)};
    }
  }
  topics.keyed_partitions = keyed_partitions;
  return topics;
}

}  // namespace trailsight::app
