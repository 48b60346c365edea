// KafkaSource against librdkafka's mock cluster: no broker needed, and error paths a real
// broker cannot easily produce (a failed OffsetCommit, a broker that goes away) on demand.
#include "consumers/kafka_source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/time.h"
#include "kafka/handles.h"
#include "tests/consumers/kafka_source_fixture.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"
#include "tests/support/mock_cluster.h"

namespace trailsight::consumers {
namespace {

TEST_F(KafkaSourceTest, DecodesAllThreeMessageForms) {
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, MakeRecord("Single"));
  producer.Send(kTopic, 0, Batch({MakeRecord("BatchA"), MakeRecord("BatchB")}));
  producer.Send(kTopic, 0, Envelope(MakeRecord("ApiCall")));
  producer.Send(kTopic, 0,
                Envelope(MakeRecord("ConsoleLogin"), "AWS Console Sign In via CloudTrail"));
  producer.Send(kTopic, 0,
                Envelope(MakeRecord("ServiceEvent"), "AWS Service Event via CloudTrail"));
  producer.Flush();
  auto source = Source(Options());

  ASSERT_TRUE(Consume(*source, 6));

  EXPECT_EQ(ReceivedNames(), (std::vector<std::string>{"Single", "BatchA", "BatchB", "ApiCall",
                                                       "ConsoleLogin", "ServiceEvent"}));
  EXPECT_EQ(source->counters().messages, 5u);
  EXPECT_EQ(source->counters().records, 6u);
  EXPECT_EQ(source->counters().dead_lettered, 0u);
  EXPECT_TRUE(dead_letters_.letters.empty());
}

TEST_F(KafkaSourceTest, DeadLettersBadMessagesAndKeepsTheStreamGoing) {
  KafkaSourceOptions options = Options();
  options.max_record_bytes = 2000;
  options.dead_letter_max_payload = 100;
  const std::string oversized = test_support::Cat(R"({"padding":")", std::string(3000, 'x'),
                                                  R"(",)", MakeRecord("Oversized").substr(1));
  const std::string forged = MakeRecord("Forged", "2999-01-01T00:00:00Z");
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, MakeRecord("First"));                                   // offset 0
  producer.Send(kTopic, 0, "this is not JSON");                                    // 1
  producer.Send(kTopic, 0, "[1,2,3]");                                             // 2
  producer.Send(kTopic, 0, oversized);                                             // 3
  producer.Send(kTopic, 0, forged);                                                // 4
  producer.Send(kTopic, 0, Batch({MakeRecord("InBatch"), R"({"eventName":1})"}));  // 5
  producer.Send(kTopic, 0, MakeRecord("Last"));                                    // 6
  producer.Flush();
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 3, 5));
  source->Close();  // flushes the dead-letter topic

  EXPECT_EQ(ReceivedNames(), (std::vector<std::string>{"First", "InBatch", "Last"}));
  ASSERT_EQ(dead_letters_.letters.size(), 5u);
  const std::string source_name = kTopic + "/0";
  EXPECT_EQ(dead_letters_.letters[0].source, source_name);
  EXPECT_EQ(dead_letters_.letters[0].position, "offset 1");
  EXPECT_EQ(dead_letters_.letters[1].position, "offset 2");
  EXPECT_EQ(dead_letters_.letters[2].position, "offset 3");
  EXPECT_EQ(dead_letters_.letters[3].position, "offset 4");
  EXPECT_EQ(dead_letters_.letters[4].position, "offset 5 record 2");
  EXPECT_NE(dead_letters_.letters[0].reason.find("invalid JSON"), std::string::npos);
  EXPECT_NE(dead_letters_.letters[1].reason.find("not a JSON object (found an array)"),
            std::string::npos);
  EXPECT_NE(dead_letters_.letters[2].reason.find("exceeds max_record_bytes (2000)"),
            std::string::npos);
  EXPECT_NE(dead_letters_.letters[3].reason.find(
                "eventTime 2999-01-01T00:00:00Z is more than 900 s ahead of the wall clock"),
            std::string::npos);
  EXPECT_EQ(dead_letters_.letters[4].payload, R"({"eventName":1})");
  EXPECT_EQ(source->counters().malformed, 4u);
  EXPECT_EQ(source->counters().future_dated, 1u);
  EXPECT_EQ(source->counters().dead_lettered, 5u);
  EXPECT_EQ(source->counters().messages, 7u);

  const std::vector<kafka_test::ReceivedMessage> topic =
      ReadTopic(cluster_.brokers(), kDeadLetters, 5);
  ASSERT_EQ(topic.size(), 5u);
  const std::array<std::string, 5> offsets = {"1", "2", "3", "4", "5"};
  for (std::size_t i = 0; i < topic.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& headers = topic[i].headers;
    EXPECT_EQ(headers.at("trailsight.source.topic"), kTopic);
    EXPECT_EQ(headers.at("trailsight.source.partition"), "0");
    EXPECT_EQ(headers.at("trailsight.source.offset"), offsets[i]);
    EXPECT_EQ(headers.at("trailsight.reason"), dead_letters_.letters[i].reason);
    EXPECT_LE(topic[i].payload.size(), 100u);
  }
  EXPECT_EQ(topic[2].payload, oversized.substr(0, 100));  // truncated to fit
  EXPECT_EQ(topic[2].headers.at("trailsight.source.bytes"), std::to_string(oversized.size()));
  EXPECT_EQ(topic[3].payload, forged.substr(0, 100));
  EXPECT_EQ(topic[4].payload, R"({"eventName":1})");  // the bad record, not its whole batch
  EXPECT_EQ(topic[4].headers.at("trailsight.source.record"), "2");
  EXPECT_EQ(topic[0].headers.count("trailsight.source.record"), 0u);
}

TEST_F(KafkaSourceTest, RedactedDeadLettersOnTheTopicCarryNoIdentityKeyOrAddress) {
  KafkaSourceOptions options = Options();
  options.dead_letter_redact = true;
  const std::string record = test_support::MakeRejectedRecordWithSecrets();
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, record);                        // offset 0
  producer.Send(kTopic, 0, "not JSON from 203.0.113.77");  // 1
  producer.Flush();
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 0, 2));
  source->Close();  // flushes the dead-letter topic

  EXPECT_EQ(dead_letters_.letters[0].payload, record);  // the sink redacts for itself
  const std::vector<kafka_test::ReceivedMessage> topic =
      ReadTopic(cluster_.brokers(), kDeadLetters, 2);
  ASSERT_EQ(topic.size(), 2u);
  EXPECT_EQ(topic[0].payload, test_support::kRedactedRecord);
  EXPECT_EQ(topic[1].payload, "");
  for (const kafka_test::ReceivedMessage& letter : topic) {
    EXPECT_EQ(letter.payload.find(test_support::kPlantedAccessKeyId), std::string::npos);
    EXPECT_EQ(letter.payload.find(test_support::kPlantedAddress), std::string::npos);
    EXPECT_EQ(letter.payload.find(test_support::kPlantedUserArn), std::string::npos);
    EXPECT_EQ(letter.headers.at("trailsight.redacted"), "true");
  }
  EXPECT_EQ(topic[0].headers.at("trailsight.reason"), dead_letters_.letters[0].reason);
  EXPECT_EQ(topic[0].headers.at("trailsight.source.offset"), "0");
  EXPECT_EQ(topic[0].headers.at("trailsight.source.bytes"), std::to_string(record.size()));
}

// Go's zero time is a poison pill for the detector: dead-lettered. A future_skew of zero turns
// the upper bound off.
TEST_F(KafkaSourceTest, ARecordBeforeMinEventTimeIsDeadLetteredAndSkewZeroAllowsAnyFuture) {
  KafkaSourceOptions options = Options();
  options.future_skew = std::chrono::seconds(0);
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, MakeRecord("Zero", "0001-01-01T00:00:00Z"));
  producer.Send(kTopic, 0, MakeRecord("Future", "2999-01-01T00:00:00Z"));
  producer.Flush();
  auto source = Source(options);

  ASSERT_TRUE(Consume(*source, 1, 1));

  EXPECT_EQ(ReceivedNames(), std::vector<std::string>{"Future"});
  ASSERT_EQ(dead_letters_.letters.size(), 1u);
  EXPECT_NE(dead_letters_.letters[0].reason.find("eventTime 0001-01-01T00:00:00Z is before "
                                                 "min_event_time 2013-11-01T00:00:00Z"),
            std::string::npos)
      << dead_letters_.letters[0].reason;
  EXPECT_EQ(source->counters().early_dated, 1u);
}

// A receiver that checks, while it is handed a record, that Positions() does not count the
// message the record came from yet.
class PositionCheckingReceiver : public common::EventReceiver {
 public:
  explicit PositionCheckingReceiver(const KafkaSource*& source) : source_(source) {}
  void OnEvent(const common::Event& /*event*/) override {
    for (const PartitionOffset& position : source_->Positions()) {
      EXPECT_LE(position.offset, static_cast<std::int64_t>(events));
    }
    ++events;
  }
  std::size_t events = 0;

 private:
  const KafkaSource*& source_;
};

TEST_F(KafkaSourceTest, PositionsCountOnlyMessagesHandedOver) {
  Producer producer(cluster_.brokers());
  for (int i = 0; i < 10; ++i) producer.Send(kTopic, 0, MakeRecord("RunInstances"));
  producer.Flush();
  auto source = Source(Options());
  const KafkaSource* watched = source.get();
  PositionCheckingReceiver receiver(watched);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (receiver.events < 4 && std::chrono::steady_clock::now() < deadline) {
    source->Poll(receiver, std::chrono::milliseconds(100), 4 - receiver.events);
  }

  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{kTopic, 0, 4}}));
  ASSERT_TRUE(kafka_test::PollUntil(*source, receiver, [&] { return receiver.events == 10; }));
  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{kTopic, 0, 10}}));
  ASSERT_TRUE(kafka_test::PollUntil(*source, receiver, [&] { return source->Lag() == 0; }));
}

TEST_F(KafkaSourceTest, CaughtUpOnlyOnceEveryPartitionIsReadToItsEnd) {
  const std::string topic = "cloudtrail-two-partitions";
  cluster_.CreateTopic(topic, 2);
  Producer producer(cluster_.brokers());
  producer.Send(topic, 0, MakeRecord("First"));
  producer.Send(topic, 0, MakeRecord("Second"));
  producer.Send(topic, 1, MakeRecord("Third"));
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.topics = {topic};
  auto source = Source(options);
  EXPECT_FALSE(source->CaughtUp()) << "nothing assigned yet";

  ASSERT_TRUE(kafka_test::PollUntil(*source, receiver_, [&] { return source->CaughtUp(); }));
  EXPECT_EQ(receiver_.events.size(), 3u);
  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{topic, 0, 2}, {topic, 1, 1}}));

  producer.Send(topic, 1, MakeRecord("Fourth"));
  producer.Flush();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (receiver_.events.size() < 4 && std::chrono::steady_clock::now() < deadline) {
    source->Poll(receiver_, std::chrono::milliseconds(100), 1);  // returns after one message
  }
  ASSERT_EQ(receiver_.events.size(), 4u);
  EXPECT_FALSE(source->CaughtUp()) << "a message was read after partition 1's end";
  ASSERT_TRUE(kafka_test::PollUntil(*source, receiver_, [&] { return source->CaughtUp(); }));
  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{topic, 0, 2}, {topic, 1, 2}}));
}

TEST_F(KafkaSourceTest, FetchingParkedByAFullQueueIsWokenUpAtOnce) {
  // librdkafka 2.0 stops fetching once its queue holds queued.min.messages and, unless woken,
  // looks again a second later. With 20 a queue and a few records a fetch, 600 records park
  // it about 30 times; the
  // source wakes it whenever the queue runs dry while the partition is behind, so a poll
  // seldom comes back empty before the end (unwoken, each park costs about ten).
  constexpr std::size_t kRecords = 600;
  Producer producer(cluster_.brokers());
  for (std::size_t i = 0; i < kRecords; ++i) {
    producer.Send(kTopic, 0, MakeRecord("RunInstances"));
    if (i % 5 == 4) producer.Flush();  // small record batches, so each fetch brings a few
  }
  producer.Flush();
  KafkaSourceOptions options = Options();
  options.properties["queued.min.messages"] = "20";
  options.properties["fetch.message.max.bytes"] = "2000";  // a few records a fetch
  auto source = Source(options);
  ASSERT_TRUE(Consume(*source, 1));

  std::size_t empty_polls = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (receiver_.events.size() < kRecords && std::chrono::steady_clock::now() < deadline) {
    if (source->Poll(receiver_, std::chrono::milliseconds(100)) == 0) ++empty_polls;
  }

  ASSERT_EQ(receiver_.events.size(), kRecords);
  EXPECT_GT(source->counters().fetch_wakes, 0u);
  EXPECT_LE(empty_polls, 5u);
}

TEST_F(KafkaSourceTest, RefusesPropertiesThatWouldBreakDeliveryOrCatchingUp) {
  for (const auto& [name, value] :
       {std::pair{"enable.auto.commit", "true"}, std::pair{"enable.auto.offset.store", "true"},
        std::pair{"enable.partition.eof", "false"}}) {
    KafkaSourceOptions options = Options();
    options.properties[name] = value;

    auto source = KafkaSource::Create(options, interner_, dead_letters_, listener_);

    ASSERT_FALSE(source.has_value()) << name;
    EXPECT_EQ(source.error().code, common::ErrorCode::kInvalidConfig);
    EXPECT_NE(source.error().message.find(std::string(name) + "=" + value), std::string::npos)
        << source.error().message;
  }
  KafkaSourceOptions same = Options();
  same.properties["enable.auto.commit"] = "false";  // the value it needs anyway
  EXPECT_NE(Source(same), nullptr);
}

TEST_F(KafkaSourceTest, CommittedOffsetsAreWhereTheNextMemberStarts) {
  Producer producer(cluster_.brokers());
  for (int i = 0; i < 5; ++i) producer.Send(kTopic, 0, MakeRecord("Before"));
  producer.Flush();
  {
    auto source = Source(Options());
    ASSERT_TRUE(Consume(*source, 5));
    const common::Status committed = source->Commit(source->Positions());
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(source->counters().commit_errors, 0u);
  }
  for (int i = 0; i < 3; ++i) producer.Send(kTopic, 0, MakeRecord("After"));
  producer.Flush();
  receiver_.events.clear();
  auto source = Source(Options());

  ASSERT_TRUE(Consume(*source, 3));
  source->Poll(receiver_, std::chrono::milliseconds(500));

  EXPECT_EQ(ReceivedNames(), (std::vector<std::string>{"After", "After", "After"}));
  EXPECT_EQ(source->Positions(), (std::vector<PartitionOffset>{{kTopic, 0, 8}}));
}

TEST_F(KafkaSourceTest, StartsWhereOnAssignSays) {
  Producer producer(cluster_.brokers());
  for (const char* name : {"Zero", "One", "Two", "Three"})
    producer.Send(kTopic, 0, MakeRecord(name));
  producer.Flush();
  listener_.starts = {{kTopic, 0, 2}};
  auto source = Source(Options());

  ASSERT_TRUE(Consume(*source, 2));

  EXPECT_EQ(ReceivedNames(), (std::vector<std::string>{"Two", "Three"}));
  ASSERT_EQ(listener_.assigned.size(), 1u);
  EXPECT_EQ(listener_.assigned[0], (std::vector<PartitionOffset>{{kTopic, 0, kUnknownOffset}}));
}

TEST_F(KafkaSourceTest, CloseRevokesWithPositionsSoTheAppCanCommit) {
  Producer producer(cluster_.brokers());
  for (int i = 0; i < 3; ++i) producer.Send(kTopic, 0, MakeRecord("RunInstances"));
  producer.Flush();
  auto source = Source(Options());
  common::Status commit_in_revoke;
  listener_.on_revoke = [&](const std::vector<PartitionOffset>& partitions) {
    commit_in_revoke = source->Commit(partitions);
  };
  ASSERT_TRUE(Consume(*source, 3));

  source->Close();
  source->Close();  // idempotent

  ASSERT_EQ(listener_.revoked.size(), 1u);
  EXPECT_EQ(listener_.revoked[0], (std::vector<PartitionOffset>{{kTopic, 0, 3}}));
  EXPECT_TRUE(commit_in_revoke.ok()) << commit_in_revoke.error().message;
  EXPECT_EQ(source->Poll(receiver_, std::chrono::milliseconds(10)), 0u);
}

// Stopped right after its start, a source has joined but not polled: its assignment waits in its
// queue, and Close() serves it while leaving. The listener is not asked where to start
// partitions that go at once (the service's asks the group coordinator, which waits for a group
// that is being left).
TEST_F(KafkaSourceTest, AnAssignmentServedByCloseIsNotOfferedToTheListener) {
  auto source = Source(Options());
  const kafka::KafkaQueue queue(rd_kafka_queue_get_consumer(source->consumer_handle()));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (rd_kafka_queue_length(queue.get()) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  ASSERT_GT(rd_kafka_queue_length(queue.get()), 0u) << "the group never assigned the partition";

  source->Close();

  EXPECT_TRUE(listener_.assigned.empty());
}

TEST_F(KafkaSourceTest, ACommitTheBrokerRefusesIsAnErrorAndCounted) {
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, MakeRecord("RunInstances"));
  producer.Flush();
  auto source = Source(Options());
  ASSERT_TRUE(Consume(*source, 1));
  rd_kafka_mock_push_request_errors(cluster_.get(), kOffsetCommitApiKey, 1,
                                    RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);

  const common::Status refused = source->Commit(source->Positions());
  const common::Status retried = source->Commit(source->Positions());

  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, common::ErrorCode::kIo);
  EXPECT_NE(refused.error().message.find("GROUP_AUTHORIZATION_FAILED"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(source->counters().commit_errors, 1u);
  EXPECT_TRUE(retried.ok()) << retried.error().message;
}

TEST_F(KafkaSourceTest, ACommitWhileTheBrokerIsDownFailsAndALaterOneSucceeds) {
  Producer producer(cluster_.brokers());
  producer.Send(kTopic, 0, MakeRecord("RunInstances"));
  producer.Flush();
  auto source = Source(Options());
  ASSERT_TRUE(Consume(*source, 1));
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId), RD_KAFKA_RESP_ERR_NO_ERROR);

  const common::Status down = source->Commit(source->Positions());

  EXPECT_FALSE(down.ok());
  EXPECT_EQ(source->counters().commit_errors, 1u);
  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_.get(), kBrokerId), RD_KAFKA_RESP_ERR_NO_ERROR);
  common::Status up = source->Commit(source->Positions());
  for (int attempt = 0; attempt < 20 && !up.ok(); ++attempt) {  // the coordinator comes back
    source->Poll(receiver_, std::chrono::milliseconds(500));
    up = source->Commit(source->Positions());
  }
  EXPECT_TRUE(up.ok()) << up.error().message;
}

TEST_F(KafkaSourceTest, ConsumingGoesOnAfterTheBrokerGoesDownAndComesBack) {
  ConsumeAcrossOutage(std::chrono::seconds(2));

  EXPECT_GT(broker_errors_, 0u);
}

// Down for longer than session.timeout.ms (6 s): librdkafka declares the assignment lost,
// revokes it and rejoins; the partition resumes from the committed offset.
TEST_F(KafkaSourceTest, AnOutageLongerThanTheSessionResumesFromTheCommittedOffset) {
  ConsumeAcrossOutage(std::chrono::seconds(9));

  ASSERT_FALSE(listener_.revoked.empty());
  EXPECT_EQ(listener_.revoked[0], (std::vector<PartitionOffset>{{kTopic, 0, 5}}));
  EXPECT_GE(listener_.assigned.size(), 2u);
}

TEST_F(KafkaSourceTest, RejectsAPropertyLibrdkafkaRefusesByName) {
  KafkaSourceOptions options = Options();
  options.properties["session.timeout.ms"] = "soon";

  auto source = KafkaSource::Create(options, interner_, dead_letters_, listener_);

  ASSERT_FALSE(source.has_value());
  EXPECT_EQ(source.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(source.error().message.find("session.timeout.ms"), std::string::npos)
      << source.error().message;
  EXPECT_EQ(source.error().message.find("soon"), std::string::npos)
      << "a value may be a secret: " << source.error().message;
}

TEST_F(KafkaSourceTest, RejectsOptionsWithoutBrokersOrTopics) {
  KafkaSourceOptions no_brokers = Options();
  no_brokers.brokers.clear();
  KafkaSourceOptions no_topics = Options();
  no_topics.topics.clear();

  auto without_brokers = KafkaSource::Create(no_brokers, interner_, dead_letters_, listener_);
  auto without_topics = KafkaSource::Create(no_topics, interner_, dead_letters_, listener_);

  ASSERT_FALSE(without_brokers.has_value());
  EXPECT_EQ(without_brokers.error().code, common::ErrorCode::kInvalidConfig);
  ASSERT_FALSE(without_topics.has_value());
  EXPECT_EQ(without_topics.error().code, common::ErrorCode::kInvalidConfig);
}

}  // namespace
}  // namespace trailsight::consumers
