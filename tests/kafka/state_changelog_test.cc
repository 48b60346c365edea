// ChangelogWriter and ReadChangelogPartition without a broker: what they refuse before
// connecting, and how they fail when no broker answers. Transactions themselves are tested on
// a real broker in tests/integration/state_changelog_integration_test.cc.
#include "kafka/state_changelog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>

namespace trailsight::kafka {
namespace {

using namespace std::chrono_literals;

// Nothing listens on port 1.
constexpr const char* kNoBroker = "127.0.0.1:1";

// Options that pass every check, with `extra` properties besides a quiet log.
ChangelogOptions ValidOptions(const std::map<std::string, std::string>& extra = {}) {
  ChangelogOptions options{.brokers = kNoBroker,
                           .topic = "trailsight-state",
                           .transactional_id = "trailsight-1",
                           .properties = {{"log_level", "0"}},
                           .timeout = 1s};
  options.properties.insert(extra.begin(), extra.end());
  return options;
}

ChangelogReadOptions ReadOptions(std::string brokers, std::string topic,
                                 std::map<std::string, std::string> properties = {}) {
  return {.brokers = std::move(brokers),
          .topic = std::move(topic),
          .properties = std::move(properties),
          .timeout = 500ms};
}

void ExpectInvalidConfig(const ChangelogOptions& options, const std::string& named) {
  auto writer = ChangelogWriter::Create(options);

  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(writer.error().message.find(named), std::string::npos) << writer.error().message;
}

TEST(ChangelogWriterTest, CreateRefusesAnEmptyBrokerList) {
  ChangelogOptions options = ValidOptions();
  options.brokers.clear();
  ExpectInvalidConfig(options, "bootstrap.servers");
}

TEST(ChangelogWriterTest, CreateRefusesAnEmptyTopic) {
  ChangelogOptions options = ValidOptions();
  options.topic.clear();
  ExpectInvalidConfig(options, "topic");
}

TEST(ChangelogWriterTest, CreateRefusesAnEmptyTransactionalId) {
  ChangelogOptions options = ValidOptions();
  options.transactional_id.clear();
  ExpectInvalidConfig(options, "transactional id");
}

TEST(ChangelogWriterTest, CreateNamesThePropertyLibrdkafkaRefuses) {
  ExpectInvalidConfig(ValidOptions({{"no.such.thing", "1"}}), "kafka property no.such.thing:");
}

TEST(ChangelogWriterTest, CreateRefusesPropertiesThatWouldBreakTransactions) {
  for (const auto& [name, value] :
       {std::pair{"enable.idempotence", "false"}, std::pair{"acks", "1"},
        std::pair{"transactional.id", "someone-else"}}) {
    ExpectInvalidConfig(ValidOptions({{name, value}}), std::string(name) + "=" + value);
  }
}

TEST(ChangelogWriterTest, CreateAcceptsAcksMinusOneAsAll) {
  auto writer = ChangelogWriter::Create(ValidOptions({{"acks", "-1"}}));

  ASSERT_FALSE(writer.has_value());  // no broker: it gets as far as initialising
  EXPECT_EQ(writer.error().code, common::ErrorCode::kIo);
}

TEST(ChangelogWriterTest, CreateFailsWithIoNamingTheBrokersWhenNoneAnswers) {
  const auto started = std::chrono::steady_clock::now();

  auto writer = ChangelogWriter::Create(ValidOptions());

  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().code, common::ErrorCode::kIo);
  EXPECT_NE(writer.error().message.find(kNoBroker), std::string::npos) << writer.error().message;
  EXPECT_NE(writer.error().message.find("trailsight-1"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(ReadChangelogPartitionTest, RefusesMissingOptionsAndNegativePartitions) {
  const auto visit = [](std::string_view, std::string_view) {};

  auto no_brokers = ReadChangelogPartition(ReadOptions("", "t"), 0, visit);
  auto no_topic = ReadChangelogPartition(ReadOptions(kNoBroker, ""), 0, visit);
  auto negative = ReadChangelogPartition(ReadOptions(kNoBroker, "t"), -1, visit);
  auto uncommitted = ReadChangelogPartition(
      ReadOptions(kNoBroker, "t", {{"isolation.level", "read_uncommitted"}}), 0, visit);

  ASSERT_FALSE(no_brokers.has_value());
  EXPECT_EQ(no_brokers.error().code, common::ErrorCode::kInvalidConfig);
  ASSERT_FALSE(no_topic.has_value());
  EXPECT_EQ(no_topic.error().code, common::ErrorCode::kInvalidConfig);
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, common::ErrorCode::kInvalidArgument);
  ASSERT_FALSE(uncommitted.has_value());
  EXPECT_EQ(uncommitted.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_NE(uncommitted.error().message.find("isolation.level=read_uncommitted"),
            std::string::npos);
}

TEST(ReadChangelogPartitionTest, FailsWithIoNamingTopicPartitionAndBrokersWhenNoneAnswers) {
  auto read =
      ReadChangelogPartition(ReadOptions(kNoBroker, "trailsight-state", {{"log_level", "0"}}), 3,
                             [](std::string_view, std::string_view) {});

  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, common::ErrorCode::kIo);
  EXPECT_NE(read.error().message.find("trailsight-state/3"), std::string::npos)
      << read.error().message;
  EXPECT_NE(read.error().message.find(kNoBroker), std::string::npos);
}

}  // namespace
}  // namespace trailsight::kafka
