#include "detector/tuning.h"

#include <gtest/gtest.h>

#include <string>

namespace trailsight::detector {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kEc2 = "ec2.amazonaws.com";
constexpr std::string_view kIam = "iam.amazonaws.com";
constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kRegion = "us-east-1";

CompiledTuning MustCompile(Tuning tuning) {
  common::Result<CompiledTuning> compiled = CompiledTuning::Compile(std::move(tuning));
  EXPECT_TRUE(compiled) << compiled.error().message;
  return *std::move(compiled);
}

std::string CompileError(Tuning tuning) {
  common::Result<CompiledTuning> compiled = CompiledTuning::Compile(std::move(tuning));
  if (compiled) return "";
  EXPECT_EQ(compiled.error().code, common::ErrorCode::kInvalidConfig);
  return compiled.error().message;
}

// 2024-06-03 was a Monday.
common::Seconds At(int day_of_june, int hour, int minute) {
  using namespace std::chrono;
  return sys_days{year{2024} / June / day_of_june} + hours{hour} + minutes{minute};
}

TEST(PatternTest, GlobsMatchTheWholeValue) {
  const Pattern pattern = *Pattern::Compile("Delete*");

  EXPECT_TRUE(pattern.Matches("DeleteBucket"));
  EXPECT_TRUE(pattern.Matches("Delete"));
  EXPECT_FALSE(pattern.Matches("UndeleteBucket"));
  EXPECT_FALSE(pattern.Matches("deleteBucket"));  // case-sensitive, as AWS names are
}

TEST(PatternTest, StarCrossesSlashesInArns) {
  const Pattern pattern = *Pattern::Compile("arn:aws:sts::*:assumed-role/ci-*");

  EXPECT_TRUE(pattern.Matches("arn:aws:sts::111122223333:assumed-role/ci-deployer"));
  EXPECT_FALSE(pattern.Matches("arn:aws:sts::111122223333:assumed-role/Admin"));
}

TEST(PatternTest, QuestionMarksAndBracketSets) {
  const Pattern pattern = *Pattern::Compile("us-[ew]*-?");

  EXPECT_TRUE(pattern.Matches("us-east-1"));
  EXPECT_TRUE(pattern.Matches("us-west-2"));
  EXPECT_FALSE(pattern.Matches("us-gov-west-1"));
  EXPECT_FALSE(pattern.Matches("us-east-10"));
}

TEST(PatternTest, SlashesMakeAnAnchoredRegex) {
  const Pattern pattern = *Pattern::Compile("/(Put|Delete)Bucket(Policy|Lifecycle)/");

  EXPECT_TRUE(pattern.Matches("PutBucketPolicy"));
  EXPECT_TRUE(pattern.Matches("DeleteBucketLifecycle"));
  EXPECT_FALSE(pattern.Matches("GetBucketPolicy"));
  EXPECT_FALSE(pattern.Matches("PutBucketPolicyStatus"));  // the whole value must match
}

TEST(PatternTest, ARegexCanExcludeOneNameAndABackslashEscapesAGlob) {
  const Pattern all_but_run = *Pattern::Compile("/(?!RunInstances$).*/");
  const Pattern star = *Pattern::Compile("\\*");

  EXPECT_FALSE(all_but_run.Matches("RunInstances"));
  EXPECT_TRUE(all_but_run.Matches("RunInstancesX"));
  EXPECT_TRUE(all_but_run.Matches("StopInstances"));
  EXPECT_TRUE(star.Matches("*"));
  EXPECT_FALSE(star.Matches("x"));
}

TEST(PatternTest, LongValuesMatchToo) {
  const std::string agent = "aws-cli/2.0 " + std::string(2000, 'x') + " terraform";

  EXPECT_TRUE(Pattern::Compile("*terraform")->Matches(agent));
  EXPECT_FALSE(Pattern::Compile("*ansible*")->Matches(agent));
}

TEST(PatternTest, RefusesBadPatternsSayingWhy) {
  const common::Result<Pattern> unbalanced = Pattern::Compile("Delete[Bucket");
  ASSERT_FALSE(unbalanced);
  EXPECT_EQ(unbalanced.error().message,
            "bad pattern \"Delete[Bucket\": '[' at position 7 is never closed by ']' (write "
            "\"[[]\" for a '[')");

  const common::Result<Pattern> regex = Pattern::Compile("/Delete(Bucket/");
  ASSERT_FALSE(regex);
  EXPECT_NE(regex.error().message.find("not a valid regex"), std::string::npos);

  EXPECT_FALSE(Pattern::Compile(""));
  EXPECT_FALSE(Pattern::Compile("trailing\\"));
  EXPECT_FALSE(Pattern::Compile("[[:digit:]"));
  EXPECT_TRUE(Pattern::Compile("[]]"));  // ']' first in a set is a member
  EXPECT_TRUE(Pattern::Compile("[[:digit:]]*"));
  EXPECT_TRUE(Pattern::Compile("\\[literal"));
}

TEST(CompiledTuningTest, KeysNoOverrideMatchesGetTheGlobalValues) {
  const CompiledTuning tuning = MustCompile({.p_value = 1e-5, .min_calls = 7, .windows = {1, 60}});

  const KeyTuning key = tuning.ForKey(kEc2, "RunInstances", kAccount, kRegion);

  EXPECT_DOUBLE_EQ(key.p_value, 1e-5);
  EXPECT_EQ(key.min_calls, 7u);
  EXPECT_EQ(key.window_mask, 0b1001);  // 1 and 60 minutes
  EXPECT_FALSE(key.disabled);
  EXPECT_EQ(key.severity, common::Severity::kMedium);
}

TEST(CompiledTuningTest, AnOverrideChangesOneApiAndNoOther) {
  Tuning tuning;
  tuning.overrides.push_back(
      {.match = {.event_source = std::string(kEc2), .event_name = "RunInstances"},
       .p_value = 1e-8,
       .min_calls = 50});
  const CompiledTuning compiled = MustCompile(tuning);

  const KeyTuning run = compiled.ForKey(kEc2, "RunInstances", kAccount, kRegion);
  const KeyTuning terminate = compiled.ForKey(kEc2, "TerminateInstances", kAccount, kRegion);
  const KeyTuning other_service = compiled.ForKey(kIam, "RunInstances", kAccount, kRegion);

  EXPECT_DOUBLE_EQ(run.p_value, 1e-8);
  EXPECT_EQ(run.min_calls, 50u);
  for (const KeyTuning& untouched : {terminate, other_service}) {
    EXPECT_DOUBLE_EQ(untouched.p_value, kMediumSensitivity);
    EXPECT_EQ(untouched.min_calls, 5u);
  }
}

TEST(CompiledTuningTest, LaterOverridesWinFieldByField) {
  Tuning tuning;
  tuning.overrides.push_back(
      {.match = {.event_source = std::string(kEc2)}, .p_value = 1e-8, .min_calls = 20});
  tuning.overrides.push_back(
      {.match = {.event_source = std::string(kEc2), .event_name = "Terminate*"},
       .min_calls = 3,
       .windows = std::vector<int>{5, 15}});
  const CompiledTuning compiled = MustCompile(tuning);

  const KeyTuning terminate = compiled.ForKey(kEc2, "TerminateInstances", kAccount, kRegion);
  const KeyTuning run = compiled.ForKey(kEc2, "RunInstances", kAccount, kRegion);

  EXPECT_DOUBLE_EQ(terminate.p_value, 1e-8);  // from the first: the second leaves it unset
  EXPECT_EQ(terminate.min_calls, 3u);         // the second wins
  EXPECT_EQ(terminate.window_mask, 0b0110);
  EXPECT_EQ(run.min_calls, 20u);
  EXPECT_EQ(run.window_mask, 0b1111);
}

TEST(CompiledTuningTest, OverridesCanBeNarrowedToAnAccountAndRegion) {
  Tuning tuning;
  tuning.overrides.push_back({.match = {.account = "1111*", .region = "eu-*"}, .disabled = true});
  const CompiledTuning compiled = MustCompile(tuning);

  EXPECT_TRUE(compiled.ForKey(kEc2, "RunInstances", kAccount, "eu-west-1").disabled);
  EXPECT_FALSE(compiled.ForKey(kEc2, "RunInstances", kAccount, kRegion).disabled);
  EXPECT_FALSE(compiled.ForKey(kEc2, "RunInstances", "999988887777", "eu-west-1").disabled);
}

TEST(CompiledTuningTest, ALaterOverrideCannotReenableADisabledKey) {
  Tuning tuning;
  tuning.overrides.push_back({.match = {.event_source = std::string(kEc2)}, .disabled = true});
  tuning.overrides.push_back({.match = {.event_name = "RunInstances"}, .min_calls = 9});
  const CompiledTuning compiled = MustCompile(tuning);

  const KeyTuning run = compiled.ForKey(kEc2, "RunInstances", kAccount, kRegion);

  EXPECT_TRUE(run.disabled);
  EXPECT_EQ(run.min_calls, 9u);
}

TEST(CompiledTuningTest, TheLastMatchingCriticalityGivesTheSeverity) {
  Tuning tuning;
  tuning.criticality.push_back(
      {.match = {.event_source = std::string(kIam)}, .severity = common::Severity::kHigh});
  tuning.criticality.push_back(
      {.match = {.event_source = std::string(kIam), .event_name = "/(Create|Delete)AccessKey/"},
       .severity = common::Severity::kCritical});
  const CompiledTuning compiled = MustCompile(tuning);

  EXPECT_EQ(compiled.ForKey(kIam, "CreateAccessKey", kAccount, kRegion).severity,
            common::Severity::kCritical);
  EXPECT_EQ(compiled.ForKey(kIam, "AttachUserPolicy", kAccount, kRegion).severity,
            common::Severity::kHigh);
  EXPECT_EQ(compiled.ForKey(kEc2, "RunInstances", kAccount, kRegion).severity,
            common::Severity::kMedium);
}

TEST(CompiledTuningTest, ExclusionsNeedBothPatternsToMatch) {
  Tuning tuning;
  tuning.exclusions.push_back({.principal = "arn:aws:sts::*:assumed-role/backup-bot",
                               .user_agent = "*Boto3*",
                               .mode = ExclusionMode::kNotAlerted});
  const CompiledTuning compiled = MustCompile(tuning);
  const std::string bot = "arn:aws:sts::111122223333:assumed-role/backup-bot";

  EXPECT_EQ(compiled.ForCaller(bot, "Boto3/1.34.0 Python/3.11"), ExclusionMode::kNotAlerted);
  EXPECT_EQ(compiled.ForCaller(bot, "aws-cli/2.15.0"), std::nullopt);  // a human at the console
  EXPECT_EQ(compiled.ForCaller("arn:aws:iam::111122223333:user/alice", "Boto3/1.34.0"),
            std::nullopt);
}

TEST(CompiledTuningTest, NotCountedWinsOverNotAlertedWhicheverComesFirst) {
  Tuning tuning;
  tuning.exclusions.push_back({.principal = "*bot*", .mode = ExclusionMode::kNotAlerted});
  tuning.exclusions.push_back({.user_agent = "terraform*", .mode = ExclusionMode::kNotCounted});
  const CompiledTuning compiled = MustCompile(tuning);

  EXPECT_EQ(compiled.ForCaller("role/ci-bot", "terraform/1.7"), ExclusionMode::kNotCounted);
  EXPECT_EQ(compiled.ForCaller("role/ci-bot", "aws-cli"), ExclusionMode::kNotAlerted);
  EXPECT_EQ(compiled.ForCaller("role/alice", "terraform/1.7"), ExclusionMode::kNotCounted);
}

TEST(CompiledTuningTest, ASuppressionWindowCoversItsWeekdaysOnly) {
  Tuning tuning;
  tuning.suppressions.push_back({.match = {.event_source = std::string(kEc2)},
                                 .weekdays = {1, 3},  // Tuesday, Thursday
                                 .from = hours{2},
                                 .to = hours{4},
                                 .reason = "patching"});
  const CompiledTuning compiled = MustCompile(tuning);
  const auto suppressed = [&compiled](common::Seconds time) {
    return compiled.Suppressed(kEc2, "TerminateInstances", kAccount, kRegion, "", time);
  };

  EXPECT_TRUE(suppressed(At(4, 2, 0)));    // Tuesday 02:00: the window opens
  EXPECT_TRUE(suppressed(At(6, 3, 59)));   // Thursday 03:59
  EXPECT_FALSE(suppressed(At(4, 4, 0)));   // Tuesday 04:00: closed
  EXPECT_FALSE(suppressed(At(4, 1, 59)));  // Tuesday 01:59: not yet
  EXPECT_FALSE(suppressed(At(5, 3, 0)));   // Wednesday
  EXPECT_FALSE(compiled.Suppressed(kIam, "DeleteUser", kAccount, kRegion, "", At(4, 3, 0)));
  EXPECT_EQ(compiled.SuppressionReason(kEc2, "RunInstances", kAccount, kRegion, "", At(4, 3, 0)),
            "patching");
}

TEST(CompiledTuningTest, AWindowPastMidnightBelongsToTheDayItOpens) {
  Tuning tuning;
  tuning.suppressions.push_back(
      {.weekdays = {4}, .from = hours{23}, .to = hours{1} + minutes{30}});  // Friday night
  const CompiledTuning compiled = MustCompile(tuning);
  const auto suppressed = [&compiled](common::Seconds time) {
    return compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, "", time);
  };

  EXPECT_TRUE(suppressed(At(7, 23, 0)));    // Friday 23:00
  EXPECT_TRUE(suppressed(At(8, 1, 29)));    // Saturday 01:29, still Friday's window
  EXPECT_FALSE(suppressed(At(8, 1, 30)));   // Saturday 01:30: closed
  EXPECT_FALSE(suppressed(At(7, 1, 0)));    // Friday 01:00 belongs to Thursday: not listed
  EXPECT_FALSE(suppressed(At(8, 23, 30)));  // Saturday night: not listed
  EXPECT_FALSE(suppressed(At(7, 22, 59)));
}

TEST(CompiledTuningTest, ASundayWindowWrapsIntoMonday) {
  Tuning tuning;
  tuning.suppressions.push_back({.weekdays = {6}, .from = hours{22}, .to = hours{2}});
  const CompiledTuning compiled = MustCompile(tuning);

  EXPECT_TRUE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, "", At(10, 1, 0)));
  EXPECT_FALSE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, "", At(3, 23, 0)));
}

TEST(CompiledTuningTest, AWholeDaySuppressionAndOneForAPrincipal) {
  Tuning tuning;
  tuning.suppressions.push_back({.principal = "*:assumed-role/patch-bot",
                                 .weekdays = {5},
                                 .from = minutes{0},
                                 .to = hours{24}});
  const CompiledTuning compiled = MustCompile(tuning);
  const std::string bot = "arn:aws:sts::1:assumed-role/patch-bot";

  EXPECT_TRUE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, bot, At(8, 0, 0)));
  EXPECT_TRUE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, bot, At(8, 23, 59)));
  EXPECT_FALSE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, bot, At(9, 0, 0)));
  EXPECT_FALSE(compiled.Suppressed(kEc2, "RunInstances", kAccount, kRegion, "", At(8, 12, 0)));
}

TEST(CompiledTuningTest, CompileNamesTheFieldOfABadEntry) {
  Tuning bad_pattern;
  bad_pattern.overrides.emplace_back();
  bad_pattern.overrides.push_back({.match = {.event_name = "Delete[Bucket"}});
  EXPECT_TRUE(CompileError(bad_pattern).starts_with("overrides.1.event_name: bad pattern"))
      << CompileError(bad_pattern);

  EXPECT_EQ(CompileError({.p_value = 0.5}), "sensitivity: must be greater than 0 and at most 0.01");
  EXPECT_EQ(CompileError({.windows = {1, 30}}),
            "windows: every window must be 1, 5, 15 or 60 minutes");

  Tuning bad_window;
  bad_window.suppressions.push_back({.weekdays = {7}, .from = hours{1}, .to = hours{2}});
  EXPECT_EQ(CompileError(bad_window), "suppressions.0.weekdays: days are 0 (Monday) to 6 (Sunday)");
  bad_window.suppressions[0] = {.from = hours{3}, .to = hours{3}};
  EXPECT_EQ(CompileError(bad_window),
            "suppressions.0.to: must differ from `from` (00:00 to 24:00 is the whole day)");
}

TEST(CompiledTuningTest, NamedSensitivities) {
  EXPECT_EQ(SensitivityLevel("low"), 1e-8);
  EXPECT_EQ(SensitivityLevel("medium"), 1e-6);
  EXPECT_EQ(SensitivityLevel("high"), 1e-4);
  EXPECT_EQ(SensitivityLevel("paranoid"), std::nullopt);
}

}  // namespace
}  // namespace trailsight::detector
