// `trailsight validate-config FILE`, run as an operator would.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Outcome Validate(const fs::path& config) {
  // `timeout` turns a hang into status 124 instead of a stuck test. Named after the test: ctest
  // runs the tests of this file in parallel.
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const fs::path out = fs::path(::testing::TempDir()) / (name + ".out");
  const fs::path err = fs::path(::testing::TempDir()) / (name + ".err");
  const std::string command =
      fmt::format("timeout 60 '{}' validate-config '{}' >'{}' 2>'{}'", TRAILSIGHT_BINARY,
                  config.string(), out.string(), err.string());
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
}

TEST(ValidateConfigTest, ListsEveryMistakeWithItsLineAndExitsTwo) {
  const fs::path config = fs::path(::testing::TempDir()) / "mistakes.yaml";
  std::ofstream(config) << R"(detection:
  sensitivty: high
  min_calls: lots
  windows: [1, 30]
  overrides:
    - {event_name: "Delete[Bucket", disabled: true}
baseline:
  window_days: 30
)";

  const Outcome outcome = Validate(config);

  EXPECT_EQ(outcome.status, 2);
  const std::string file = config.string();
  EXPECT_EQ(
      outcome.err,
      fmt::format("{0}:2:3: detection.sensitivty: unknown key; did you mean 'sensitivity'?\n"
                  "{0}:3:14: detection.min_calls: must be a number\n"
                  "{0}:4:12: detection.windows: every window must be 1, 5, 15 or 60 (minutes)\n"
                  "{0}:6:20: detection.overrides.0.event_name: bad pattern \"Delete[Bucket\": '[' "
                  "at position 7 is never closed by ']' (write \"[[]\" for a '[')\n"
                  "{0}:8:16: baseline.window_days: must be between 1 and 7\n",
                  file));
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
}

// Every kafka.properties entry is set on a librdkafka configuration: an unknown name or a
// value librdkafka refuses is a problem at its line, named, with the reason in words that never
// hold the value (a typo of a password property holds the password).
TEST(ValidateConfigTest, NamesEachPropertyLibrdkafkaRefusesButNeverItsValue) {
  const fs::path config = fs::path(::testing::TempDir()) / "refused-properties.yaml";
  std::ofstream(config) << R"(kafka:
  properties:
    sasl.pasword: hunter2secret
    security.protocol: hunter2secret
    linger.ms: ${env:TRAILSIGHT_TEST_LINGER}
    enable.idempotence: false
    sasl.password: hunter2secret
)";
  ::setenv("TRAILSIGHT_TEST_LINGER", "hunter2secret", 1);

  const Outcome outcome = Validate(config);

  ::unsetenv("TRAILSIGHT_TEST_LINGER");
  EXPECT_EQ(outcome.status, 2);
  const std::string file = config.string();
  EXPECT_TRUE(outcome.err.starts_with(fmt::format(
      "{0}:3:19: kafka.properties.sasl.pasword: librdkafka has no such property; did you mean "
      "'sasl.password'?\n"
      "{0}:4:24: kafka.properties.security.protocol: librdkafka refuses the value (allowed: "
      "plaintext, ssl, sasl_plaintext, sasl_ssl)\n"
      "{0}:5:16: kafka.properties.linger.ms: librdkafka refuses the value (allowed: 0 .. "
      "900000)\n"
      "{0}:6:25: kafka.properties.enable.idempotence: must be true: ",
      file)))
      << outcome.err;
  EXPECT_EQ(outcome.err.find("hunter2"), std::string::npos) << outcome.err;
  EXPECT_EQ(outcome.out.find("hunter2"), std::string::npos) << outcome.out;
}

TEST(ValidateConfigTest, PropertiesLibrdkafkaTakesAreValid) {
  const fs::path config = fs::path(::testing::TempDir()) / "security-properties.yaml";
  std::ofstream(config) << R"(kafka:
  properties:
    security.protocol: SASL_SSL
    sasl.mechanism: SCRAM-SHA-512
    sasl.username: trailsight
    sasl.password: hunter2secret
    acks: all
    linger.ms: 5
)";

  const Outcome outcome = Validate(config);

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(outcome.out, config.string() + ": ok\n");
}

TEST(ValidateConfigTest, TheDocumentedExampleIsValid) {
  const fs::path config = fs::path(TRAILSIGHT_SOURCE_DIR) / "config" / "trailsight.yaml";

  const Outcome outcome = Validate(config);

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(outcome.out, config.string() + ": ok\n");
}

// A config file larger than 1 MiB (an endless device, a log given by mistake) is refused at
// once, naming the file and the limit, by validate-config and by the commands that load one.
TEST(ValidateConfigTest, RefusesAnEndlessOrHugeFileAtOnce) {
  const fs::path huge = fs::path(::testing::TempDir()) / "huge.yaml";
  {
    std::ofstream out(huge);
    out << "detection:\n  sensitivity: high\n";
    out << std::string((1u << 20), '#') << "\n";  // a comment: valid YAML, too large
  }
  for (const fs::path& config : {fs::path("/dev/zero"), huge}) {
    SCOPED_TRACE(config.string());
    const std::string expected = fmt::format(
        "{}: cannot read config file: it is larger than the limit of 1048576 bytes (1 MiB)\n",
        config.string());

    const Outcome outcome = Validate(config);

    EXPECT_EQ(outcome.status, 2);
    EXPECT_EQ(outcome.err, expected);
    EXPECT_TRUE(outcome.out.empty()) << outcome.out;

    const fs::path err = fs::path(::testing::TempDir()) / "huge-replay.err";
    // `timeout` turns a hang into status 124 instead of a stuck test.
    const int status =
        std::system(fmt::format("timeout 20 '{}' replay --config '{}' /dev/null >/dev/null 2>'{}'",
                                TRAILSIGHT_BINARY, config.string(), err.string())
                        .c_str());
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_EQ(Slurp(err), expected);
  }
}

}  // namespace
