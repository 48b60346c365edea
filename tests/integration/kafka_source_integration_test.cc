// KafkaSource against a real broker (scripts/kafka start; KAFKA_BROKERS=127.0.0.1:19092):
// the three message forms over three partitions, dead letters on their topic, resuming from
// committed offsets, and a rebalance when a second member joins.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "consumers/kafka_source.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using namespace std::chrono_literals;
using kafka_test::Batch;
using kafka_test::Envelope;
using kafka_test::Producer;
using kafka_test::RecordingListener;
using test_support::CollectingDeadLetters;
using test_support::CollectingReceiver;
using test_support::MakeRecord;

constexpr std::int32_t kPartitions = 3;

class KafkaSourceIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* brokers = std::getenv("KAFKA_BROKERS");
    ASSERT_NE(brokers, nullptr)
        << "KAFKA_BROKERS is not set: start a broker with scripts/kafka start and set "
           "KAFKA_BROKERS to the address it prints (integration tests fail rather than skip)";
    brokers_ = brokers;
    topic_ = kafka_test::UniqueName("trailsight-it");
    dead_letter_topic_ = topic_ + "-dead-letters";
    group_ = topic_ + "-group";
    kafka_test::CreateTopic(brokers_, topic_, kPartitions);
    kafka_test::CreateTopic(brokers_, dead_letter_topic_, 1);
  }

  void TearDown() override {
    if (!brokers_.empty()) kafka_test::DeleteTopics(brokers_, {topic_, dead_letter_topic_});
  }

  KafkaSourceOptions Options() const {
    KafkaSourceOptions options;
    options.brokers = brokers_;
    options.group_id = group_;
    options.topics = {topic_};
    options.dead_letter_topic = dead_letter_topic_;
    options.max_record_bytes = 64u << 10;
    options.dead_letter_max_payload = 1024;
    return options;
  }

  std::unique_ptr<KafkaSource> Source(RecordingListener& listener) {
    auto source = KafkaSource::Create(Options(), interner_, dead_letters_, listener);
    EXPECT_TRUE(source.has_value()) << source.error().message;
    return source ? *std::move(source) : nullptr;
  }

  std::set<std::string> ReceivedNames(const CollectingReceiver& receiver) const {
    std::set<std::string> names;
    for (const common::Event& event : receiver.events) {
      names.emplace(interner_.Resolve(event.name));
    }
    return names;
  }

  std::string brokers_, topic_, dead_letter_topic_, group_;
  common::StringInterner interner_;
  CollectingDeadLetters dead_letters_;
};

TEST_F(KafkaSourceIntegrationTest, ConsumesAllFormsDeadLettersTheBadAndResumesFromTheCommit) {
  // 500 records in singles, batches of 1 to 4 and envelopes, round-robin over the partitions.
  Producer producer(brokers_);
  std::set<std::string> expected;
  std::map<std::int32_t, std::int64_t> messages_per_partition;
  int next_record = 0;
  auto send = [&](std::string_view payload) {
    const std::int32_t partition = static_cast<std::int32_t>(
        (messages_per_partition[0] + messages_per_partition[1] + messages_per_partition[2]) %
        kPartitions);
    producer.Send(topic_, partition, payload);
    ++messages_per_partition[partition];
  };
  auto record = [&] {
    std::string name = "Call" + std::to_string(next_record++);
    expected.insert(name);
    return MakeRecord(name);
  };
  for (int message = 0; next_record < 500; ++message) {
    switch (message % 3) {
      case 0:
        send(record());
        break;
      case 1: {
        std::vector<std::string> records;
        for (int i = 0; i < 1 + message % 4 && next_record < 500; ++i) records.push_back(record());
        send(Batch(records));
        break;
      }
      default:
        send(Envelope(record()));
        break;
    }
    if (message % 60 == 0 && message / 60 < 5) {  // five bad messages spread through the stream
      switch (message / 60) {
        case 0:
          send("not JSON at all");
          break;
        case 1:
          send("[1,2,3]");
          break;
        case 2:
          send(Envelope(R"({"state":"running"})", "EC2 Instance State-change Notification"));
          break;
        case 3:
          send(MakeRecord("Forged", "2999-01-01T00:00:00Z"));
          break;
        default:
          send(std::string(100u << 10, '{'));
          break;
      }
    }
  }
  producer.Flush();
  const std::int64_t total_messages =
      messages_per_partition[0] + messages_per_partition[1] + messages_per_partition[2];
  RecordingListener listener;
  auto source = Source(listener);
  CollectingReceiver receiver;

  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(kafka_test::PollUntil(
      *source, receiver,
      [&] { return source->counters().messages == static_cast<std::uint64_t>(total_messages); },
      120s))
      << source->counters().messages << " of " << total_messages;
  const auto took = std::chrono::steady_clock::now() - start;
  std::cout << "consumed " << total_messages << " messages in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms (including the group join)\n";

  EXPECT_EQ(receiver.events.size(), 500u);
  EXPECT_EQ(ReceivedNames(receiver), expected);
  EXPECT_EQ(source->counters().records, 500u);
  EXPECT_EQ(source->counters().malformed, 4u);
  EXPECT_EQ(source->counters().future_dated, 1u);
  EXPECT_EQ(source->counters().dead_lettered, 5u);
  EXPECT_EQ(dead_letters_.letters.size(), 5u);
  std::vector<PartitionOffset> positions = source->Positions();
  std::sort(
      positions.begin(), positions.end(),
      [](const PartitionOffset& a, const PartitionOffset& b) { return a.partition < b.partition; });
  ASSERT_EQ(positions.size(), 3u);
  for (const PartitionOffset& position : positions) {
    EXPECT_EQ(position.offset, messages_per_partition[position.partition]) << position.partition;
  }
  ASSERT_TRUE(kafka_test::PollUntil(
      *source, receiver, [&] { return source->Lag() == 0; }, 10s));
  // Metadata goes with an offset (a repartition partition's handed-over table).
  positions[0].metadata = "1;cloudtrail:3@2";
  const common::Status committed = source->Commit(positions);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  source->Close();

  const std::vector<kafka_test::ReceivedMessage> letters =
      kafka_test::ReadTopic(brokers_, dead_letter_topic_, 5);
  ASSERT_EQ(letters.size(), 5u);
  std::set<std::string> reasons;
  for (const kafka_test::ReceivedMessage& letter : letters) {
    EXPECT_EQ(letter.headers.at("trailsight.source.topic"), topic_);
    const int partition = std::stoi(letter.headers.at("trailsight.source.partition"));
    EXPECT_GE(partition, 0);
    EXPECT_LT(partition, kPartitions);
    EXPECT_LT(std::stoll(letter.headers.at("trailsight.source.offset")),
              messages_per_partition[partition]);
    EXPECT_LE(letter.payload.size(), 1024u);
    reasons.insert(letter.headers.at("trailsight.reason"));
  }
  EXPECT_EQ(reasons.size(), 5u);
  EXPECT_EQ(std::count_if(letters.begin(), letters.end(),
                          [](const kafka_test::ReceivedMessage& letter) {
                            return letter.headers.at("trailsight.source.bytes") ==
                                   std::to_string(100u << 10);
                          }),
            1);

  // A second member of the group starts where the first committed.
  for (int i = 0; i < 30; ++i) producer.Send(topic_, i % kPartitions, MakeRecord("Later"));
  producer.Flush();
  RecordingListener second_listener;
  auto second = Source(second_listener);
  CollectingReceiver second_receiver;
  ASSERT_TRUE(kafka_test::PollUntil(
      *second, second_receiver, [&] { return second_receiver.events.size() >= 30; }, 60s));
  second->Poll(second_receiver, 1s);
  EXPECT_EQ(second_receiver.events.size(), 30u);
  const common::Result<std::vector<PartitionOffset>> group =
      second->Committed({{topic_, positions[0].partition, kUnknownOffset}});
  ASSERT_TRUE(group.has_value()) << group.error().message;
  ASSERT_EQ(group->size(), 1u);
  EXPECT_EQ((*group)[0].offset, positions[0].offset);
  EXPECT_EQ((*group)[0].metadata, "1;cloudtrail:3@2");
  EXPECT_EQ(ReceivedNames(second_receiver), std::set<std::string>{"Later"});
}

TEST_F(KafkaSourceIntegrationTest, ASecondMemberJoiningRevokesAndReassignsTheFirst) {
  Producer producer(brokers_);
  for (int i = 0; i < 30; ++i) producer.Send(topic_, i % kPartitions, MakeRecord("RunInstances"));
  producer.Flush();
  RecordingListener first_listener;
  auto first = Source(first_listener);
  common::Status commit_on_revoke;
  first_listener.on_revoke = [&](const std::vector<PartitionOffset>& partitions) {
    std::vector<PartitionOffset> known;
    for (const PartitionOffset& partition : partitions) {
      if (partition.offset >= 0) known.push_back(partition);
    }
    commit_on_revoke = first->Commit(known);
  };
  CollectingReceiver first_receiver;
  ASSERT_TRUE(kafka_test::PollUntil(
      *first, first_receiver, [&] { return first_receiver.events.size() == 30; }, 60s));
  ASSERT_EQ(first_listener.assigned.size(), 1u);
  EXPECT_EQ(first_listener.assigned[0].size(), 3u);

  RecordingListener second_listener;
  auto second = Source(second_listener);
  CollectingReceiver second_receiver;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while ((first_listener.assigned.size() < 2 || second_listener.assigned.empty()) &&
         std::chrono::steady_clock::now() < deadline) {
    first->Poll(first_receiver, 100ms);
    second->Poll(second_receiver, 100ms);
  }

  ASSERT_EQ(first_listener.revoked.size(), 1u);
  EXPECT_EQ(first_listener.revoked[0].size(), 3u);
  EXPECT_TRUE(commit_on_revoke.ok()) << commit_on_revoke.error().message;
  ASSERT_EQ(first_listener.assigned.size(), 2u);
  ASSERT_EQ(second_listener.assigned.size(), 1u);
  std::set<std::int32_t> partitions;
  for (const auto& assigned : {first_listener.assigned[1], second_listener.assigned[0]}) {
    for (const PartitionOffset& partition : assigned) partitions.insert(partition.partition);
  }
  EXPECT_EQ(partitions, (std::set<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(first_listener.assigned[1].size() + second_listener.assigned[0].size(), 3u);
  // The revoke committed everything, so the second member reads nothing again.
  second->Poll(second_receiver, 1s);
  EXPECT_TRUE(second_receiver.events.empty());
}

}  // namespace
}  // namespace trailsight::consumers
