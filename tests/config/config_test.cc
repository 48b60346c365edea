#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/config/config_problems.h"

namespace trailsight::config {
namespace {

TEST(LoadConfigTest, EmptyTextGivesTheDefaults) {
  const common::Result<Config> config = LoadConfigText("", "empty.yaml");

  ASSERT_TRUE(config) << config.error().message;
  const Config defaults;
  EXPECT_EQ(config->detector.allowed_lateness, defaults.detector.allowed_lateness);
  EXPECT_EQ(config->detector.warmup, std::chrono::hours{24});
  EXPECT_EQ(config->detector.end_after_quiet_minutes, 2);
  EXPECT_EQ(config->detector.attribution_values, 64u);
  EXPECT_EQ(config->detector.baseline.window_days, 7);
  EXPECT_EQ(config->detector.baseline.p_value, 1e-6);
  EXPECT_EQ(config->input.max_record_bytes, 50u << 20);
  EXPECT_EQ(config->input.dead_letter_path, "trailsight-dead-letters.jsonl");
  EXPECT_EQ(config->input.dead_letter_max_file_bytes, 64u << 20);
  EXPECT_EQ(config->input.dead_letter_keep_files, 4);
  EXPECT_FALSE(config->input.dead_letter_redact);
  EXPECT_EQ(config->outputs.insights, "-");
}

TEST(LoadConfigTest, CommentsOnlyAndEmptySectionsGiveTheDefaults) {
  const common::Result<Config> config = LoadConfigText("# nothing yet\ndetector:\n", "t.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->detector.allowed_lateness, std::chrono::seconds{300});
}

TEST(LoadConfigTest, ReadsEveryField) {
  const common::Result<Config> config = LoadConfigText(R"(
detector:
  allowed_lateness_seconds: 120
  warmup_hours: 36
  end_after_quiet_minutes: 5
  attribution_values: 200
detection:
  sensitivity: 1.0e-7
  min_calls: 10
baseline:
  window_days: 3
  calm_p_value: 0.01
  peak_margin: 2.5
input:
  max_record_bytes: 1048576
  dead_letter_path: /var/lib/trailsight/dead.jsonl
  dead_letter_max_file_bytes: 1048576
  dead_letter_keep_files: 9
  dead_letter_redact: true
outputs:
  insights: /var/lib/trailsight/insights/
)",
                                                       "full.yaml");

  ASSERT_TRUE(config) << config.error().message;
  const detector::DetectorOptions& detector = config->detector;
  EXPECT_EQ(detector.allowed_lateness, std::chrono::seconds{120});
  EXPECT_EQ(detector.warmup, std::chrono::hours{36});
  EXPECT_EQ(detector.end_after_quiet_minutes, 5);
  EXPECT_EQ(detector.attribution_values, 200u);
  EXPECT_EQ(detector.baseline.window_days, 3);
  EXPECT_EQ(detector.baseline.min_calls, 10u);
  EXPECT_DOUBLE_EQ(detector.baseline.p_value, 1e-7);
  EXPECT_DOUBLE_EQ(detector.baseline.calm_p_value, 0.01);
  EXPECT_DOUBLE_EQ(detector.baseline.peak_margin, 2.5);
  EXPECT_EQ(config->input.max_record_bytes, 1048576u);
  EXPECT_EQ(config->input.dead_letter_path, "/var/lib/trailsight/dead.jsonl");
  EXPECT_EQ(config->input.dead_letter_max_file_bytes, 1048576u);
  EXPECT_EQ(config->input.dead_letter_keep_files, 9);
  EXPECT_TRUE(config->input.dead_letter_redact);
  EXPECT_EQ(config->outputs.insights, "/var/lib/trailsight/insights/");
}

TEST(LoadConfigTest, ReportsEveryMistakeWithLineFieldAndSuggestion) {
  const std::vector<std::string> problems = Problems(R"(detector:
  warmup_hour: 12
  allowed_lateness_seconds: five minutes
baseline:
  window_days: 30
  tuning:
    aggressive: true
outputs:
  insights: "-"
)");

  const std::vector<std::string> expected = {
      "test.yaml:2:3: detector.warmup_hour: unknown key; did you mean 'warmup_hours'?",
      "test.yaml:3:29: detector.allowed_lateness_seconds: must be a number",
      "test.yaml:5:16: baseline.window_days: must be between 1 and 7",
      "test.yaml:6:3: baseline.tuning: unknown key; expected one of: calm_p_value, p_value, "
      "peak_margin, window_days",
  };
  EXPECT_EQ(problems, expected);
}

TEST(LoadConfigTest, SuggestsTheSectionAKeyBelongsTo) {
  const std::vector<std::string> problems = Problems("detector:\n  window_days: 3\n");

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(
      problems[0],
      "test.yaml:2:3: detector.window_days: unknown key; did you mean 'baseline.window_days'?");
}

TEST(LoadConfigTest, RejectsUnknownTopLevelSectionsWithoutReadingInside) {
  const std::vector<std::string> problems = Problems("kafak:\n  brokers: [a, b]\nbasline: {}\n");

  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "test.yaml:1:1: kafak: unknown key; did you mean 'kafka'?");
  EXPECT_EQ(problems[1], "test.yaml:3:1: basline: unknown key; did you mean 'baseline'?");
}

TEST(LoadConfigTest, RejectsWrongTypes) {
  const std::vector<std::string> problems = Problems(R"(detector:
  warmup_hours: 1.5
  end_after_quiet_minutes: [1, 2]
baseline:
  peak_margin: .inf
outputs:
  insights:
input: 7
)");

  const std::vector<std::string> expected = {
      "test.yaml:2:17: detector.warmup_hours: must be a whole number",
      "test.yaml:3:28: detector.end_after_quiet_minutes: must be a number",
      "test.yaml:5:16: baseline.peak_margin: must be a number",
      "test.yaml:7:3: outputs.insights: must be a string",
      "test.yaml:8:8: input: must be a section (a mapping of keys)",
  };
  EXPECT_EQ(problems, expected);
}

TEST(LoadConfigTest, ChecksRangesAndRulesBetweenFields) {
  const std::vector<std::string> problems = Problems(R"(detector:
  attribution_values: 4
detection:
  sensitivity: 0.01
  min_calls: 0
baseline:
  calm_p_value: 0.001
input:
  max_record_bytes: 99999999999999999999
  dead_letter_path: ""
)");

  const std::vector<std::string> expected = {
      "test.yaml:2:23: detector.attribution_values: must be between 5 and 100000",
      "test.yaml:5:14: detection.min_calls: must be between 1 and 1000000",
      "test.yaml:7:17: baseline.calm_p_value: must be at least the detection.sensitivity "
      "(0.01): the level that ends an insight cannot be stricter than the one that starts it",
      "test.yaml:9:21: input.max_record_bytes: is too large",
      "test.yaml:10:21: input.dead_letter_path: must not be empty",
  };
  EXPECT_EQ(problems, expected);
}

TEST(LoadConfigTest, BoundsTheDeadLetterFilesAndNamesAWrongRedactSwitch) {
  const std::vector<std::string> problems = Problems(R"(input:
  dead_letter_max_file_bytes: 4096
  dead_letter_keep_files: 0
  dead_letter_redact: sometimes
)");

  const std::vector<std::string> expected = {
      "test.yaml:2:31: input.dead_letter_max_file_bytes: must be between 65536 and "
      "1099511627776",
      "test.yaml:3:27: input.dead_letter_keep_files: must be between 1 and 100",
      "test.yaml:4:23: input.dead_letter_redact: must be true or false",
  };
  EXPECT_EQ(problems, expected);
}

TEST(LoadConfigTest, ProbabilitiesMustLieStrictlyBetweenZeroAndAHalf) {
  EXPECT_EQ(Problems("detection:\n  sensitivity: 0\n"),
            std::vector<std::string>{
                "test.yaml:2:16: detection.sensitivity: must be low, medium, high or a "
                "false-alarm probability greater than 0 and at most 0.01"});
  EXPECT_EQ(Problems("baseline:\n  calm_p_value: 0.5\n"),
            std::vector<std::string>{"test.yaml:2:17: baseline.calm_p_value: must be greater "
                                     "than 0 and less than 0.5"});
}

TEST(LoadConfigTest, ReportsDuplicateKeys) {
  const std::vector<std::string> problems =
      Problems("detector:\n  warmup_hours: 1\n  warmup_hours: 2\n");

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "test.yaml:3:3: detector.warmup_hours: is set twice; only the first value is used");
}

TEST(LoadConfigTest, RejectsADocumentThatIsNotAMapping) {
  const std::vector<std::string> problems = Problems("- detector\n- baseline\n");

  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "test.yaml:1:1: the config must be a mapping of sections (detector:, ...)");
}

TEST(LoadConfigTest, ReportsYamlSyntaxErrorsWithTheirLine) {
  const common::Result<Config> config =
      LoadConfigText("detector:\n  warmup_hours: 1\n  bad: [unclosed\n", "broken.yaml");

  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_TRUE(config.error().message.starts_with("broken.yaml:")) << config.error().message;
  EXPECT_NE(config.error().message.find("YAML syntax error"), std::string::npos);
}

TEST(LoadConfigTest, ReportsTheLineOfABadIndentation) {
  const common::Result<Config> config =
      LoadConfigText("detector:\n  warmup_hours: 1\n end_after_quiet_minutes: 2\n", "indent.yaml");

  ASSERT_FALSE(config);
  EXPECT_TRUE(config.error().message.starts_with("indent.yaml:3:")) << config.error().message;
}

TEST(LoadConfigFileTest, MissingFileNamesThePath) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "no-such-dir" / "trailsight.yaml";

  const common::Result<Config> config = LoadConfigFile(path);

  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, common::ErrorCode::kInvalidConfig);
  EXPECT_TRUE(config.error().message.starts_with(path.string() + ": cannot read config file"))
      << config.error().message;
}

TEST(LoadConfigFileTest, AFolderIsNotAConfigFile) {
  const std::filesystem::path path = ::testing::TempDir();

  const common::Result<Config> config = LoadConfigFile(path);

  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("it is a folder"), std::string::npos)
      << config.error().message;
}

// The limit is 1 MiB: a file of exactly that loads, one byte more (or /dev/zero, which never
// ends) is refused without being read further.
TEST(LoadConfigFileTest, AFileBeyondOneMebibyteIsRefused) {
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / "big.yaml";
  std::string text = "detector:\n  warmup_hours: 1\n#";
  text.resize(kMaxConfigBytes, '#');
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_TRUE(LoadConfigFile(path).has_value());

  std::ofstream(path, std::ios::binary | std::ios::app) << '#';
  const common::Result<Config> big = LoadConfigFile(path);
  const common::Result<Config> endless = LoadConfigFile("/dev/zero");
  std::filesystem::remove(path);

  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message,
            path.string() +
                ": cannot read config file: it is larger than the limit of 1048576 bytes (1 MiB)");
  ASSERT_FALSE(endless);
  EXPECT_EQ(endless.error().message,
            "/dev/zero: cannot read config file: it is larger than the limit of 1048576 bytes "
            "(1 MiB)");
}

TEST(LoadConfigFileTest, NamesTheFileInEveryProblem) {
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / "bad.yaml";
  std::ofstream(path) << "detector:\n  warmup_hours: -1\n";

  const common::Result<Config> config = LoadConfigFile(path);
  std::filesystem::remove(path);

  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            path.string() + ":2:17: detector.warmup_hours: must be between 0 and 720");
}

TEST(LoadConfigFileTest, TheDocumentedExampleLoadsWithItsDefaults) {
  const std::filesystem::path path =
      std::filesystem::path(TRAILSIGHT_SOURCE_DIR) / "config" / "trailsight.yaml";

  const common::Result<Config> config = LoadConfigFile(path);

  ASSERT_TRUE(config) << config.error().message;
  const Config defaults;
  EXPECT_EQ(config->detector.allowed_lateness, defaults.detector.allowed_lateness);
  EXPECT_EQ(config->detector.warmup, defaults.detector.warmup);
  EXPECT_EQ(config->detector.end_after_quiet_minutes, defaults.detector.end_after_quiet_minutes);
  EXPECT_EQ(config->detector.attribution_values, defaults.detector.attribution_values);
  EXPECT_EQ(config->detector.baseline.window_days, defaults.detector.baseline.window_days);
  EXPECT_EQ(config->detector.baseline.min_calls, defaults.detector.baseline.min_calls);
  EXPECT_DOUBLE_EQ(config->detector.baseline.p_value, defaults.detector.baseline.p_value);
  EXPECT_DOUBLE_EQ(config->detector.baseline.calm_p_value, defaults.detector.baseline.calm_p_value);
  EXPECT_DOUBLE_EQ(config->detector.baseline.peak_margin, defaults.detector.baseline.peak_margin);
  EXPECT_EQ(config->input.max_record_bytes, defaults.input.max_record_bytes);
  EXPECT_EQ(config->input.dead_letter_path, defaults.input.dead_letter_path);
  EXPECT_EQ(config->input.dead_letter_max_file_bytes, defaults.input.dead_letter_max_file_bytes);
  EXPECT_EQ(config->input.dead_letter_keep_files, defaults.input.dead_letter_keep_files);
  EXPECT_EQ(config->input.dead_letter_redact, defaults.input.dead_letter_redact);
  EXPECT_EQ(config->input.min_event_time, defaults.input.min_event_time);
  EXPECT_EQ(config->outputs.insights, defaults.outputs.insights);
  EXPECT_EQ(config->outputs.alerts, defaults.outputs.alerts);
  EXPECT_EQ(config->kafka.alerts_topic, defaults.kafka.alerts_topic);
  EXPECT_EQ(config->tamper.enabled, defaults.tamper.enabled);
  EXPECT_EQ(config->tamper.trail_buckets, defaults.tamper.trail_buckets);
  EXPECT_EQ(config->tamper.max_learned_buckets, defaults.tamper.max_learned_buckets);
  EXPECT_TRUE(config->tamper.rules.empty());
  EXPECT_EQ(config->novelty, defaults.novelty) << "the sensitive APIs shown are the default";
}

}  // namespace
}  // namespace trailsight::config

namespace trailsight::config {
namespace {

TEST(LoadConfigTest, ReadsTheKafkaAndStateSections) {
  common::Result<Config> config = LoadConfigText(R"(kafka:
  brokers: 10.0.0.1:9092,10.0.0.2:9092
  topics: [cloudtrail-a, cloudtrail-b]
  properties:
    security.protocol: SASL_SSL
    linger.ms: 5
  future_skew_seconds: 60
state:
  dir: /var/lib/trailsight
  snapshot_interval_seconds: 30
)",
                                                 "test.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->kafka.brokers, "10.0.0.1:9092,10.0.0.2:9092");
  EXPECT_EQ(config->kafka.topics, (std::vector<std::string>{"cloudtrail-a", "cloudtrail-b"}));
  EXPECT_EQ(config->kafka.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config->kafka.properties.at("linger.ms"), "5");
  EXPECT_EQ(config->kafka.future_skew, std::chrono::seconds{60});
  EXPECT_EQ(config->kafka.insights_topic, "trailsight-insights");  // default kept
  EXPECT_EQ(config->state.dir, "/var/lib/trailsight");
  EXPECT_EQ(config->state.snapshot_interval, std::chrono::seconds{30});
}

// Secrets need not sit in the file: a property may name an environment variable or a file,
// and a problem with either names it, never a value.
TEST(LoadConfigTest, APropertyMayComeFromTheEnvironmentOrAFile) {
  const std::filesystem::path secret_file =
      std::filesystem::temp_directory_path() / "trailsight-config-test-jaas";
  std::ofstream(secret_file) << "org.apache.kafka.common.security.scram.ScramLoginModule "
                                "required username=\"bob\" password=\"s3cret\";\n";
  ::setenv("TRAILSIGHT_TEST_SASL_PASSWORD", "hunter2", 1);
  const common::Result<Config> config = LoadConfigText(
      "kafka:\n  properties:\n    sasl.password: ${env:TRAILSIGHT_TEST_SASL_PASSWORD}\n"
      "    sasl.jaas.config: ${file:" +
          secret_file.string() + "}\n    linger.ms: 5\n",
      "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->kafka.properties.at("sasl.password"), "hunter2");
  EXPECT_EQ(config->kafka.properties.at("sasl.jaas.config"),
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"bob\" "
            "password=\"s3cret\";");
  EXPECT_EQ(config->kafka.properties.at("linger.ms"), "5");

  ::unsetenv("TRAILSIGHT_TEST_SASL_PASSWORD");
  std::ofstream(secret_file) << std::string(70 * 1024, 'x');
  EXPECT_EQ(
      Problems("kafka:\n  properties:\n    sasl.password: ${env:TRAILSIGHT_TEST_SASL_PASSWORD}\n"
               "    sasl.jaas.config: ${file:" +
               secret_file.string() +
               "}\n    ssl.key.password: ${file:/nonexistent/key-password}\n"
               "    sasl.username: ${vault:bob}\n"),
      (std::vector<std::string>{
          "test.yaml:3:20: kafka.properties.sasl.password: environment variable "
          "TRAILSIGHT_TEST_SASL_PASSWORD is not set",
          "test.yaml:4:23: kafka.properties.sasl.jaas.config: the file " + secret_file.string() +
              " is larger than 65536 bytes",
          "test.yaml:5:23: kafka.properties.ssl.key.password: cannot read the file "
          "/nonexistent/key-password",
          "test.yaml:6:20: kafka.properties.sasl.username: a reference must be ${env:NAME} or "
          "${file:PATH}"}));
  std::filesystem::remove(secret_file);
}

TEST(LoadConfigTest, RejectsAWrongShapeOfTopicsAndProperties) {
  common::Result<Config> config =
      LoadConfigText("kafka:\n  topics: {a: b}\n  properties: [x]\n", "test.yaml");

  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("test.yaml:2:11: kafka.topics: must be a list of strings"),
            std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("kafka.properties: must be a mapping"), std::string::npos);
}

TEST(LoadConfigTest, NamesTheServicesOwnTopicsAfterTheGroupAndKeepsThemOffTheInput) {
  common::Result<Config> defaults =
      LoadConfigText("kafka:\n  group_id: soc\n  topics: [cloudtrail]\n", "test.yaml");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->kafka.repartition_topic, "soc-repartition");
  EXPECT_EQ(defaults->kafka.changelog_topic, "soc-state-changelog");
  EXPECT_EQ(defaults->kafka.global_topic, "soc-global");

  common::Result<Config> looped = LoadConfigText(
      "kafka:\n  topics: [cloudtrail, mine]\n  repartition_topic: mine\n", "test.yaml");
  ASSERT_FALSE(looped);
  EXPECT_NE(looped.error().message.find(
                "test.yaml:3:22: kafka.repartition_topic: \"mine\" is also an input topic"),
            std::string::npos)
      << looped.error().message;
}

}  // namespace
}  // namespace trailsight::config
