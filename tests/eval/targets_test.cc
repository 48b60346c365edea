// The targets on one small scenario, end to end: generated CloudTrail, the real
// parser, tamper rules and Detector, scored against the labels and the naive detector. And
// the recorded attacks of ../shared/datasets spliced onto generated baselines.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "eval/evaluation.h"
#include "eval/splice.h"

namespace trailsight::eval {
namespace {

namespace fs = std::filesystem;

// Pools one seed's result, for the detector and the naive one at each k, and expects every
// target met.
Pooled ExpectTargetsMet(const SeedResult& result, const std::vector<double>& ks,
                        const Targets& targets = {}) {
  Pooled detector;
  detector.Add(result.detector);
  std::vector<Pooled> naive(result.naive.size());
  for (std::size_t k = 0; k < naive.size(); ++k) naive[k].Add(result.naive[k]);
  for (const Verdict& verdict : Judge(detector, naive, ks, targets)) {
    EXPECT_TRUE(verdict.met) << verdict.target << ": " << verdict.detail;
  }
  return detector;
}

TEST(EvaluationTargetsTest, SmallSeedMeetsEveryTarget) {
  // Two accounts in two regions, a week of history, two scored days: 12 incidents.
  const HarnessOptions options;
  const common::Result<SeedResult> result =
      EvaluateSeed({.seed = 11, .days = 9, .warmup_days = 7, .accounts = 2, .regions = 2}, options);
  ASSERT_TRUE(result) << result.error().message;
  PrintSeed(stdout, *result, options.naive.ks);

  EXPECT_EQ(result->rejected, 0U);
  EXPECT_EQ(result->detector.incidents(), 12);
  ExpectTargetsMet(*result, options.naive.ks);
}

TEST(EvaluationTargetsTest, SmallOrganizationMeetsEveryTarget) {
  // Eight accounts of every kind with their recurring work, four weeks of history, a scored
  // Sunday and Monday (when the eighth account joins): 18 incidents of nine kinds. Every
  // control stays quiet.
  const HarnessOptions options;
  const common::Result<SeedResult> result = EvaluateSeed(
      {.seed = 21, .days = 29, .warmup_days = 27, .accounts = 8, .organization = true}, options);
  ASSERT_TRUE(result) << result.error().message;
  PrintSeed(stdout, *result, options.naive.ks);

  EXPECT_EQ(result->rejected, 0U);
  EXPECT_TRUE(result->shortfalls.empty());
  for (const LabelOutcome& outcome : result->detector.outcomes) {
    if (outcome.label.expect == Expect::kNothing) {
      EXPECT_FALSE(outcome.hit) << outcome.label.id;
    }
  }
  // Two scored days hold two incidents of each kind, too few for the per-kind and 97%
  // targets, which the held-out run of docs/evaluation.md measures: one miss here is 5.6%.
  Targets targets = OrganizationTargets();
  targets.recall = 0.9;
  targets.recall_per_kind = 0;
  targets.min_incidents_per_kind = 0;
  const Pooled detector = ExpectTargetsMet(*result, options.naive.ks, targets);
  EXPECT_EQ(detector.incidents, 18);
  EXPECT_EQ(detector.by_kind.size(), 9U);
  // Both Sunday teardowns, one of 10 calls in two minutes (5 a minute): judged on two
  // weekends of the dev team's own time zone, not on the week's busiest single weekend day.
  ASSERT_TRUE(detector.by_kind.contains("weekend-burst"));
  EXPECT_EQ(detector.by_kind.at("weekend-burst").hits, 2);
}

TEST(EvaluationTargetsTest, RecordedTamperAndDeniedGetPasswordDataAreFound) {
  const fs::path stratus = fs::path(TRAILSIGHT_SHARED_DIR) / "datasets/stratus-detonation-logs";
  if (!fs::exists(stratus)) GTEST_SKIP() << stratus << " is absent: no recorded attacks to splice";
  // The recordings the issue names: every tamper attempt, and the GetPasswordData burst.
  const fs::path dir = fs::path(testing::TempDir()) / "eval_splice/stratus";
  fs::remove_all(dir.parent_path());
  fs::create_directories(dir);
  for (const char* name :
       {"aws.credential-access.ec2-get-password-data.json",
        "aws.defense-evasion.cloudtrail-stop.json", "aws.defense-evasion.cloudtrail-delete.json",
        "aws.defense-evasion.cloudtrail-event-selectors.json",
        "aws.defense-evasion.dns-delete-logs.json", "aws.defense-evasion.organizations-leave.json",
        "aws.defense-evasion.vpc-remove-flow-logs.json"}) {
    fs::create_symlink(stratus / name, dir / name);
  }
  SpliceOptions splice;
  splice.seed = 11;
  splice.warmup_days = 2;

  const common::Result<SpliceResult> result = EvaluateSplice(dir.parent_path(), splice, {});

  ASSERT_TRUE(result) << result.error().message;
  PrintSplice(stdout, *result);
  int tamper = 0, password_burst = 0;
  for (const SplicedGroup& group : result->groups) {
    for (const LabelOutcome& outcome : group.score.outcomes) {
      EXPECT_TRUE(outcome.hit) << outcome.label.id << " in " << group.source;
      tamper += outcome.label.expect == Expect::kAlert ? 1 : 0;
      password_burst += outcome.label.key.event_name == "GetPasswordData" &&
                                outcome.label.key.error_code == "Client.UnauthorizedOperation"
                            ? 1
                            : 0;
    }
    EXPECT_TRUE(group.score.false_starts.empty()) << group.source;
  }
  EXPECT_EQ(tamper, 6);
  EXPECT_EQ(password_burst, 1);
}

}  // namespace
}  // namespace trailsight::eval
