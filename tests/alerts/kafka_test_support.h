#pragma once

// Test support for the Kafka publisher: findings to publish, and a plain librdkafka consumer
// that reads a topic back. Used by the unit tests (librdkafka's mock cluster) and by the
// integration test (a real broker).

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/finding.h"
#include "tests/alerts/fixture_finding.h"

namespace trailsight::alerts::test_support {

struct TestKafkaDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using TestKafka = std::unique_ptr<rd_kafka_t, TestKafkaDeleter>;
using TestConf = std::unique_ptr<rd_kafka_conf_t, TestKafkaDeleter>;
using TestMessage = std::unique_ptr<rd_kafka_message_t, TestKafkaDeleter>;
using TestPartitions = std::unique_ptr<rd_kafka_topic_partition_list_t, TestKafkaDeleter>;

// A call-rate finding for API number `api` (of account 1111111111NN in eu-west-1); the
// episode starts at minute `episode` of 2024-12-11. Start and End of one (api, episode)
// share the key and the sharedEventID.
inline common::Finding MakeFinding(int api, int episode, common::InsightState state) {
  common::Finding finding;
  finding.key = MakeKey(common::InsightType::kApiCallRate, fmt::format("1111111111{:02}", api % 4),
                        "eu-west-1", "ec2.amazonaws.com", fmt::format("TerminateInstances{}", api));
  finding.state = state;
  finding.start = ParseMinute("2024-12-11T00:00:00Z") + std::chrono::minutes{episode * 10};
  finding.event_time = state == common::InsightState::kStart
                           ? finding.start
                           : finding.start + std::chrono::minutes{3};
  finding.baseline_average = 0.5;
  finding.insight_average = 12.0 + api;
  finding.insight_duration_minutes = state == common::InsightState::kStart ? 1 : 3;
  finding.baseline_duration_minutes = 10080;
  return finding;
}

// The findings of `apis` APIs with `episodes` insights each, in the order a detector would
// publish them: Start(api 0, episode 0), Start(api 1, episode 0)..., then their Ends, then
// the next episode. 2 * apis * episodes findings.
inline std::vector<common::Finding> MakeFindings(int apis, int episodes) {
  std::vector<common::Finding> findings;
  for (int episode = 0; episode < episodes; ++episode) {
    for (auto state : {common::InsightState::kStart, common::InsightState::kEnd}) {
      for (int api = 0; api < apis; ++api) findings.push_back(MakeFinding(api, episode, state));
    }
  }
  return findings;
}

// One record as a consumer sees it.
struct ConsumedRecord {
  std::string key;
  std::string value;
  std::string event_id;  // header trailsight.eventID
  std::string state;     // header trailsight.state
  int partition = 0;
  long long offset = 0;
};

inline std::string HeaderValue(const rd_kafka_message_t& message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "";
  }
  return std::string(static_cast<const char*>(value), size);
}

// Reads partitions 0..partitions-1 of `topic` from the beginning until every partition is at
// its end and at least `min_records` records (or `timeout`) have been read. Records come in
// offset order within each partition.
inline std::vector<ConsumedRecord> ReadTopic(const std::string& brokers, const std::string& topic,
                                             int partitions, std::size_t min_records,
                                             std::chrono::milliseconds timeout) {
  std::array<char, 512> why{};
  TestConf conf(rd_kafka_conf_new());
  for (const auto& [name, value] :
       {std::pair<const char*, std::string>{"bootstrap.servers", brokers},
        {"group.id", "trailsight-publisher-test-reader"},
        {"enable.auto.commit", "false"},
        {"enable.partition.eof", "true"}}) {
    if (rd_kafka_conf_set(conf.get(), name, value.c_str(), why.data(), why.size()) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << why.data();
      return {};
    }
  }
  TestKafka consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), why.data(), why.size()));
  if (consumer == nullptr) {
    ADD_FAILURE() << why.data();
    return {};
  }
  conf.release();
  rd_kafka_poll_set_consumer(consumer.get());
  TestPartitions assignment(rd_kafka_topic_partition_list_new(partitions));
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(consumer.get(), assignment.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<ConsumedRecord> records;
  std::set<int> at_end;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline &&
         (records.size() < min_records || static_cast<int>(at_end.size()) < partitions)) {
    TestMessage message(rd_kafka_consumer_poll(consumer.get(), 100));
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // transient: keep reading
    at_end.erase(message->partition);
    records.push_back({std::string(static_cast<const char*>(message->key), message->key_len),
                       std::string(static_cast<const char*>(message->payload), message->len),
                       HeaderValue(*message, "trailsight.eventID"),
                       HeaderValue(*message, "trailsight.state"), message->partition,
                       static_cast<long long>(message->offset)});
  }
  rd_kafka_consumer_close(consumer.get());
  return records;
}

}  // namespace trailsight::alerts::test_support
