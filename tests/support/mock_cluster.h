#pragma once

// librdkafka's mock cluster for unit tests: no broker, and errors on demand.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <cstdint>
#include <string>

#include "kafka/handles.h"

namespace trailsight::test_support {

constexpr std::int16_t kOffsetCommitApiKey = 8;  // RD_KAFKAP_OffsetCommit (not in public headers)
constexpr std::int32_t kBrokerId = 1;

// A one-broker mock cluster, hosted by a producer handle that talks to nothing else.
class MockCluster {
 public:
  MockCluster() {
    kafka::KafkaConf conf(rd_kafka_conf_new());
    std::array<char, 512> reason{};
    EXPECT_EQ(rd_kafka_conf_set(conf.get(), "log_level", "0", reason.data(), reason.size()),
              RD_KAFKA_CONF_OK);
    host_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), reason.data(), reason.size()));
    cluster_ = rd_kafka_mock_cluster_new(host_.get(), 1);
  }
  ~MockCluster() { rd_kafka_mock_cluster_destroy(cluster_); }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string brokers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  rd_kafka_mock_cluster_t* get() const { return cluster_; }
  void CreateTopic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  kafka::KafkaHandle host_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace trailsight::test_support
