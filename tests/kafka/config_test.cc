// MakeKafkaConf: the operator's properties apply last, and a refused one is named without its
// value, which may be a secret. RebalancesCooperatively: a group's protocol, or none.
#include "kafka/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/mock_cluster.h"

namespace trailsight::kafka {
namespace {

TEST(MakeKafkaConfTest, ARefusedPropertyIsNamedAndItsValueNever) {
  struct Case {
    std::string name, value;
  };
  // A typo of a password property, a JAAS line as Confluent Cloud hands it out (a Java
  // client's property), and a value librdkafka checks and quotes in its reason.
  for (const Case& refused :
       {Case{"sasl.pasword", "hunter2-secret"},
        Case{"sasl.jaas.config",
             "org.apache.kafka.common.security.plain.PlainLoginModule required "
             "username=\"KEY\" password=\"s3cr3t-jaas\";"},
        Case{"acks", "most-s3cr3t"}}) {
    common::Result<KafkaConf> conf = MakeKafkaConf({}, {{refused.name, refused.value}});
    ASSERT_FALSE(conf.has_value()) << refused.name;
    EXPECT_EQ(conf.error().code, common::ErrorCode::kInvalidConfig);
    EXPECT_NE(conf.error().message.find(refused.name), std::string::npos) << conf.error().message;
    EXPECT_EQ(conf.error().message.find("s3cr3t"), std::string::npos) << conf.error().message;
    EXPECT_EQ(conf.error().message.find("hunter2"), std::string::npos) << conf.error().message;
  }
}

// librdkafka quotes a refused enum value in its text, which it cuts at its buffer's end: a
// long value would show in part, where no search for the whole value finds it.
TEST(MakeKafkaConfTest, ALongRefusedValueShowsNotEvenInPart) {
  std::string value;
  while (value.size() < 600) value += "s3cr3t-";

  common::Result<KafkaConf> conf = MakeKafkaConf({}, {{"security.protocol", value}});

  ASSERT_FALSE(conf.has_value());
  EXPECT_EQ(conf.error().message,
            "kafka property security.protocol: librdkafka refuses the value (allowed: "
            "plaintext, ssl, sasl_plaintext, sasl_ssl)");
}

TEST(KafkaPropertyRefusalTest, SaysWhyInWordsThatNeverHoldTheValue) {
  EXPECT_EQ(KafkaPropertyRefusal("sasl.pasword", "hunter2secret"),
            "librdkafka has no such property");
  EXPECT_EQ(KafkaPropertyRefusal("enable.idempotence", "hunter2secret"),
            "librdkafka refuses the value: it must be true or false");
  EXPECT_EQ(KafkaPropertyRefusal("linger.ms", "hunter2secret"),
            "librdkafka refuses the value (allowed: 0 .. 900000)");
  EXPECT_EQ(KafkaPropertyRefusal("opaque", "hunter2secret"),
            "librdkafka takes it from the program only, never as a property");
  // librdkafka's own text names the library file it could not load.
  const std::optional<std::string> plugin =
      KafkaPropertyRefusal("plugin.library.paths", "/nonexistent/hunter2secret");
  ASSERT_TRUE(plugin.has_value());
  EXPECT_EQ(plugin->find("hunter2"), std::string::npos) << *plugin;
}

TEST(KafkaPropertyRefusalTest, AcceptsWhatLibrdkafkaTakes) {
  EXPECT_EQ(KafkaPropertyRefusal("sasl.password", "hunter2secret"), std::nullopt);
  EXPECT_EQ(KafkaPropertyRefusal("security.protocol", "SASL_SSL"), std::nullopt);
  EXPECT_EQ(KafkaPropertyRefusal("linger.ms", "5"), std::nullopt);
  EXPECT_EQ(KafkaPropertyRefusal("topic.auto.offset.reset", "earliest"), std::nullopt);
}

TEST(KafkaPropertyNamesTest, ListsGlobalTopicAndAliasNamesOnce) {
  const std::vector<std::string> names = KafkaPropertyNames();

  for (const char* name : {"sasl.password", "bootstrap.servers", "metadata.broker.list", "acks",
                           "request.required.acks", "auto.offset.reset"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(MakeKafkaConfTest, TheOperatorsPropertiesWinOverTheDefaults) {
  common::Result<KafkaConf> conf =
      MakeKafkaConf({{"client.id", "default"}}, {{"client.id", "operator"}});
  ASSERT_TRUE(conf.has_value()) << conf.error().message;
  char value[64];
  std::size_t size = sizeof(value);
  ASSERT_EQ(rd_kafka_conf_get(conf->get(), "client.id", value, &size), RD_KAFKA_CONF_OK);
  EXPECT_EQ(std::string(value), "operator");
}

// A consumer of group "rebalancing-<strategy>" with `strategy` as partition.assignment.strategy,
// subscribed to `topic` of `cluster`, polled until it holds a partition (librdkafka assigns them
// itself: no rebalance callback); null if it holds none within 30 s.
KafkaHandle JoinedConsumer(const test_support::MockCluster& cluster, const std::string& topic,
                           const std::string& strategy) {
  common::Result<KafkaConf> conf = MakeKafkaConf({{"bootstrap.servers", cluster.brokers()},
                                                  {"group.id", "rebalancing-" + strategy},
                                                  {"partition.assignment.strategy", strategy}},
                                                 {});
  if (!conf) return nullptr;
  std::array<char, 512> reason{};
  KafkaHandle consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf->release(), reason.data(), reason.size()));
  if (consumer == nullptr) return nullptr;
  rd_kafka_poll_set_consumer(consumer.get());
  KafkaPartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_subscribe(consumer.get(), topics.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    KafkaMessage(rd_kafka_consumer_poll(consumer.get(), 100));
    rd_kafka_topic_partition_list_t* held = nullptr;
    if (rd_kafka_assignment(consumer.get(), &held) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const KafkaPartitionList assignment(held);
      if (assignment->cnt > 0) return consumer;
    }
  }
  return nullptr;
}

TEST(RebalancesCooperativelyTest, FollowsTheProtocolTheGroupJoinedWith) {
  test_support::MockCluster cluster;
  cluster.CreateTopic("in", 1);
  KafkaHandle cooperative = JoinedConsumer(cluster, "in", "cooperative-sticky");
  ASSERT_NE(cooperative, nullptr);
  EXPECT_TRUE(RebalancesCooperatively(cooperative.get()));
  rd_kafka_consumer_close(cooperative.get());

  cluster.CreateTopic("eager-in", 1);
  KafkaHandle eager = JoinedConsumer(cluster, "eager-in", "range");
  ASSERT_NE(eager, nullptr);
  EXPECT_FALSE(RebalancesCooperatively(eager.get()));
  rd_kafka_consumer_close(eager.get());
}

// librdkafka names no protocol for a handle without a consumer group, as for one whose group
// was torn down (a rebalance served inside rd_kafka_consumer_close): eager, not a crash.
TEST(RebalancesCooperativelyTest, AHandleWithoutAGroupIsNotCooperative) {
  common::Result<KafkaConf> conf = MakeKafkaConf({}, {});
  ASSERT_TRUE(conf.has_value()) << conf.error().message;
  std::array<char, 512> reason{};
  KafkaHandle consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf->release(), reason.data(), reason.size()));
  ASSERT_NE(consumer, nullptr) << reason.data();
  ASSERT_EQ(rd_kafka_rebalance_protocol(consumer.get()), nullptr);
  EXPECT_FALSE(RebalancesCooperatively(consumer.get()));
}

}  // namespace
}  // namespace trailsight::kafka
