// The scoring rules: the hit window's edges, tamper incidents found by alerts, and what
// counts as a false insight.

#include "eval/scorer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace trailsight::eval {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;

const common::Seconds kDay{common::Day{std::chrono::November / 9 / 2026}};
const common::Seconds kIncidentStart = kDay + minutes{14 * 60 + 7} + seconds{20};

common::InsightKey Key(std::string name, std::string error_code = "") {
  common::InsightKey key;
  key.type =
      error_code.empty() ? common::InsightType::kApiCallRate : common::InsightType::kApiErrorRate;
  key.account = "123456789012";
  key.region = "us-east-1";
  key.event_source = "ec2.amazonaws.com";
  key.event_name = std::move(name);
  key.error_code = std::move(error_code);
  return key;
}

Label Incident(common::InsightKey key, Expect expect = Expect::kInsight) {
  return Label{.id = "incident",
               .kind = "burst",
               .expect = expect,
               .key = std::move(key),
               .start = kIncidentStart,
               .end = kIncidentStart + minutes{6}};
}

common::Finding Start(common::InsightKey key, common::Seconds at, common::Seconds fired) {
  common::Finding finding;
  finding.key = std::move(key);
  finding.state = common::InsightState::kStart;
  finding.start = common::FloorMinute(at);
  finding.event_time = finding.start;
  finding.fired_at = fired;
  return finding;
}

common::Alert AlertOn(common::AlertKind kind, std::string rule, const common::InsightKey& key,
                      common::Seconds time) {
  common::Alert alert;
  alert.kind = kind;
  alert.rule = std::move(rule);
  alert.time = time;
  alert.account = key.account;
  alert.region = key.region;
  alert.event_source = key.event_source;
  alert.event_name = key.event_name;
  return alert;
}

RunScore ScoreDay(const std::vector<Label>& labels, const std::vector<common::Finding>& findings,
                  const std::vector<common::Alert>& alerts = {}) {
  return Score(labels, findings, alerts, kDay, kDay + days{1});
}

TEST(ScorerTest, AStartFromTwoMinutesBeforeToFifteenAfterTheEndIsAHit) {
  const Label label = Incident(Key("TerminateInstances"));
  const common::Seconds earliest = kIncidentStart - minutes{2};  // its minute counts
  const common::Seconds latest = label.end + minutes{15};

  for (common::Seconds at : {common::Seconds{common::FloorMinute(earliest)}, latest}) {
    const RunScore score = ScoreDay({label}, {Start(Key("TerminateInstances"), at, at)});
    EXPECT_TRUE(score.outcomes[0].hit) << common::FormatUtcTimestamp(at);
    EXPECT_TRUE(score.false_starts.empty());
  }
  for (common::Seconds at : {earliest - minutes{1}, latest + minutes{1}}) {
    const RunScore score = ScoreDay({label}, {Start(Key("TerminateInstances"), at, at)});
    EXPECT_FALSE(score.outcomes[0].hit) << common::FormatUtcTimestamp(at);
    EXPECT_EQ(score.false_starts.size(), 1U);
  }
}

TEST(ScorerTest, LatencyIsFromTheIncidentStartToTheEarliestStartClampedAtZero) {
  const Label label = Incident(Key("TerminateInstances"));
  const RunScore late = ScoreDay(
      {label}, {Start(Key("TerminateInstances"), kIncidentStart, kIncidentStart + seconds{95}),
                Start(Key("TerminateInstances"), kIncidentStart, kIncidentStart + seconds{40})});
  EXPECT_EQ(late.outcomes[0].latency, seconds{40});
  EXPECT_EQ(late.outcomes[0].starts, 2);

  const RunScore early = ScoreDay(
      {label}, {Start(Key("TerminateInstances"), kIncidentStart, kIncidentStart - seconds{20})});
  EXPECT_EQ(early.outcomes[0].latency, seconds{0});
}

TEST(ScorerTest, TheKeyMustMatchErrorCodeIncluded) {
  const Label storm = Incident(Key("DescribeInstances", "Client.UnauthorizedOperation"));
  const RunScore score =
      ScoreDay({storm}, {Start(Key("DescribeInstances", "Client.RequestLimitExceeded"),
                               kIncidentStart, kIncidentStart),
                         Start(Key("DescribeInstances"), kIncidentStart, kIncidentStart)});
  EXPECT_FALSE(score.outcomes[0].hit);
  EXPECT_EQ(score.false_starts.size(), 2U);
  EXPECT_EQ(score.recall(), 0.0);
}

TEST(ScorerTest, TamperIncidentsAreFoundByAlertsNotInsights) {
  common::InsightKey key = Key("DeleteFlowLogs");
  const Label tamper = Incident(key, Expect::kAlert);
  const common::Alert alert =
      AlertOn(common::AlertKind::kTamper, "ec2.DeleteFlowLogs", key, kIncidentStart + seconds{3});
  common::Alert elsewhere = alert;
  elsewhere.region = "eu-west-1";

  const RunScore by_insight = ScoreDay({tamper}, {Start(key, kIncidentStart, kIncidentStart)});
  const RunScore by_alert = ScoreDay({tamper}, {}, {alert, elsewhere});

  EXPECT_FALSE(by_insight.outcomes[0].hit);
  EXPECT_EQ(by_insight.false_starts.size(), 1U);
  EXPECT_TRUE(by_alert.outcomes[0].hit);
  EXPECT_EQ(by_alert.outcomes[0].latency, seconds{3});
  EXPECT_EQ(by_alert.unmatched_alerts, 1U);
}

TEST(ScorerTest, StartsOnControlsAndOutsideIncidentsAreFalseAndEndsAndOtherDaysAreNot) {
  Label control;
  control.id = "deploy-wave-1";
  control.kind = "deploy-wave";
  control.expect = Expect::kNothing;
  control.key.account = "123456789012";
  control.key.region = "us-east-1";
  control.start = kDay + minutes{600};
  control.end = kDay + minutes{612};
  const Label incident = Incident(Key("TerminateInstances"));
  common::Finding on_control =
      Start(Key("UpdateFunctionCode20150331v2"), control.start, control.start);
  common::Finding elsewhere = Start(Key("RunInstances"), kDay + minutes{30}, kDay + minutes{30});
  common::Finding end = on_control;
  end.state = common::InsightState::kEnd;
  common::Finding yesterday = Start(Key("RunInstances"), kDay - minutes{30}, kDay - minutes{30});

  const RunScore score = ScoreDay({incident, control}, {on_control, elsewhere, end, yesterday});

  EXPECT_EQ(score.false_starts.size(), 2U);
  EXPECT_DOUBLE_EQ(score.false_per_day(), 2.0);
  EXPECT_TRUE(score.outcomes[1].hit);  // the control fired
  EXPECT_EQ(score.incidents(), 1);     // controls are not incidents
  EXPECT_EQ(score.hits(), 0);
  EXPECT_FALSE(score.median_latency().has_value());
}

// A novelty alert finds the incident on its account, region and API (a never-seen
// AttachUserPolicy below every rate level is still found); any other is a false finding,
// and one in a new account falls on that account's control in whatever region.
TEST(ScorerTest, NoveltyAlertsFindIncidentsAndOthersAreFalseFindings) {
  common::InsightKey key = Key("AttachUserPolicy");
  key.event_source = "iam.amazonaws.com";
  const Label never_seen = Incident(key);
  Label new_account;
  new_account.id = "new-account";
  new_account.kind = "new-account";
  new_account.expect = Expect::kNothing;
  new_account.key.account = "210987654321";  // every region
  new_account.start = kDay;
  new_account.end = kDay + minutes{20 * 60};
  const common::Alert alert = AlertOn(common::AlertKind::kNovelty, "novelty.first-sensitive-call",
                                      key, kIncidentStart + seconds{40});
  common::Alert other_api = alert;
  other_api.event_name = "PutRolePolicy";
  common::Alert in_new_account = alert;
  in_new_account.rule = "novelty.new-region";
  in_new_account.account = new_account.key.account;
  in_new_account.region = "ap-northeast-1";
  common::Alert tamper = alert;  // not a novelty alert: scored as tamper alerts are
  tamper.kind = common::AlertKind::kTamper;

  const RunScore score =
      ScoreDay({never_seen, new_account}, {}, {alert, other_api, in_new_account, tamper});

  EXPECT_TRUE(score.outcomes[0].hit);
  EXPECT_EQ(score.outcomes[0].latency, seconds{40});
  ASSERT_EQ(score.false_alerts.size(), 2U);
  EXPECT_EQ(score.false_alerts[0].event_name, "PutRolePolicy");
  EXPECT_EQ(score.false_alerts[1].account, new_account.key.account);
  EXPECT_TRUE(score.outcomes[1].hit);  // the new account's control fired
  EXPECT_EQ(score.false_findings(), 2U);
  EXPECT_DOUBLE_EQ(score.false_per_day(), 2.0);
  EXPECT_EQ(score.novelty.at("novelty.first-sensitive-call").alerts, 2U);
  EXPECT_EQ(score.novelty.at("novelty.first-sensitive-call").on_incidents, 1U);
}

TEST(ScorerTest, MedianLatencyIsTheLowerMiddleOfTheHits) {
  std::vector<Label> labels;
  std::vector<common::Finding> starts;
  for (int i = 0; i < 4; ++i) {
    Label label = Incident(Key("Api" + std::to_string(i)));
    labels.push_back(label);
    starts.push_back(Start(label.key, label.start, label.start + seconds{10 * (i + 1)}));
  }
  labels.push_back(Incident(Key("Missed")));

  const RunScore score = ScoreDay(labels, starts);

  EXPECT_EQ(score.hits(), 4);
  EXPECT_DOUBLE_EQ(score.recall(), 0.8);
  EXPECT_EQ(score.median_latency(), seconds{20});
}

}  // namespace
}  // namespace trailsight::eval
