// The `detection:` section: sensitivity, windows, insight types, overrides, exclusions,
// criticality and suppressions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace trailsight::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::vector<std::string> ProblemLines(std::string_view yaml) {
  const common::Result<Config> config = LoadConfigText(yaml, "test.yaml");
  if (config) return {};
  std::vector<std::string> lines;
  std::size_t begin = 0;
  const std::string& text = config.error().message;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

TEST(DetectionSectionTest, AbsentGivesTheDefaultTuning) {
  const common::Result<Config> config = LoadConfigText("", "empty.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tuning, detector::Tuning{});
  EXPECT_DOUBLE_EQ(config->detector.baseline.p_value, detector::kMediumSensitivity);
  EXPECT_EQ(config->detector.baseline.min_calls, 5u);
}

TEST(DetectionSectionTest, ReadsEveryField) {
  const common::Result<Config> config = LoadConfigText(R"(detection:
  sensitivity: high
  min_calls: 8
  windows: [1, 15]
  call_rate: true
  error_rate: false
  read_call_rate: true
  data_events: true
  overrides:
    - event_source: ec2.amazonaws.com
      event_name: "Run*"
      account: "1111*"
      region: eu-west-1
      sensitivity: 1.0e-9
      min_calls: 40
      windows: [5, 60]
    - {event_source: "/(sts|sso)\\.amazonaws\\.com/", disabled: true}
  exclusions:
    - principal: "arn:aws:sts::*:assumed-role/ci-deployer"
    - {user_agent: "*terraform*", mode: not_alerted}
  criticality:
    - {event_source: iam.amazonaws.com, severity: high}
  suppressions:
    - event_source: ec2.amazonaws.com
      principal: "*:assumed-role/patch-bot"
      weekdays: [Sat, sunday]
      from: "23:00"
      to: "01:30"
      reason: weekly patching
)",
                                                       "full.yaml");

  ASSERT_TRUE(config) << config.error().message;
  const detector::Tuning& tuning = config->tuning;
  EXPECT_DOUBLE_EQ(tuning.p_value, 1e-4);
  EXPECT_DOUBLE_EQ(config->detector.baseline.p_value, 1e-4);  // what the baseline uses
  EXPECT_EQ(tuning.min_calls, 8u);
  EXPECT_EQ(config->detector.baseline.min_calls, 8u);
  EXPECT_EQ(tuning.windows, (std::vector<int>{1, 15}));
  EXPECT_TRUE(tuning.call_rate);
  EXPECT_FALSE(tuning.error_rate);
  EXPECT_TRUE(tuning.read_call_rate);
  EXPECT_TRUE(tuning.data_events);

  ASSERT_EQ(tuning.overrides.size(), 2u);
  const detector::ApiOverride& run = tuning.overrides[0];
  EXPECT_EQ(run.match, (detector::ApiPattern{"ec2.amazonaws.com", "Run*", "1111*", "eu-west-1"}));
  EXPECT_EQ(run.p_value, 1e-9);
  EXPECT_EQ(run.min_calls, 40u);
  EXPECT_EQ(run.windows, (std::vector<int>{5, 60}));
  EXPECT_FALSE(run.disabled);
  EXPECT_EQ(tuning.overrides[1].match.event_source, "/(sts|sso)\\.amazonaws\\.com/");
  EXPECT_TRUE(tuning.overrides[1].disabled);
  EXPECT_FALSE(tuning.overrides[1].p_value);
  EXPECT_FALSE(tuning.overrides[1].min_calls);
  EXPECT_FALSE(tuning.overrides[1].windows);

  ASSERT_EQ(tuning.exclusions.size(), 2u);
  EXPECT_EQ(tuning.exclusions[0].principal, "arn:aws:sts::*:assumed-role/ci-deployer");
  EXPECT_EQ(tuning.exclusions[0].user_agent, "*");
  EXPECT_EQ(tuning.exclusions[0].mode, detector::ExclusionMode::kNotCounted);
  EXPECT_EQ(tuning.exclusions[1].mode, detector::ExclusionMode::kNotAlerted);

  ASSERT_EQ(tuning.criticality.size(), 1u);
  EXPECT_EQ(tuning.criticality[0].severity, common::Severity::kHigh);

  ASSERT_EQ(tuning.suppressions.size(), 1u);
  const detector::Suppression& patching = tuning.suppressions[0];
  EXPECT_EQ(patching.principal, "*:assumed-role/patch-bot");
  EXPECT_EQ(patching.weekdays, (std::vector<int>{5, 6}));
  EXPECT_EQ(patching.from, hours{23});
  EXPECT_EQ(patching.to, hours{1} + minutes{30});
  EXPECT_EQ(patching.reason, "weekly patching");
  EXPECT_TRUE(detector::CompiledTuning::Compile(tuning));
}

TEST(DetectionSectionTest, SensitivityIsANamedLevelOrANumber) {
  const auto p_value = [](std::string_view value) {
    const common::Result<Config> config = LoadConfigText(
        fmt::format("detection:\n  sensitivity: {}\nbaseline:\n  calm_p_value: 0.01\n", value),
        "t.yaml");
    return config ? config->tuning.p_value : -1.0;
  };

  EXPECT_DOUBLE_EQ(p_value("low"), 1e-8);
  EXPECT_DOUBLE_EQ(p_value("medium"), 1e-6);
  EXPECT_DOUBLE_EQ(p_value("high"), 1e-4);
  EXPECT_DOUBLE_EQ(p_value("3.0e-7"), 3e-7);
  EXPECT_DOUBLE_EQ(p_value("0.01"), 0.01);
  EXPECT_EQ(p_value("0.02"), -1.0);
  EXPECT_EQ(p_value("0"), -1.0);
  EXPECT_EQ(p_value("extreme"), -1.0);
}

TEST(DetectionSectionTest, EveryMistakeIsNamedWithItsLine) {
  const std::vector<std::string> problems = ProblemLines(R"(detection:
  sensitivity: extreme
  windows: [1, 30]
  read_call_rate: sometimes
  overrides:
    - {event_name: "Delete[Bucket", min_calls: 3}
    - {event_source: ec2.amazonaws.com}
    - {event_name: RunInstances, min_cals: 9}
  exclusions:
    - {mode: not_counted}
    - {principal: "/(unclosed/", mode: ignore}
  criticality:
    - {event_source: iam.amazonaws.com, severity: urgent}
    - {event_source: kms.amazonaws.com}
  suppressions:
    - {weekdays: [sat, caturday], from: "25:00", to: "02:00"}
    - {from: "02:00"}
)");

  const std::vector<std::string> expected = {
      "test.yaml:2:16: detection.sensitivity: must be low, medium, high or a false-alarm "
      "probability greater than 0 and at most 0.01",
      "test.yaml:3:12: detection.windows: every window must be 1, 5, 15 or 60 (minutes)",
      "test.yaml:4:19: detection.read_call_rate: must be true or false",
      "test.yaml:6:20: detection.overrides.0.event_name: bad pattern \"Delete[Bucket\": '[' at "
      "position 7 is never closed by ']' (write \"[[]\" for a '[')",
      "test.yaml:7:7: detection.overrides.1: changes nothing: set sensitivity, min_calls, "
      "windows or disabled: true",
      "test.yaml:8:7: detection.overrides.2: changes nothing: set sensitivity, min_calls, "
      "windows or disabled: true",
      "test.yaml:8:34: detection.overrides.2.min_cals: unknown key; did you mean 'min_calls'?",
      "test.yaml:10:7: detection.exclusions.0: would exclude every caller: set principal, "
      "user_agent or both",
      "test.yaml:11:19: detection.exclusions.1.principal: bad pattern \"/(unclosed/\": not a "
      "valid regex: " +
          std::string(),  // the rest is std::regex's own words; checked by prefix below
      "test.yaml:11:40: detection.exclusions.1.mode: must be not_counted (calls ignored) or "
      "not_alerted (counted, never alerted)",
      "test.yaml:13:51: detection.criticality.0.severity: must be one of informational, low, "
      "medium, high, critical",
      "test.yaml:14:7: detection.criticality.1: severity is required: one of informational, "
      "low, medium, high, critical",
      "test.yaml:16:18: detection.suppressions.0.weekdays: \"caturday\" is not a day: use mon, "
      "tue, wed, thu, fri, sat, sun",
      "test.yaml:16:41: detection.suppressions.0.from: must be a UTC time of day from \"00:00\" "
      "to \"23:59\"",
      "test.yaml:17:7: detection.suppressions.1: to is required: a UTC time of day such as "
      "\"02:30\"",
  };
  ASSERT_EQ(problems.size(), expected.size()) << ::testing::PrintToString(problems);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(problems[i].starts_with(expected[i])) << problems[i] << "\nexpected\n"
                                                      << expected[i];
  }
}

TEST(DetectionSectionTest, TheKeysItReplacedPointToTheirNewPlace) {
  EXPECT_EQ(
      ProblemLines("baseline:\n  p_value: 1.0e-7\n"),
      std::vector<std::string>{
          "test.yaml:2:12: baseline.p_value: has moved: write detection.sensitivity instead"});
  EXPECT_EQ(ProblemLines("baseline:\n  min_calls: 3\n"),  // found by "did you mean"
            std::vector<std::string>{"test.yaml:2:3: baseline.min_calls: unknown key; did you "
                                     "mean 'detection.min_calls'?"});
}

TEST(DetectionSectionTest, TheCalmLevelCannotBeStricterThanTheSensitivity) {
  EXPECT_EQ(ProblemLines("detection:\n  sensitivity: 0.005\n"),
            std::vector<std::string>{
                "test.yaml: baseline.calm_p_value: must be at least the detection.sensitivity "
                "(0.005): the level that ends an insight cannot be stricter than the one that "
                "starts it"});
}

}  // namespace
}  // namespace trailsight::config
