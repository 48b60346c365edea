#include "app/config_reload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr std::string_view kEc2 = "ec2.amazonaws.com";
constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kRegion = "us-east-1";

config::Config Load(std::string_view yaml) {
  common::Result<config::Config> config = config::LoadConfigText(yaml, "test.yaml");
  EXPECT_TRUE(config) << config.error().message;
  return config ? *std::move(config) : config::Config{};
}

std::vector<std::string> Texts(const ReloadDecision& decision, ReloadNote::Level level) {
  std::vector<std::string> texts;
  for (const ReloadNote& note : decision.notes) {
    if (note.level == level) texts.push_back(note.text);
  }
  return texts;
}

TEST(DecideReloadTest, AcceptsNewThresholdsAndOverrides) {
  const config::Config previous = Load("detection:\n  sensitivity: medium\n");

  const ReloadDecision decision = DecideReload(previous, config::LoadConfigText(R"(detection:
  sensitivity: high
  overrides:
    - {event_source: ec2.amazonaws.com, event_name: RunInstances, min_calls: 50}
)",
                                                                                "test.yaml"));

  ASSERT_TRUE(decision.tuning);
  ASSERT_TRUE(decision.file_config);
  EXPECT_DOUBLE_EQ(decision.tuning->ForKey(kEc2, "StopInstances", kAccount, kRegion).p_value, 1e-4);
  EXPECT_EQ(decision.tuning->ForKey(kEc2, "RunInstances", kAccount, kRegion).min_calls, 50u);
  EXPECT_EQ(decision.tuning->ForKey(kEc2, "StopInstances", kAccount, kRegion).min_calls, 5u);
  EXPECT_TRUE(Texts(decision, ReloadNote::Level::kWarning).empty());
  EXPECT_EQ(
      Texts(decision, ReloadNote::Level::kInfo),
      std::vector<std::string>{
          "config: reloaded detection: sensitivity 1e-06 -> 0.0001, overrides 0 -> 1 entries"});
}

TEST(DecideReloadTest, AppliesANewNoveltySection) {
  const config::Config previous = Load("novelty:\n  new_region: true\n");

  const ReloadDecision same = DecideReload(previous, config::LoadConfigText("", "test.yaml"));
  EXPECT_FALSE(same.novelty.has_value()) << "unchanged: nothing to apply";
  const ReloadDecision decision = DecideReload(
      previous, config::LoadConfigText("novelty:\n  new_region: false\n", "test.yaml"));

  ASSERT_TRUE(decision.novelty.has_value());
  EXPECT_FALSE(decision.novelty->new_region);
  EXPECT_TRUE(Texts(decision, ReloadNote::Level::kWarning).empty()) << "no restart needed";
  const std::vector<std::string> notes = Texts(decision, ReloadNote::Level::kInfo);
  EXPECT_NE(std::find(notes.begin(), notes.end(),
                      "config: reloaded novelty: new-region alerts off, window 28 days, warm-up "
                      "168 hours, first-sensitive-call alerts on, window 28 days, 24 sensitive "
                      "APIs, many-targets alerts on at 10 targets in 10 minutes (the account "
                      "facts learned so far are kept)"),
            notes.end());
}

TEST(DecideReloadTest, AppliesNewSensitiveApisWithoutARestart) {
  const config::Config previous = Load("");

  const ReloadDecision decision = DecideReload(previous, config::LoadConfigText(R"(novelty:
  sensitive_window_days: 7
  sensitive_apis: ["iam.amazonaws.com:DeleteRole"]
)",
                                                                                "test.yaml"));

  ASSERT_TRUE(decision.novelty.has_value());
  EXPECT_EQ(decision.novelty->sensitive_window, std::chrono::days{7});
  ASSERT_EQ(decision.novelty->sensitive_apis.size(), 1u);
  EXPECT_EQ(decision.novelty->sensitive_apis[0].event_name, "DeleteRole");
  EXPECT_TRUE(Texts(decision, ReloadNote::Level::kWarning).empty()) << "no restart needed";
}

TEST(DecideReloadTest, NamesFieldsThatNeedARestart) {
  const config::Config previous = Load("kafka:\n  brokers: a:9092\n");

  const ReloadDecision decision = DecideReload(previous, config::LoadConfigText(R"(kafka:
  brokers: b:9092
  properties: {sasl.password: s3cret}
state:
  dir: /elsewhere
detector:
  allowed_lateness_seconds: 60
  max_time_jump_hours: 48
input:
  dead_letter_redact: true
detection:
  min_calls: 9
)",
                                                                                "test.yaml"));

  ASSERT_TRUE(decision.tuning);
  EXPECT_EQ(decision.tuning->tuning().min_calls, 9u);
  const std::vector<std::string> warnings = Texts(decision, ReloadNote::Level::kWarning);
  const auto suffix =
      std::string(" changed; it needs a restart, the running value stays until then");
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "config: detector.allowed_lateness_seconds" + suffix,
                          "config: detector.max_time_jump_hours" + suffix,
                          "config: input.dead_letter_redact" + suffix,
                          "config: kafka.brokers" + suffix,
                          "config: kafka.properties" + suffix,
                          "config: state.dir" + suffix,
                      }));
  for (const std::string& warning : warnings) {
    EXPECT_EQ(warning.find("s3cret"), std::string::npos);  // values are never logged
  }
}

TEST(DecideReloadTest, AppliesANewTamperSectionWithoutARestart) {
  const config::Config previous = Load("tamper:\n  trail_buckets: [old-logs]\n");

  const ReloadDecision decision = DecideReload(previous, config::LoadConfigText(R"(tamper:
  trail_buckets: [org-trail-logs]
  rules:
    - {event_source: iam.amazonaws.com, event_name: DeleteRolePermissionsBoundary}
)",
                                                                                "test.yaml"));

  ASSERT_TRUE(decision.tamper);
  EXPECT_EQ(decision.tamper->trail_buckets, std::vector<std::string>{"org-trail-logs"});
  ASSERT_EQ(decision.tamper->rules.size(), 1u);
  EXPECT_EQ(decision.tamper->rules[0].event_name, "DeleteRolePermissionsBoundary");
  EXPECT_TRUE(Texts(decision, ReloadNote::Level::kWarning).empty());
  EXPECT_EQ(Texts(decision, ReloadNote::Level::kInfo).back(),
            "config: reloaded tamper: enabled, 1 configured rules, 1 configured trail buckets, at "
            "most 10000 learned (those learned so far are kept)");

  const ReloadDecision unchanged = DecideReload(
      previous, config::LoadConfigText("tamper:\n  trail_buckets: [old-logs]\n", "test.yaml"));
  EXPECT_FALSE(unchanged.tamper);
}

TEST(DecideReloadTest, RefusesAnInvalidFileWithEveryProblem) {
  const config::Config previous = Load("detection:\n  sensitivity: high\n");

  const ReloadDecision decision = DecideReload(previous, config::LoadConfigText(R"(detection:
  sensitivty: low
  overrides:
    - {event_name: "Delete[Bucket", disabled: true}
)",
                                                                                "test.yaml"));

  EXPECT_FALSE(decision.tuning);
  EXPECT_FALSE(decision.file_config);
  const std::vector<std::string> errors = Texts(decision, ReloadNote::Level::kError);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "config: reload refused, the running config stays; problems:");
  EXPECT_TRUE(
      errors[1].starts_with("test.yaml:2:3: detection.sensitivty: unknown key; did you "
                            "mean 'sensitivity'?"))
      << errors[1];
  EXPECT_TRUE(
      errors[2].starts_with("test.yaml:4:20: detection.overrides.0.event_name: bad pattern"))
      << errors[2];
}

class ConfigReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        fs::path(::testing::TempDir()) /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    Write("detection:\n  sensitivity: medium\n");
  }
  void TearDown() override { fs::remove(path_); }

  // Writes the file and moves its modification time on, as an editor's save would.
  void Write(std::string_view text) {
    std::ofstream(path_, std::ios::trunc) << text;
    fs::last_write_time(path_, fs::file_time_type::clock::now() + seconds{++saves_});
  }

  fs::path path_;
  int saves_ = 0;
  const ConfigReloader::Clock::time_point start_{};
};

TEST_F(ConfigReloaderTest, ReloadsWhenTheFileChangesLookingEveryFewSeconds) {
  ConfigReloader reloader(path_, Load("detection:\n  sensitivity: medium\n"), seconds{5}, start_);
  Write("detection:\n  sensitivity: low\n");

  EXPECT_FALSE(reloader.Poll(false, start_ + seconds{1}));  // not time to look yet
  const std::optional<AcceptedReload> reload = reloader.Poll(false, start_ + seconds{5});
  ASSERT_TRUE(reload);
  EXPECT_DOUBLE_EQ(reload->tuning.tuning().p_value, 1e-8);
  EXPECT_FALSE(reload->tamper);                              // unchanged
  EXPECT_FALSE(reloader.Poll(false, start_ + seconds{10}));  // unchanged since
}

TEST_F(ConfigReloaderTest, ABadFileIsRefusedAndTheLastGoodOneStays) {
  ConfigReloader reloader(path_, Load("detection:\n  sensitivity: medium\n"), seconds{5}, start_);
  Write("detection:\n  sensitivity: [oops\n");

  EXPECT_FALSE(reloader.Poll(true, start_));
  EXPECT_DOUBLE_EQ(reloader.file_config().tuning.p_value, 1e-6);

  Write("detection:\n  sensitivity: high\n");
  const std::optional<AcceptedReload> reload = reloader.Poll(true, start_);
  ASSERT_TRUE(reload);
  EXPECT_DOUBLE_EQ(reload->tuning.tuning().p_value, 1e-4);
  EXPECT_DOUBLE_EQ(reloader.file_config().tuning.p_value, 1e-4);
}

TEST_F(ConfigReloaderTest, ASignalReloadsEvenAnUnchangedFile) {
  ConfigReloader reloader(path_, Load("detection:\n  sensitivity: medium\n"), seconds{5}, start_);

  EXPECT_TRUE(reloader.Poll(true, start_));
  EXPECT_FALSE(reloader.Poll(false, start_ + seconds{60}));  // the signal's reload saw it all
}

TEST_F(ConfigReloaderTest, ADeletedFileIsRefused) {
  ConfigReloader reloader(path_, Load(""), seconds{5}, start_);
  fs::remove(path_);

  EXPECT_FALSE(reloader.Poll(false, start_ + seconds{5}));
  EXPECT_DOUBLE_EQ(reloader.file_config().tuning.p_value, 1e-6);
}

}  // namespace
}  // namespace trailsight::app
