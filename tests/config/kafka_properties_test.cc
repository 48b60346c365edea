// kafka.properties that would weaken delivery or exactly-once, or that the service sets from
// other keys, and those the given check (librdkafka) refuses are config problems at load,
// named by file, line and property, never by value.
#include "config/kafka_properties.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace trailsight::config {
namespace {

// The problems a config text produces, one per line; empty when it loads.
std::vector<std::string> PropertyProblems(const std::string& yaml) {
  const common::Result<Config> config = LoadConfigText(yaml, "test.yaml");
  if (config) return {};
  EXPECT_EQ(config.error().code, common::ErrorCode::kInvalidConfig);
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin <= config.error().message.size()) {
    const std::size_t end =
        std::min(config.error().message.find('\n', begin), config.error().message.size());
    lines.push_back(config.error().message.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

TEST(ServicePropertyProblemTest, RefusesEveryPropertyThatWeakensDeliveryAtItsLine) {
  const std::vector<std::string> problems = PropertyProblems(R"(kafka:
  properties:
    acks: 1
    enable.idempotence: false
    enable.auto.commit: true
    enable.auto.offset.store: true
    isolation.level: read_uncommitted
    auto.offset.reset: latest
    enable.partition.eof: false
    allow.auto.create.topics: true
    transactional.id: trailsight-1
    group.id: other
    bootstrap.servers: kafka-1:9092
    linger.ms: 5
)");

  const std::vector<std::string> expected_starts = {
      "test.yaml:3:11: kafka.properties.acks: must be all (or -1): ",
      "test.yaml:4:25: kafka.properties.enable.idempotence: must be true: ",
      "test.yaml:5:25: kafka.properties.enable.auto.commit: must be false: ",
      "test.yaml:6:31: kafka.properties.enable.auto.offset.store: must be false: ",
      "test.yaml:7:22: kafka.properties.isolation.level: must be read_committed: ",
      "test.yaml:8:24: kafka.properties.auto.offset.reset: must be earliest: ",
      "test.yaml:9:27: kafka.properties.enable.partition.eof: must be true: ",
      "test.yaml:10:31: kafka.properties.allow.auto.create.topics: must be false: ",
      "test.yaml:11:23: kafka.properties.transactional.id: is set by the service, one per "
      "instance",
      "test.yaml:12:15: kafka.properties.group.id: is set by the service from kafka.group_id",
      "test.yaml:13:24: kafka.properties.bootstrap.servers: is set by the service from "
      "kafka.brokers"};
  ASSERT_EQ(problems.size(), expected_starts.size()) << ::testing::PrintToString(problems);
  for (std::size_t i = 0; i < problems.size(); ++i) {
    EXPECT_TRUE(problems[i].starts_with(expected_starts[i])) << problems[i];
  }
}

// librdkafka reads "topic.NAME" as NAME, has aliases, and reads enums and booleans without
// regard to case: none of these is a way around the rules.
TEST(ServicePropertyProblemTest, SeesThroughLibrdkafkasAliasesAndSpellings) {
  EXPECT_NE(ServicePropertyProblem("topic.acks", "0"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("request.required.acks", "1"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("topic.auto.offset.reset", "end"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("auto.commit.enable", "TRUE"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("topic.enable.auto.commit", "t"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("enable.idempotence", "0"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("isolation.level", "READ_UNCOMMITTED"), std::nullopt);
  EXPECT_NE(ServicePropertyProblem("metadata.broker.list", "kafka-1:9092"), std::nullopt);
}

TEST(ServicePropertyProblemTest, AcceptsTheValuesTheServiceNeedsInAnySpelling) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"acks", "all"},
                                                        {"acks", "-1"},
                                                        {"topic.acks", "ALL"},
                                                        {"enable.idempotence", "True"},
                                                        {"enable.auto.commit", "false"},
                                                        {"enable.auto.offset.store", "0"},
                                                        {"isolation.level", "read_committed"},
                                                        {"auto.offset.reset", "smallest"},
                                                        {"enable.partition.eof", "t"},
                                                        {"allow.auto.create.topics", "false"},
                                                        {"linger.ms", "5"},
                                                        {"security.protocol", "SASL_SSL"}}) {
    EXPECT_EQ(ServicePropertyProblem(name, value), std::nullopt) << name << "=" << value;
  }
}

// A value from the environment is checked once resolved, and not shown either.
TEST(ServicePropertyProblemTest, ChecksTheResolvedValueAndNeverShowsIt) {
  const std::string yaml =
      "kafka:\n  properties:\n    auto.offset.reset: ${env:TRAILSIGHT_TEST_RESET}\n";
  ::setenv("TRAILSIGHT_TEST_RESET", "earliest", 1);
  const std::vector<std::string> accepted = PropertyProblems(yaml);
  ::setenv("TRAILSIGHT_TEST_RESET", "latest", 1);
  const std::vector<std::string> refused = PropertyProblems(yaml);
  ::unsetenv("TRAILSIGHT_TEST_RESET");

  EXPECT_TRUE(accepted.empty()) << ::testing::PrintToString(accepted);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_TRUE(refused[0].starts_with(
      "test.yaml:3:24: kafka.properties.auto.offset.reset: must be earliest"))
      << refused[0];
  EXPECT_EQ(refused[0].find("latest"), std::string::npos) << refused[0];
}

// A stand-in for librdkafka: it knows two properties and takes linger.ms as a number only.
KafkaPropertyCheck FakeLibrdkafka() {
  return {.refusal = [](const std::string& name,
                        const std::string& value) -> std::optional<std::string> {
            if (name != "sasl.password" && name != "linger.ms") {
              return "librdkafka has no such property";
            }
            if (name == "linger.ms" && value != "5") return "librdkafka refuses the value";
            return std::nullopt;
          },
          .known_names = {"sasl.password", "linger.ms"}};
}

TEST(LibrdkafkaPropertyProblemTest, ReportsEachRefusalAtItsLineWithTheNameMeant) {
  const common::Result<Config> config = LoadConfigText(
      "kafka:\n  properties:\n    sasl.pasword: hunter2secret\n    linger.ms: hunter2secret\n"
      "    sasl.password: hunter2secret\n    acks: 0\n",
      "test.yaml", FakeLibrdkafka());

  ASSERT_FALSE(config);
  const std::string& message = config.error().message;
  EXPECT_TRUE(message.starts_with(
      "test.yaml:3:19: kafka.properties.sasl.pasword: librdkafka has no such property; did you "
      "mean 'sasl.password'?\n"
      "test.yaml:4:16: kafka.properties.linger.ms: librdkafka refuses the value\n"
      // The service's rule comes first: librdkafka would take it.
      "test.yaml:6:11: kafka.properties.acks: must be all (or -1): "))
      << message;
  EXPECT_EQ(message.find('\n', message.rfind("acks")), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

// replay and the analyst commands load the file without asking librdkafka.
TEST(LibrdkafkaPropertyProblemTest, AsksNothingWithoutACheck) {
  const common::Result<Config> config =
      LoadConfigText("kafka:\n  properties:\n    sasl.pasword: hunter2secret\n", "test.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->kafka.properties.at("sasl.pasword"), "hunter2secret");
}

}  // namespace
}  // namespace trailsight::config
