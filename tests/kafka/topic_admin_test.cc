// TopicAdmin against librdkafka's mock cluster: what the mock of librdkafka 2.0.2 can answer.
// It serves metadata requests (topics, partition counts, per-topic errors) but neither
// CreateTopics nor DescribeConfigs (rdkafka_mock.h: "The Topic Admin API (CreateTopics) is not
// supported by the mock broker"; it names no controller, so both wait for one until their
// timeout). Creating and describing topics is tested on a real broker in
// tests/integration/topic_admin_integration_test.cc.
#include "kafka/topic_admin.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "tests/support/mock_cluster.h"

namespace trailsight::kafka {
namespace {

using namespace std::chrono_literals;

using test_support::kBrokerId;
using test_support::MockCluster;

class TopicAdminTest : public ::testing::Test {
 protected:
  // An admin client of the mock cluster, quiet, with `timeout` per call.
  std::unique_ptr<TopicAdmin> Admin(std::chrono::milliseconds timeout = 5s) {
    auto admin = TopicAdmin::Create(
        {.brokers = cluster_.brokers(), .properties = {{"log_level", "0"}}, .timeout = timeout});
    EXPECT_TRUE(admin.has_value()) << admin.error().message;
    return admin ? *std::move(admin) : nullptr;
  }

  MockCluster cluster_;
};

TEST_F(TopicAdminTest, CreateRefusesAnEmptyBrokerList) {
  auto admin = TopicAdmin::Create({.brokers = "", .properties = {}, .timeout = 5s});

  ASSERT_FALSE(admin.has_value());
  EXPECT_EQ(admin.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(admin.error().message.find("bootstrap.servers"), std::string::npos);
}

TEST_F(TopicAdminTest, CreateNamesThePropertyLibrdkafkaRefuses) {
  auto admin = TopicAdmin::Create(
      {.brokers = cluster_.brokers(), .properties = {{"no.such.thing", "1"}}, .timeout = 5s});

  ASSERT_FALSE(admin.has_value());
  EXPECT_EQ(admin.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(admin.error().message.find("kafka property no.such.thing:"), std::string::npos)
      << admin.error().message;
}

TEST_F(TopicAdminTest, LookupFindsAnExistingTopicAndItsPartitionCount) {
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster_.get(), "cloudtrail", 3, 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  auto admin = Admin();

  auto found = admin->Lookup("cloudtrail");

  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->name, "cloudtrail");
  EXPECT_TRUE(found->exists);
  EXPECT_EQ(found->partitions, 3);
  EXPECT_EQ(found->cleanup_policy, "");  // Lookup does not read configs
}

TEST_F(TopicAdminTest, LookupReportsATopicTheBrokerDoesNotKnowAsAbsent) {
  // The mock creates unknown topics on any metadata request; this makes it answer as a broker
  // with auto.create.topics.enable=false does.
  rd_kafka_mock_topic_set_error(cluster_.get(), "missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  auto admin = Admin();

  auto found = admin->Lookup("missing");

  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_FALSE(found->exists);
  EXPECT_EQ(found->partitions, 0);
}

TEST_F(TopicAdminTest, DescribeOfAnAbsentTopicNeedsNoConfigs) {
  rd_kafka_mock_topic_set_error(cluster_.get(), "missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  auto admin = Admin();

  auto described = admin->Describe("missing");

  ASSERT_TRUE(described.has_value()) << described.error().message;
  EXPECT_FALSE(described->exists);
  EXPECT_EQ(described->cleanup_policy, "");
}

TEST_F(TopicAdminTest, LookupNamesTheTopicAndTheErrorWhenNotAuthorized) {
  rd_kafka_mock_topic_set_error(cluster_.get(), "secret",
                                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  auto admin = Admin();

  auto found = admin->Lookup("secret");

  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code, common::ErrorCode::kIo);
  const std::string& message = found.error().message;
  EXPECT_NE(message.find("topic secret"), std::string::npos) << message;
  EXPECT_NE(message.find(cluster_.brokers()), std::string::npos) << message;
  EXPECT_NE(message.find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << message;
}

TEST_F(TopicAdminTest, LookupFailsWithinItsTimeoutWhenNoBrokerAnswers) {
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), kBrokerId), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto admin = Admin(1s);

  const auto started = std::chrono::steady_clock::now();
  auto found = admin->Lookup("cloudtrail");
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(found.has_value());
  EXPECT_LT(took, 3s);
  const std::string& message = found.error().message;
  EXPECT_NE(message.find("looking up topic cloudtrail on " + cluster_.brokers()), std::string::npos)
      << message;
  const bool names_the_error = message.find("_TRANSPORT") != std::string::npos ||
                               message.find("_TIMED_OUT") != std::string::npos;
  EXPECT_TRUE(names_the_error) << message;
}

TEST_F(TopicAdminTest, EnsureFailsWithinItsTimeoutWhenTheTopicCannotBeCreated) {
  // The mock cannot create topics (see the top of this file): the request waits for a
  // controller until the call's deadline.
  rd_kafka_mock_topic_set_error(cluster_.get(), "trailsight-insights",
                                RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  auto admin = Admin(2s);

  const auto started = std::chrono::steady_clock::now();
  auto ensured = admin->Ensure({.name = "trailsight-insights", .partitions = 1, .configs = {}});
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(ensured.has_value());
  EXPECT_LT(took, 4s);
  const std::string& message = ensured.error().message;
  EXPECT_NE(
      message.find("creating topic trailsight-insights with 1 partition on " + cluster_.brokers()),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("_TIMED_OUT"), std::string::npos) << message;
}

TEST_F(TopicAdminTest, EnsureRefusesATopicWithoutPartitions) {
  auto admin = Admin();

  auto ensured = admin->Ensure({.name = "trailsight-insights", .partitions = 0, .configs = {}});

  ASSERT_FALSE(ensured.has_value());
  EXPECT_EQ(ensured.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(ensured.error().message.find("trailsight-insights"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::kafka
