#pragma once

#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "consumers/source_streams.h"  // SourcePartition

namespace trailsight::app {

// Prepares the brokers of config.kafka.brokers for `trailsight run`, for clusters that do not
// create topics on first use (auto.create.topics.enable=false, as on Amazon MSK and Confluent
// Cloud):
//   1. checks that every input topic (config.kafka.topics) exists; the service never creates
//      its input;
//   2. creates each absent output topic: kafka.insights_topic, kafka.alerts_topic and, unless it
//      is empty, kafka.dead_letter_topic, with 1 partition, cleanup.policy=delete and the
//      broker's default replication factor. An existing output topic is kept as it is (any
//      partition count); one whose cleanup.policy compacts is logged as a warning, because
//      compaction removes a Start once its End, under the same key, is written.
//   3. unless the input is declared keyed by account and region
//      (kafka.input_keyed_by_account_region), creates the repartition topic
//      (kafka.repartition_topic) if absent, with cleanup.policy=delete and as many partitions
//      as the largest input topic; an existing one keeps its partition count. The keyed
//      topic, whose partitions hold the state, is then the repartition topic, else the input.
//   4. creates the state changelog (kafka.changelog_topic) if absent, with
//      cleanup.policy=compact and as many partitions as the keyed topic (its partition n holds
//      the state of keyed partition n). An existing one is refused unless its cleanup.policy is
//      exactly "compact" (deletion would lose state) and it has at least that many partitions.
//      The global table (kafka.global_topic) likewise, with one partition.
// Uses config.kafka.properties (security.protocol, SASL, ...) like the service's other clients.
// Needs the ACLs of docs/operations.md: Describe on the input topics; Describe, DescribeConfigs
// and, for absent ones, Create on the output topics. Blocks for at most 30 s per topic.
// Fails at the first problem, naming the topic: "input topic cloudtrail does not exist on
// b1:9092", or the admin client's error (kafka/topic_admin.h).
struct ServiceTopics {
  int keyed_partitions = 0;                        // the keyed topic's partition count
  std::vector<consumers::SourcePartition> inputs;  // every partition of the input topics
};
common::Result<ServiceTopics> EnsureServiceTopics(const config::Config& config);

}  // namespace trailsight::app
