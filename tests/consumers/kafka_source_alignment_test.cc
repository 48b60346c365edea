// KafkaSource on several partitions of librdkafka's mock cluster: partitions read in step by
// event time, paused and resumed, and the keying it checks when the input is declared keyed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "consumers/kafka_source.h"
#include "tests/consumers/kafka_source_fixture.h"

namespace trailsight::consumers {
namespace {

// Records whose eventTime is `day` (YYYY-MM-DD) at second `second` of its first hour.
std::string RecordOn(std::string_view name, std::string_view day, int second) {
  return MakeRecord(name, fmt::format("{}T00:{:02}:{:02}Z", day, second / 60, second % 60));
}

TEST_F(KafkaSourceTest, ARecordsPartitionReadLaterIsHandedOverBeforeThoseAheadOfIt) {
  // The others' records are read while partition 1 is still empty; its records, two days
  // older, are produced only then. They are handed over first: nothing is made late by a
  // partition that was merely read sooner.
  const std::string topic = "cloudtrail-lagging-partition";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  for (int i = 0; i < 20; ++i) producer.Send(topic, 0, RecordOn("Ahead", "2024-01-04", i));
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  options.alignment.idle_timeout = std::chrono::seconds(10);
  auto source = Source(options);
  ASSERT_TRUE(kafka_test::PollUntil(*source, receiver_, [&] {
    return source->counters().messages == 20;  // read, not handed over
  }));
  EXPECT_TRUE(receiver_.events.empty()) << "partition 1 has no time yet: it holds the others";

  for (int i = 0; i < 20; ++i) producer.Send(topic, 1, RecordOn("Behind", "2024-01-02", i));
  producer.Flush();
  ASSERT_TRUE(Consume(*source, 40));

  const std::vector<std::string> names = ReceivedNames();
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 20),
            std::vector<std::string>(20, "Behind"));
  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{topic, 0, 20}, {topic, 1, 20}}));
}

TEST_F(KafkaSourceTest, AnEmptyPartitionStopsHoldingTheOthersOnceIdle) {
  const std::string topic = "cloudtrail-empty-partition";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  for (int i = 0; i < 5; ++i) producer.Send(topic, 0, RecordOn("Only", "2024-01-02", i));
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  options.alignment.idle_timeout = std::chrono::seconds(2);
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 5));
  EXPECT_TRUE(kafka_test::PollUntil(*source, receiver_, [&] { return source->CaughtUp(); }));
}

TEST_F(KafkaSourceTest, APausedPartitionLosesAndRepeatsNothing) {
  // Partition 0 is a day ahead, so it fills its buffer and is paused (librdkafka drops what
  // it had fetched for it and fetches again from the position on resume) until partition 1
  // has caught up; every record still arrives exactly once, partition 1's first.
  const std::string topic = "cloudtrail-paused-partition";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  constexpr int kEach = 300;
  for (int i = 0; i < kEach; ++i) {
    producer.Send(topic, 0, RecordOn(fmt::format("Ahead{}", i), "2024-01-03", i % 3600));
    producer.Send(topic, 1, RecordOn(fmt::format("Behind{}", i), "2024-01-02", i % 3600));
  }
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  options.alignment.idle_timeout = std::chrono::seconds(2);
  options.alignment.pause_above = 16;
  options.properties["fetch.message.max.bytes"] = "4000";  // a few records a fetch
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 2 * kEach));
  source->Poll(receiver_, std::chrono::milliseconds(300));

  const std::vector<std::string> names = ReceivedNames();
  ASSERT_EQ(names.size(), 2u * kEach);
  std::vector<std::string> expected;
  for (int i = 0; i < kEach; ++i) expected.push_back(fmt::format("Behind{}", i));
  for (int i = 0; i < kEach; ++i) expected.push_back(fmt::format("Ahead{}", i));
  EXPECT_EQ(names, expected);
  EXPECT_GT(source->counters().pauses, 0u);
}

TEST_F(KafkaSourceTest, ARecordOffItsAccountAndRegionsPartitionIsCountedWhenKeyingIsDeclared) {
  // us-east-1 of the account comes from both partitions: whichever partition brings it
  // first, the other's two records are off it. eu-west-1 keeps to partition 1.
  const std::string topic = "cloudtrail-keyed";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  std::string elsewhere = MakeRecord("RunInstances");
  elsewhere.replace(elsewhere.find("us-east-1"), 9, "eu-west-1");
  for (int i = 0; i < 2; ++i) {
    producer.Send(topic, 0, MakeRecord("RunInstances"));
    producer.Send(topic, 1, MakeRecord("RunInstances"));
    producer.Send(topic, 1, elsewhere);
  }
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  options.keyed_by_account_region = true;
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 6));

  EXPECT_EQ(source->counters().misrouted, 2u);
}

TEST_F(KafkaSourceTest, KeyingIsNotCheckedUnlessDeclared) {
  const std::string topic = "cloudtrail-unkeyed";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  producer.Send(topic, 0, MakeRecord("RunInstances"));
  producer.Send(topic, 1, MakeRecord("RunInstances"));
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 2));

  EXPECT_EQ(source->counters().misrouted, 0u);
}

}  // namespace
}  // namespace trailsight::consumers
