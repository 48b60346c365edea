// kafka::TopicAdmin and app::EnsureServiceTopics on a real broker (KAFKA_BROKERS), which like
// production ones does not create topics on first use (scripts/kafka sets
// auto.create.topics.enable=false): what librdkafka's mock cluster cannot answer (CreateTopics,
// DescribeConfigs; see tests/kafka/topic_admin_test.cc).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/service_topics.h"
#include "config/config.h"
#include "kafka/topic_admin.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/integration/service_process.h"

namespace trailsight {
namespace {

using namespace std::chrono_literals;
using consumers::kafka_test::UniqueName;
using kafka::TopicAdmin;
using kafka::TopicDescription;

class TopicAdminIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = test_support::Brokers();
    ASSERT_FALSE(brokers_.empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                      "scripts/kafka start and export KAFKA_BROKERS=<its address>";
  }
  void TearDown() override {
    if (!brokers_.empty() && !made_.empty()) consumers::kafka_test::DeleteTopics(brokers_, made_);
  }

  // A fresh topic name, deleted after the test.
  std::string Name(std::string_view role) {
    return made_.emplace_back(UniqueName(fmt::format("trailsight-admin-it-{}", role)));
  }

  std::unique_ptr<TopicAdmin> Admin() {
    auto admin = TopicAdmin::Create({.brokers = brokers_, .properties = {}, .timeout = 30s});
    EXPECT_TRUE(admin.has_value()) << admin.error().message;
    return admin ? *std::move(admin) : nullptr;
  }

  std::string brokers_;
  std::vector<std::string> made_;
};

TEST_F(TopicAdminIntegrationTest, LookupOfAnAbsentTopicFindsNothingAndCreatesNothing) {
  const std::string topic = Name("absent");
  auto admin = Admin();

  auto first = admin->Lookup(topic);
  auto second = admin->Describe(topic);

  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_FALSE(first->exists);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_FALSE(second->exists);
}

TEST_F(TopicAdminIntegrationTest, EnsureCreatesAnAbsentTopicWithItsPartitionsAndConfigs) {
  const std::string topic = Name("created");
  auto admin = Admin();

  auto ensured =
      admin->Ensure({.name = topic, .partitions = 3, .configs = {{"cleanup.policy", "compact"}}});

  ASSERT_TRUE(ensured.has_value()) << ensured.error().message;
  EXPECT_TRUE(ensured->exists);
  EXPECT_EQ(ensured->partitions, 3);
  EXPECT_EQ(ensured->cleanup_policy, "compact");
  auto described = Admin()->Describe(topic);  // another client sees the same
  ASSERT_TRUE(described.has_value()) << described.error().message;
  EXPECT_EQ(described->partitions, 3);
  EXPECT_EQ(described->cleanup_policy, "compact");
}

TEST_F(TopicAdminIntegrationTest, EnsureLeavesAnExistingTopicAsItIs) {
  const std::string topic = Name("existing");
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, topic, 2));
  auto admin = Admin();

  auto ensured =
      admin->Ensure({.name = topic, .partitions = 1, .configs = {{"cleanup.policy", "compact"}}});

  ASSERT_TRUE(ensured.has_value()) << ensured.error().message;
  EXPECT_TRUE(ensured->exists);
  EXPECT_EQ(ensured->partitions, 2);
  EXPECT_EQ(ensured->cleanup_policy, "delete");  // the broker's default, untouched
}

TEST_F(TopicAdminIntegrationTest, ConcurrentEnsuresOfOneTopicAllSucceed) {
  const std::string topic = Name("raced");
  std::vector<common::Result<TopicDescription>> results(4, common::Error{});
  {
    std::vector<std::jthread> creators;
    for (auto& result : results) {
      creators.emplace_back([&] {
        auto admin = TopicAdmin::Create({.brokers = brokers_, .properties = {}, .timeout = 30s});
        result = admin ? (*admin)->Ensure({.name = topic, .partitions = 2, .configs = {}})
                       : common::Result<TopicDescription>(admin.error());
      });
    }
  }

  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->partitions, 2);
  }
}

TEST_F(TopicAdminIntegrationTest, EnsureNamesTheTopicAndTheBrokersErrorWhenCreationFails) {
  const std::string topic = Name("refused");
  auto admin = Admin();

  auto ensured =
      admin->Ensure({.name = topic, .partitions = 1, .configs = {{"cleanup.policy", "sometimes"}}});

  ASSERT_FALSE(ensured.has_value());
  const std::string& message = ensured.error().message;
  EXPECT_NE(message.find(fmt::format("creating topic {} with 1 partition on {}: INVALID_CONFIG",
                                     topic, brokers_)),
            std::string::npos)
      << message;
  auto found = admin->Lookup(topic);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_FALSE(found->exists);
}

// The service's topics, as `trailsight run` prepares them before it starts consuming.
class ServiceTopicsIntegrationTest : public TopicAdminIntegrationTest {
 protected:
  config::Config Config() {
    config::Config config;
    config.kafka.brokers = brokers_;
    config.kafka.topics = {input_};
    config.kafka.insights_topic = insights_;
    config.kafka.alerts_topic = alerts_;
    config.kafka.dead_letter_topic = dead_letters_;
    config.kafka.repartition_topic = repartition_;
    config.kafka.changelog_topic = changelog_;
    config.kafka.global_topic = global_;
    return config;
  }

  const std::string input_ = Name("in");
  const std::string insights_ = Name("insights");
  const std::string alerts_ = Name("alerts");
  const std::string dead_letters_ = Name("dead");
  const std::string repartition_ = Name("repartition");
  const std::string changelog_ = Name("changelog");
  const std::string global_ = Name("global");
};

TEST_F(ServiceTopicsIntegrationTest, CreatesTheOutputTopicsWithOnePartitionEach) {
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, input_, 3));

  const common::Result<app::ServiceTopics> ensured = app::EnsureServiceTopics(Config());
  const common::Result<app::ServiceTopics> again = app::EnsureServiceTopics(Config());  // a restart

  ASSERT_TRUE(ensured) << ensured.error().message;
  ASSERT_TRUE(again) << again.error().message;
  auto admin = Admin();
  for (const std::string& topic : {insights_, alerts_, dead_letters_}) {
    auto described = admin->Describe(topic);
    ASSERT_TRUE(described.has_value()) << described.error().message;
    EXPECT_TRUE(described->exists) << topic;
    EXPECT_EQ(described->partitions, 1) << topic;
    EXPECT_EQ(described->cleanup_policy, "delete") << topic;
  }
  auto input = admin->Lookup(input_);
  ASSERT_TRUE(input.has_value()) << input.error().message;
  EXPECT_EQ(input->partitions, 3);  // the input is never touched
  // The input is not declared keyed: it is re-keyed through a topic of as many partitions,
  // whose state the changelog holds.
  EXPECT_EQ(ensured->keyed_partitions, 3);
  EXPECT_EQ(ensured->inputs,
            (std::vector<consumers::SourcePartition>{{input_, 0}, {input_, 1}, {input_, 2}}))
      << "every input partition, whose re-keyed records the repartition topic merges";
  for (const auto& [topic, policy] :
       {std::pair{repartition_, "delete"}, std::pair{changelog_, "compact"}}) {
    auto described = admin->Describe(topic);
    ASSERT_TRUE(described.has_value()) << described.error().message;
    EXPECT_EQ(described->partitions, 3) << topic;
    EXPECT_EQ(described->cleanup_policy, policy) << topic;
  }
}

TEST_F(ServiceTopicsIntegrationTest, KeepsTheRepartitionTopicsCountAndSizesTheChangelogByIt) {
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, input_, 2));
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, repartition_, 5));

  const common::Result<app::ServiceTopics> ensured = app::EnsureServiceTopics(Config());

  ASSERT_TRUE(ensured) << ensured.error().message;
  EXPECT_EQ(ensured->keyed_partitions, 5) << "changing the count would split pairs' state";
  auto changelog = Admin()->Lookup(changelog_);
  ASSERT_TRUE(changelog.has_value()) << changelog.error().message;
  EXPECT_EQ(changelog->partitions, 5);
}

TEST_F(ServiceTopicsIntegrationTest, KeepsAnInsightsTopicThatAlreadyHasMorePartitions) {
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, input_, 1));
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, insights_, 6));

  const common::Result<app::ServiceTopics> ensured = app::EnsureServiceTopics(Config());

  ASSERT_TRUE(ensured) << ensured.error().message;
  auto insights = Admin()->Lookup(insights_);
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  EXPECT_EQ(insights->partitions, 6);
}

TEST_F(ServiceTopicsIntegrationTest, SkipsAnEmptyDeadLetterTopic) {
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers_, input_, 1));
  config::Config config = Config();
  config.kafka.dead_letter_topic = "";

  const common::Result<app::ServiceTopics> ensured = app::EnsureServiceTopics(config);

  ASSERT_TRUE(ensured) << ensured.error().message;
  auto dead_letters = Admin()->Lookup(dead_letters_);
  ASSERT_TRUE(dead_letters.has_value()) << dead_letters.error().message;
  EXPECT_FALSE(dead_letters->exists);
}

TEST_F(ServiceTopicsIntegrationTest, FailsNamingAMissingInputTopicAndCreatesNothing) {
  const common::Result<app::ServiceTopics> ensured = app::EnsureServiceTopics(Config());

  ASSERT_FALSE(ensured);
  EXPECT_EQ(ensured.error().message,
            fmt::format("input topic {} does not exist on {}", input_, brokers_));
  auto insights = Admin()->Lookup(insights_);
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  EXPECT_FALSE(insights->exists);
}

}  // namespace
}  // namespace trailsight
