#include "alerts/kafka_publisher.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"
#include "alerts/ocsf_sink.h"
#include "tests/alerts/kafka_test_support.h"

// Unit tests against librdkafka's mock cluster: an in-process broker, no network beyond
// loopback, with outages and errors on demand.

namespace trailsight::alerts {
namespace {

using namespace std::chrono_literals;
using common::InsightState;
using test_support::ConsumedRecord;
using test_support::MakeFinding;
using test_support::MakeFindings;

constexpr char kTopic[] = "insights";
constexpr int kPartitions = 3;
constexpr int32_t kBrokerId = 1;  // the mock cluster numbers its brokers from 1
// Kafka's ApiKey of Produce (librdkafka's RD_KAFKAP_Produce lives in a private header).
constexpr int16_t kProduceApiKey = 0;

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};

std::set<std::string> EventIds(const std::vector<common::Finding>& findings) {
  std::set<std::string> ids;
  for (const auto& finding : findings) ids.insert(DeriveInsightIds(finding).event_id);
  return ids;
}

std::set<std::string> EventIds(const std::vector<ConsumedRecord>& records) {
  std::set<std::string> ids;
  for (const auto& record : records) ids.insert(record.event_id);
  return ids;
}

class KafkaPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<char, 256> why{};
    test_support::TestConf conf(rd_kafka_conf_new());
    // The handle only hosts the mock cluster: no "bootstrap.servers" notice, please.
    ASSERT_EQ(rd_kafka_conf_set(conf.get(), "log_level", "4", why.data(), why.size()),
              RD_KAFKA_CONF_OK);
    cluster_owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), why.data(), why.size()));
    ASSERT_NE(cluster_owner_, nullptr) << why.data();
    cluster_.reset(rd_kafka_mock_cluster_new(cluster_owner_.get(), 1));
    ASSERT_NE(cluster_, nullptr);
    brokers_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_.get(), kTopic, kPartitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  KafkaPublisherOptions Options() const {
    KafkaPublisherOptions options;
    options.brokers = brokers_;
    options.topic = kTopic;
    options.flush_timeout = 30s;
    options.retry_backoff = 200ms;
    // Reconnect soon after a test brings the broker back (librdkafka backs off up to 10 s).
    options.properties["reconnect.backoff.max.ms"] = "500";
    return options;
  }

  std::unique_ptr<KafkaFindingPublisher> MakePublisher(const KafkaPublisherOptions& options) {
    auto publisher = KafkaFindingPublisher::Create(options);
    EXPECT_TRUE(publisher.has_value()) << publisher.error().message;
    return publisher ? *std::move(publisher) : nullptr;
  }

  std::vector<ConsumedRecord> ReadBack(std::size_t at_least) const {
    return test_support::ReadTopic(brokers_, kTopic, kPartitions, at_least, 20s);
  }

  // Publishes and acknowledges one finding, so the producer has its producer id and the
  // partition leaders before a test takes the broker down.
  void WarmUp(KafkaFindingPublisher& publisher) {
    ASSERT_TRUE(publisher.Publish(MakeFinding(99, 99, InsightState::kStart)));
    const auto deadline = std::chrono::steady_clock::now() + 20s;  // not Flush(): its timeout
    while (publisher.AckedThrough() < publisher.published() &&     // may be a test's short one
           std::chrono::steady_clock::now() < deadline) {
      publisher.Poll();
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(publisher.AckedThrough(), publisher.published());
  }

  test_support::TestKafka cluster_owner_;  // declared first: outlives the cluster
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter> cluster_;
  std::string brokers_;
};

TEST_F(KafkaPublisherTest, TheFirstFindingIsNotHeldForTheTopicsMetadata) {
  // librdkafka looks up a topic first named by a produce only at its next one-second scan;
  // the publisher names its topic when it starts, so a finding published 300 ms later is
  // acknowledged at once rather than at that scan, about 700 ms on.
  auto publisher = MakePublisher(Options());
  ASSERT_NE(publisher, nullptr);
  const auto started = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - started < 300ms) {
    publisher->Poll();
    std::this_thread::sleep_for(10ms);
  }

  const auto published_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(publisher->Publish(MakeFinding(1, 1, InsightState::kStart)));
  while (publisher->AckedThrough() < 1 && std::chrono::steady_clock::now() - published_at < 5s) {
    publisher->Poll();
    std::this_thread::sleep_for(1ms);
  }

  ASSERT_EQ(publisher->AckedThrough(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - published_at, 400ms);
}

TEST_F(KafkaPublisherTest, CreateRejectsAnUnknownPropertyNamingIt) {
  KafkaPublisherOptions options = Options();
  options.properties["no.such.property"] = "1";

  auto publisher = KafkaFindingPublisher::Create(options);

  ASSERT_FALSE(publisher.has_value());
  EXPECT_EQ(publisher.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(publisher.error().message.find("no.such.property"), std::string::npos);
}

TEST_F(KafkaPublisherTest, CreateRejectsABadValueNamingThePropertyButNeverTheValue) {
  // A rejected value may be a secret (sasl.password, a JAAS line): the error, which the
  // operator's terminal and logs show, names the property and librdkafka's reason only.
  KafkaPublisherOptions options = Options();
  options.properties["message.timeout.ms"] = "secret123";

  auto publisher = KafkaFindingPublisher::Create(options);

  ASSERT_FALSE(publisher.has_value());
  const common::Error& error = publisher.error();
  EXPECT_EQ(error.code, common::ErrorCode::kInvalidConfig);
  EXPECT_TRUE(error.message.starts_with("kafka publisher: ")) << error.message;
  EXPECT_NE(error.message.find("message.timeout.ms"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("secret123"), std::string::npos) << error.message;
}

TEST_F(KafkaPublisherTest, CreateRejectsAMissingTopicOrAnEmptyQueue) {
  KafkaPublisherOptions no_topic = Options();
  no_topic.topic.clear();
  KafkaPublisherOptions no_room = Options();
  no_room.max_in_flight = 0;

  EXPECT_EQ(KafkaFindingPublisher::Create(no_topic).error().code,
            common::ErrorCode::kInvalidConfig);
  EXPECT_EQ(KafkaFindingPublisher::Create(no_room).error().code, common::ErrorCode::kInvalidConfig);
}

TEST_F(KafkaPublisherTest, PublishedFindingsArriveAsRenderedJsonWithKeyAndHeaders) {
  auto publisher = MakePublisher(Options());
  common::Finding error_rate = MakeFinding(1, 0, InsightState::kStart);
  error_rate.key.type = common::InsightType::kApiErrorRate;
  error_rate.key.error_code = "AccessDenied";
  const std::vector<common::Finding> findings = {MakeFinding(0, 0, InsightState::kStart),
                                                 error_rate};

  for (const auto& finding : findings) ASSERT_TRUE(publisher->Publish(finding));
  ASSERT_TRUE(publisher->Flush());
  const std::vector<ConsumedRecord> records = ReadBack(findings.size());

  ASSERT_EQ(records.size(), findings.size());
  std::map<std::string, ConsumedRecord> by_id;
  for (const auto& record : records) by_id[record.event_id] = record;
  const ConsumedRecord& call_rate = by_id.at(DeriveInsightIds(findings[0]).event_id);
  EXPECT_EQ(call_rate.value, RenderInsightLine(findings[0]));
  EXPECT_EQ(call_rate.key, "111111111100/eu-west-1/ec2.amazonaws.com/TerminateInstances0");
  EXPECT_EQ(call_rate.state, "Start");
  const ConsumedRecord& errors = by_id.at(DeriveInsightIds(error_rate).event_id);
  EXPECT_EQ(errors.value, RenderInsightLine(error_rate));
  EXPECT_EQ(errors.key,
            "111111111101/eu-west-1/ec2.amazonaws.com/TerminateInstances1/AccessDenied");
}

TEST_F(KafkaPublisherTest, StartAndEndOfOneInsightShareTheKeyAndStayInOrder) {
  auto publisher = MakePublisher(Options());
  const std::vector<common::Finding> findings = MakeFindings(/*apis=*/6, /*episodes=*/3);

  for (const auto& finding : findings) ASSERT_TRUE(publisher->Publish(finding));
  ASSERT_TRUE(publisher->Flush());
  const std::vector<ConsumedRecord> records = ReadBack(findings.size());

  ASSERT_EQ(records.size(), findings.size());
  std::map<std::string, std::vector<ConsumedRecord>> by_key;  // offset order per partition
  for (const auto& record : records) by_key[record.key].push_back(record);
  ASSERT_EQ(by_key.size(), 6u);
  for (const auto& [key, in_partition] : by_key) {
    ASSERT_EQ(in_partition.size(), 6u) << key;
    for (std::size_t i = 0; i < in_partition.size(); ++i) {
      EXPECT_EQ(in_partition[i].partition, in_partition[0].partition) << key;
      EXPECT_EQ(in_partition[i].state, i % 2 == 0 ? "Start" : "End") << key << " #" << i;
    }
  }
}

TEST_F(KafkaPublisherTest, AckedThroughAdvancesToPublishedAfterFlush) {
  auto publisher = MakePublisher(Options());
  EXPECT_EQ(publisher->published(), 0u);
  EXPECT_EQ(publisher->AckedThrough(), 0u);

  for (const auto& finding : MakeFindings(5, 5)) ASSERT_TRUE(publisher->Publish(finding));
  EXPECT_EQ(publisher->published(), 50u);
  EXPECT_LE(publisher->AckedThrough(), 50u);
  ASSERT_TRUE(publisher->Flush());

  EXPECT_EQ(publisher->AckedThrough(), 50u);
  EXPECT_EQ(publisher->unacknowledged(), 0u);
  EXPECT_EQ(publisher->counters().delivered, 50u);
  EXPECT_EQ(publisher->counters().delivery_errors, 0u);
}

TEST_F(KafkaPublisherTest, RetriableProduceErrorsAreRetriedAndNothingIsLost) {
  auto publisher = MakePublisher(Options());
  WarmUp(*publisher);
  rd_kafka_mock_push_request_errors(
      cluster_.get(), kProduceApiKey, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  const std::vector<common::Finding> findings = MakeFindings(5, 2);

  for (const auto& finding : findings) ASSERT_TRUE(publisher->Publish(finding));
  ASSERT_TRUE(publisher->Flush());

  EXPECT_EQ(publisher->AckedThrough(), publisher->published());
  const std::vector<ConsumedRecord> records = ReadBack(findings.size() + 1);
  std::set<std::string> expected = EventIds(findings);
  expected.insert(DeriveInsightIds(MakeFinding(99, 99, InsightState::kStart)).event_id);
  EXPECT_EQ(EventIds(records), expected);
}

TEST_F(KafkaPublisherTest, PermanentProduceErrorIsCountedAndReproduced) {
  auto publisher = MakePublisher(Options());
  WarmUp(*publisher);
  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceApiKey, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  const std::vector<common::Finding> findings = MakeFindings(4, 2);

  for (const auto& finding : findings) ASSERT_TRUE(publisher->Publish(finding));
  ASSERT_TRUE(publisher->Flush());

  EXPECT_GE(publisher->counters().delivery_errors, 1u);
  EXPECT_GE(publisher->counters().retries, 1u);
  EXPECT_EQ(publisher->AckedThrough(), publisher->published());
  EXPECT_TRUE(std::ranges::includes(EventIds(ReadBack(findings.size() + 1)), EventIds(findings)));
}

TEST_F(KafkaPublisherTest, BrokerDownLongerThanMessageTimeoutIsReproducedWhenItReturns) {
  KafkaPublisherOptions options = Options();
  options.properties["message.timeout.ms"] = "2000";
  auto publisher = MakePublisher(options);
  WarmUp(*publisher);
  const std::vector<common::Finding> findings = MakeFindings(5, 2);

  rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId);
  for (const auto& finding : findings) ASSERT_TRUE(publisher->Publish(finding));
  const auto outage_end = std::chrono::steady_clock::now() + 3500ms;
  while (std::chrono::steady_clock::now() < outage_end) {
    publisher->Poll();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_LT(publisher->AckedThrough(), publisher->published());
  rd_kafka_mock_broker_set_up(cluster_.get(), kBrokerId);
  ASSERT_TRUE(publisher->Flush());

  EXPECT_GE(publisher->counters().delivery_errors, findings.size());
  EXPECT_GE(publisher->counters().retries, findings.size());
  EXPECT_EQ(publisher->AckedThrough(), publisher->published());
  EXPECT_TRUE(std::ranges::includes(EventIds(ReadBack(findings.size() + 1)), EventIds(findings)));
}

TEST_F(KafkaPublisherTest, FullQueueMakesPublishWaitUntilKafkaAcknowledges) {
  KafkaPublisherOptions options = Options();
  options.max_in_flight = 10;
  auto publisher = MakePublisher(options);
  WarmUp(*publisher);
  const std::vector<common::Finding> findings = MakeFindings(5, 3);  // 30 findings

  rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId);
  const auto started = std::chrono::steady_clock::now();
  std::jthread bring_back([this] {
    std::this_thread::sleep_for(1500ms);
    rd_kafka_mock_broker_set_up(cluster_.get(), kBrokerId);
  });
  for (const auto& finding : findings) {
    ASSERT_TRUE(publisher->Publish(finding));
    EXPECT_LE(publisher->published() - publisher->AckedThrough(), 10u);
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(publisher->Flush());

  EXPECT_GE(waited, 1400ms);  // the 11th Publish could not return before the broker was back
  EXPECT_GE(publisher->counters().queue_full_waits, 1u);
  EXPECT_EQ(publisher->AckedThrough(), publisher->published());
  EXPECT_TRUE(std::ranges::includes(EventIds(ReadBack(findings.size() + 1)), EventIds(findings)));
}

TEST_F(KafkaPublisherTest, FatalErrorRecreatesTheProducerAndReproducesTheUnacknowledged) {
  auto publisher = MakePublisher(Options());
  const std::vector<common::Finding> findings = MakeFindings(5, 2);
  for (std::size_t i = 0; i < 10; ++i) ASSERT_TRUE(publisher->Publish(findings[i]));

  publisher->SimulateFatalErrorForTesting();
  for (std::size_t i = 10; i < findings.size(); ++i) ASSERT_TRUE(publisher->Publish(findings[i]));
  ASSERT_TRUE(publisher->Flush());

  EXPECT_EQ(publisher->counters().producer_restarts, 1u);
  EXPECT_EQ(publisher->AckedThrough(), publisher->published());
  EXPECT_EQ(EventIds(ReadBack(findings.size())), EventIds(findings));
}

TEST_F(KafkaPublisherTest, FlushFailsSayingHowManyAreUnacknowledged) {
  KafkaPublisherOptions options = Options();
  options.flush_timeout = 500ms;
  auto publisher = MakePublisher(options);
  WarmUp(*publisher);
  rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId);
  for (const auto& finding : MakeFindings(3, 1)) ASSERT_TRUE(publisher->Publish(finding));

  const common::Status flushed = publisher->Flush();

  ASSERT_FALSE(flushed);
  EXPECT_NE(flushed.error().message.find("6 of 7 findings not acknowledged"), std::string::npos)
      << flushed.error().message;
  rd_kafka_mock_broker_set_up(cluster_.get(), kBrokerId);  // let the destructor flush
}

TEST_F(KafkaPublisherTest, OcsfSinkPublishesAlertsAndMirroredInsightsThroughOnePublisher) {
  auto publisher = MakePublisher(Options());
  OcsfKafkaSink ocsf(*publisher);
  common::Alert alert;
  alert.rule = "cloudtrail.StopLogging";
  alert.account = "143434273843";
  alert.region = "eu-west-1";
  alert.event_source = "cloudtrail.amazonaws.com";
  alert.event_name = "StopLogging";
  alert.record_id = "10163ed2-2253-469d-a5ee-cbc6651f8934";
  const common::Finding finding = MakeFinding(0, 0, InsightState::kStart);

  ASSERT_TRUE(ocsf.Publish(alert));
  ASSERT_TRUE(ocsf.Publish(finding));
  ASSERT_TRUE(ocsf.Flush());
  const std::vector<ConsumedRecord> records = ReadBack(2);

  EXPECT_EQ(publisher->AckedThrough(), 2u);
  ASSERT_EQ(records.size(), 2u);
  std::map<std::string, ConsumedRecord> by_id;
  for (const auto& record : records) by_id[record.event_id] = record;
  const ConsumedRecord& tamper = by_id.at(DeriveAlertId(alert));
  EXPECT_EQ(tamper.value, RenderOcsfAlertLine(alert));
  EXPECT_EQ(tamper.key, "143434273843/eu-west-1");
  EXPECT_EQ(tamper.state, "");  // alerts have no Start/End
  const ConsumedRecord& mirror = by_id.at(DeriveInsightIds(finding).event_id);
  EXPECT_EQ(mirror.value, RenderOcsfInsightLine(finding));
  EXPECT_EQ(mirror.key, InsightPartitionKey(finding.key));
  EXPECT_EQ(mirror.state, "Start");
}

}  // namespace
}  // namespace trailsight::alerts
