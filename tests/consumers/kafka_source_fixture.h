#pragma once

// The KafkaSource tests' fixture: a mock cluster with an input topic and a dead-letter topic,
// a source on it and what it handed over.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "consumers/kafka_source.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"
#include "tests/support/mock_cluster.h"

namespace trailsight::consumers {

using kafka_test::Batch;
using kafka_test::Envelope;
using kafka_test::Producer;
using kafka_test::ReadTopic;
using kafka_test::RecordingListener;
using test_support::CollectingDeadLetters;
using test_support::CollectingReceiver;
using test_support::MakeRecord;
using test_support::Names;

using trailsight::test_support::kBrokerId;
using trailsight::test_support::kOffsetCommitApiKey;
using trailsight::test_support::MockCluster;

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.CreateTopic(kTopic, 1);
    cluster_.CreateTopic(kDeadLetters, 1);
  }

  KafkaSourceOptions Options() const {
    KafkaSourceOptions options;
    options.brokers = cluster_.brokers();
    options.group_id = "trailsight-test";
    options.topics = {kTopic};
    options.dead_letter_topic = kDeadLetters;
    options.properties = {{"session.timeout.ms", "6000"},
                          {"heartbeat.interval.ms", "500"},
                          {"socket.timeout.ms", "3000"}};
    options.commit_timeout = std::chrono::seconds(3);
    return options;
  }

  std::unique_ptr<KafkaSource> Source(const KafkaSourceOptions& options) {
    auto source = KafkaSource::Create(options, interner_, dead_letters_, listener_);
    EXPECT_TRUE(source.has_value()) << source.error().message;
    return source ? *std::move(source) : nullptr;
  }

  // Polls until `records` records and `letters` dead letters have arrived.
  bool Consume(KafkaSource& source, std::size_t records, std::size_t letters = 0) {
    return kafka_test::PollUntil(source, receiver_, [&] {
      return receiver_.events.size() >= records && dead_letters_.letters.size() >= letters;
    });
  }

  std::vector<std::string> ReceivedNames() const { return Names(receiver_.events, interner_); }

  // Consumes 5 records and commits them (as the app does after a snapshot), keeps polling
  // while the broker is down for `outage`, brings it back, produces 5 more and checks that
  // exactly those arrive next: nothing lost, nothing read twice.
  void ConsumeAcrossOutage(std::chrono::milliseconds outage) {
    Producer producer(cluster_.brokers());
    for (int i = 0; i < 5; ++i) producer.Send(kTopic, 0, MakeRecord("Before"));
    producer.Flush();
    auto source = Source(Options());
    ASSERT_TRUE(Consume(*source, 5));
    ASSERT_TRUE(source->Commit(source->Positions()).ok());

    ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId), RD_KAFKA_RESP_ERR_NO_ERROR);
    const auto up_at = std::chrono::steady_clock::now() + outage;
    while (std::chrono::steady_clock::now() < up_at) {
      source->Poll(receiver_, std::chrono::milliseconds(100));
    }
    ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_.get(), kBrokerId), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int i = 0; i < 5; ++i) producer.Send(kTopic, 0, MakeRecord("After"));
    producer.Flush();

    ASSERT_TRUE(Consume(*source, 10));
    source->Poll(receiver_, std::chrono::milliseconds(200));
    EXPECT_EQ(ReceivedNames(),
              (std::vector<std::string>{"Before", "Before", "Before", "Before", "Before", "After",
                                        "After", "After", "After", "After"}));
    EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{kTopic, 0, 10}}));
    broker_errors_ = source->counters().broker_errors;
  }

  const std::string kTopic = "cloudtrail";
  const std::string kDeadLetters = "cloudtrail-dead-letters";
  MockCluster cluster_;
  common::StringInterner interner_;
  CollectingDeadLetters dead_letters_;
  CollectingReceiver receiver_;
  RecordingListener listener_;
  std::uint64_t broker_errors_ = 0;
};

}  // namespace trailsight::consumers
