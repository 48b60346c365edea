// LoadConfigText on the alert sections: tamper rules and alert outputs, the lower bound of
// event time, and the novelty rules with their sensitive APIs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "tests/config/config_problems.h"

namespace trailsight::config {
namespace {

TEST(LoadConfigTest, ReadsTheTamperSectionAndTheAlertOutputs) {
  const common::Result<Config> config = LoadConfigText(R"(tamper:
  enabled: false
  trail_buckets: [org-trail-logs, audit-logs]
  max_learned_buckets: 50
  rules:
    - {event_source: iam.amazonaws.com, event_name: DeleteRolePermissionsBoundary}
    - event_source: kms.amazonaws.com
      event_name: ScheduleKeyDeletion
      severity: critical
outputs:
  alerts: alerts.jsonl
kafka:
  alerts_topic: soc-alerts
)",
                                                       "test.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->tamper.enabled);
  EXPECT_EQ(config->tamper.trail_buckets,
            (std::vector<std::string>{"org-trail-logs", "audit-logs"}));
  EXPECT_EQ(config->tamper.max_learned_buckets, 50u);
  ASSERT_EQ(config->tamper.rules.size(), 2u);
  EXPECT_EQ(config->tamper.rules[0].event_source, "iam.amazonaws.com");
  EXPECT_EQ(config->tamper.rules[0].event_name, "DeleteRolePermissionsBoundary");
  EXPECT_EQ(config->tamper.rules[0].severity, common::Severity::kHigh);  // the default
  EXPECT_EQ(config->tamper.rules[1].event_name, "ScheduleKeyDeletion");
  EXPECT_EQ(config->tamper.rules[1].severity, common::Severity::kCritical);
  EXPECT_EQ(config->outputs.alerts, "alerts.jsonl");
  EXPECT_EQ(config->kafka.alerts_topic, "soc-alerts");
}

TEST(LoadConfigTest, ReadsTheMinimumEventTimeAndNamesABadOne) {
  const Config defaults;
  EXPECT_EQ(common::FormatUtcTimestamp(defaults.input.min_event_time), "2013-11-01T00:00:00Z");

  const common::Result<Config> config =
      LoadConfigText("input:\n  min_event_time: \"2020-01-02T03:04:05Z\"\n", "test.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(common::FormatUtcTimestamp(config->input.min_event_time), "2020-01-02T03:04:05Z");
  EXPECT_EQ(Problems("input:\n  min_event_time: yesterday\n"),
            (std::vector<std::string>{
                "test.yaml:2:19: input.min_event_time: must be an RFC 3339 UTC timestamp such "
                "as \"2013-11-01T00:00:00Z\""}));
}

TEST(LoadConfigTest, ReadsTheNoveltySectionAndNamesItsBadFields) {
  const common::Result<Config> config = LoadConfigText(R"(novelty:
  new_region: false
  region_window_days: 14
  warmup_hours: 48
)",
                                                       "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->novelty.new_region);
  EXPECT_EQ(config->novelty.region_window, std::chrono::days{14});
  EXPECT_EQ(config->novelty.warmup, std::chrono::hours{48});
  const Config defaults;
  EXPECT_TRUE(defaults.novelty.new_region);
  EXPECT_EQ(defaults.novelty.region_window, std::chrono::days{28});

  EXPECT_EQ(Problems(R"(novelty:
  new_region: sometimes
  region_window_days: 0
  warmup: 3
)"),
            (std::vector<std::string>{
                "test.yaml:2:15: novelty.new_region: must be true or false",
                "test.yaml:3:23: novelty.region_window_days: must be between 1 and 400",
                "test.yaml:4:3: novelty.warmup: unknown key; expected one of: "
                "first_sensitive_call, many_targets, many_targets_threshold, "
                "many_targets_window_minutes, new_region, region_window_days, sensitive_apis, "
                "sensitive_window_days, warmup_hours"}));
}

TEST(LoadConfigTest, ReadsTheManyTargetsSettingsAndNamesTheirBadFields) {
  const common::Result<Config> config = LoadConfigText(R"(novelty:
  many_targets: false
  many_targets_threshold: 5
  many_targets_window_minutes: 30
)",
                                                       "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->novelty.many_targets,
            (detector::ManyTargetsOptions{
                .enabled = false, .threshold = 5, .window = std::chrono::minutes{30}}));
  const Config defaults;
  EXPECT_EQ(defaults.novelty.many_targets,
            (detector::ManyTargetsOptions{
                .enabled = true, .threshold = 10, .window = std::chrono::minutes{10}}));

  EXPECT_EQ(Problems(R"(novelty:
  many_targets: maybe
  many_targets_threshold: 1
  many_targets_window_minutes: 1441
)"),
            (std::vector<std::string>{
                "test.yaml:2:17: novelty.many_targets: must be true or false",
                "test.yaml:3:27: novelty.many_targets_threshold: must be between 2 and 1000",
                "test.yaml:4:32: novelty.many_targets_window_minutes: must be between 1 and "
                "1440"}));
  EXPECT_EQ(Problems("novelty:\n  many_targets_threshold: 1001\n"),
            (std::vector<std::string>{
                "test.yaml:2:27: novelty.many_targets_threshold: must be between 2 and 1000"}));
}

TEST(LoadConfigTest, ReadsTheSensitiveApisAndNamesTheLineOfABadOne) {
  const common::Result<Config> config = LoadConfigText(R"(novelty:
  first_sensitive_call: false
  sensitive_window_days: 90
  sensitive_apis:
    - iam.amazonaws.com:DeleteRole
    - kms.amazonaws.com:ScheduleKeyDeletion
)",
                                                       "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->novelty.first_sensitive_call);
  EXPECT_EQ(config->novelty.sensitive_window, std::chrono::days{90});
  EXPECT_EQ(config->novelty.sensitive_apis,
            (std::vector<detector::SensitiveApi>{{"iam.amazonaws.com", "DeleteRole"},
                                                 {"kms.amazonaws.com", "ScheduleKeyDeletion"}}));
  const Config defaults;
  EXPECT_TRUE(defaults.novelty.first_sensitive_call);
  EXPECT_EQ(defaults.novelty.sensitive_window, std::chrono::days{28});
  EXPECT_NE(
      std::find(defaults.novelty.sensitive_apis.begin(), defaults.novelty.sensitive_apis.end(),
                detector::SensitiveApi{"iam.amazonaws.com", "AttachUserPolicy"}),
      defaults.novelty.sensitive_apis.end());
  EXPECT_EQ(
      std::find(defaults.novelty.sensitive_apis.begin(), defaults.novelty.sensitive_apis.end(),
                detector::SensitiveApi{"secretsmanager.amazonaws.com", "GetSecretValue"}),
      defaults.novelty.sensitive_apis.end())
      << "too common to be news";

  EXPECT_EQ(Problems(R"(novelty:
  sensitive_window_days: 401
  sensitive_apis:
    - iam.amazonaws.com:CreateUser
    - iam:AttachUserPolicy
    - kms.amazonaws.com
  sensitive_api: []
)"),
            (std::vector<std::string>{
                "test.yaml:2:26: novelty.sensitive_window_days: must be between 1 and 400",
                "test.yaml:5:7: novelty.sensitive_apis.1: \"iam:AttachUserPolicy\" must be "
                "eventSource:eventName, e.g. \"iam.amazonaws.com:AttachUserPolicy\"",
                "test.yaml:6:7: novelty.sensitive_apis.2: \"kms.amazonaws.com\" must be "
                "eventSource:eventName, e.g. \"iam.amazonaws.com:AttachUserPolicy\"",
                "test.yaml:7:3: novelty.sensitive_api: unknown key; did you mean "
                "'sensitive_apis'?"}));
}

TEST(LoadConfigTest, NamesTheLineAndFieldOfEveryBadTamperRule) {
  const std::vector<std::string> problems = Problems(R"(tamper:
  enabled: maybe
  rules:
    - {event_source: iam.amazonaws.com, event_name: DeleteRole, severity: urgent}
    - {event_source: iam.amazonaws.com}
    - {event_source: iam, event_name: DeleteUser, sevrity: low}
    - DeleteTrail
)");

  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "test.yaml:2:12: tamper.enabled: must be true or false",
                "test.yaml:4:75: tamper.rules.0.severity: must be one of informational, low, "
                "medium, high, critical",
                "test.yaml:5:7: tamper.rules.1: event_name is required: the call's eventName, "
                "e.g. \"DeleteRole\"",
                "test.yaml:6:22: tamper.rules.2.event_source: must be an eventSource such as "
                "\"iam.amazonaws.com\"",
                "test.yaml:6:51: tamper.rules.2.sevrity: unknown key; did you mean "
                "'severity'?",
                "test.yaml:7:7: tamper.rules.3: must be a mapping",
                "test.yaml:7:7: tamper.rules.3: event_source is required: the service's "
                "eventSource, e.g. \"iam.amazonaws.com\"",
                "test.yaml:7:7: tamper.rules.3: event_name is required: the call's eventName, "
                "e.g. \"DeleteRole\"",
            }));
}

TEST(LoadConfigTest, RefusesTamperRulesThatAreNotAList) {
  EXPECT_EQ(Problems("tamper:\n  rules: StopLogging\n"),
            (std::vector<std::string>{"test.yaml:2:10: tamper.rules: must be a list"}));
}

}  // namespace
}  // namespace trailsight::config
