#include "alerts/ocsf_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "alerts/insight_ids.h"
#include "tests/alerts/fixture_finding.h"

namespace trailsight::alerts {
namespace {

using nlohmann::ordered_json;

// The alert the tamper rules raise for the recorded Stratus StopLogging detonation
// (../shared/datasets/stratus-detonation-logs/aws.defense-evasion.cloudtrail-stop.json).
common::Alert StopLoggingAlert() {
  common::Alert alert;
  alert.kind = common::AlertKind::kTamper;
  alert.rule = "cloudtrail.StopLogging";
  alert.severity = common::Severity::kCritical;
  alert.time = *common::ParseUtcTimestamp("2024-07-31T13:06:24Z");
  alert.account = "143434273843";
  alert.region = "apiso-centralnorth-2r";
  alert.event_source = "cloudtrail.amazonaws.com";
  alert.event_name = "StopLogging";
  alert.principal = "arn:aws:iam::143434273843:user/christophe";
  alert.user_agent = "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571";
  alert.record_id = "10163ed2-2253-469d-a5ee-cbc6651f8934";
  alert.source_ip = "86.245.153.234";
  alert.message =
      "StopLogging by arn:aws:iam::143434273843:user/christophe in account 143434273843 "
      "(apiso-centralnorth-2r): stops a CloudTrail trail, so API activity is no longer recorded.";
  return alert;
}

// A call-rate insight on TerminateInstances, with attributions, as the detector emits it.
common::Finding TerminateInstancesStart() {
  common::Finding finding;
  finding.key = test_support::MakeKey(common::InsightType::kApiCallRate, "111122223333",
                                      "us-east-1", "ec2.amazonaws.com", "TerminateInstances");
  finding.state = common::InsightState::kStart;
  finding.start = test_support::ParseMinute("2024-03-05T14:07:00Z");
  finding.event_time = finding.start;
  finding.baseline_average = 0.25;
  finding.insight_average = 42.0;
  finding.insight_duration_minutes = 1;
  finding.baseline_duration_minutes = 12367;
  finding.attributions = {
      {"userIdentityArn",
       {{"arn:aws:sts::111122223333:assumed-role/Intruder", 42.0}},
       {{"arn:aws:sts::111122223333:assumed-role/Autoscaler", 0.25}}},
      {"userAgent", {{"aws-cli/2.15.0", 42.0}}, {{"autoscaling.amazonaws.com", 0.25}}},
      {"errorCode", {{"null", 42.0}}, {{"null", 0.25}}},
  };
  // 30 minutes of background, about one call in four minutes, then the firing minute.
  finding.minute_counts.first = finding.start - std::chrono::minutes{30};
  finding.minute_counts.counts = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0,
                                  0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 42};
  return finding;
}

common::Finding ClosedAfterSixMinutes(common::Finding finding) {
  finding.state = common::InsightState::kEnd;
  finding.event_time = finding.start + std::chrono::minutes{6};
  finding.insight_average = 31.5;
  finding.insight_duration_minutes = 6;
  return finding;
}

// Reads a golden record from tests/alerts/golden/, keeping its key order. The product
// version is whatever this build is, so it is not part of the golden shape.
ordered_json Golden(const std::string& name) {
  const std::filesystem::path path =
      std::filesystem::path(TRAILSIGHT_SOURCE_DIR) / "tests" / "alerts" / "golden" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in.is_open()) << path;
  if (!in) return {};
  ordered_json golden = ordered_json::parse(in);
  golden["metadata"]["product"]["version"] = ProductVersion();
  return golden;
}

TEST(OcsfRecordTest, StopLoggingAlertMatchesItsGoldenRecord) {
  const ordered_json record = RenderOcsfAlert(StopLoggingAlert());

  // Compared as text so that key order counts and a failure shows the whole record.
  EXPECT_EQ(record.dump(2), Golden("ocsf_stop_logging_alert.json").dump(2));
}

TEST(OcsfRecordTest, InsightStartMirrorMatchesItsGoldenRecord) {
  const ordered_json record = RenderOcsfInsight(TerminateInstancesStart());

  EXPECT_EQ(record.dump(2), Golden("ocsf_insight_start.json").dump(2));
}

TEST(OcsfRecordTest, InsightEndCorrelatesWithItsStartAndCloses) {
  const common::Finding start = TerminateInstancesStart();

  const ordered_json opened = RenderOcsfInsight(start);
  const ordered_json closed = RenderOcsfInsight(ClosedAfterSixMinutes(start));

  EXPECT_EQ(closed["finding_info"]["uid"], opened["finding_info"]["uid"]);
  EXPECT_EQ(closed["finding_info"]["uid"], DeriveInsightIds(start).shared_event_id);
  EXPECT_NE(closed["metadata"]["uid"], opened["metadata"]["uid"]);
  EXPECT_EQ(closed["activity_id"], 3);
  EXPECT_EQ(closed["activity_name"], "Close");
  EXPECT_EQ(closed["type_uid"], 200403);
  EXPECT_EQ(closed["start_time"], opened["start_time"]);
  EXPECT_EQ(closed["end_time"].get<std::int64_t>() - closed["start_time"].get<std::int64_t>(),
            6 * 60 * 1000);
  EXPECT_FALSE(opened.contains("end_time"));
  EXPECT_EQ(closed["unmapped"]["insightDetails"]["state"], "End");
  EXPECT_EQ(closed["unmapped"]["insightDetails"]["insightContext"]["statistics"]["insightDuration"],
            6);
}

TEST(OcsfRecordTest, InsightMirrorCarriesItsMinuteCountsAsEvidenceData) {
  common::Finding finding = TerminateInstancesStart();
  finding.key.type = common::InsightType::kApiErrorRate;
  finding.key.error_code = "AccessDenied";
  finding.minute_counts.first = test_support::ParseMinute("2024-03-05T14:05:00Z");
  finding.minute_counts.counts = {3, 0, 17};

  const ordered_json record = RenderOcsfInsight(finding);

  ASSERT_EQ(record["evidences"].size(), 1u);
  const ordered_json& counts = record["evidences"][0]["data"]["minute_counts"];
  EXPECT_EQ(counts["first_minute_time"], 1709647500000);  // 2024-03-05T14:05:00Z
  EXPECT_EQ(counts["unit"], "errors");
  EXPECT_EQ(counts["counts"], ordered_json::array({3, 0, 17}));
}

TEST(OcsfRecordTest, InsightMirrorWithoutMinuteCountsHasNoEvidence) {
  common::Finding finding = TerminateInstancesStart();
  finding.minute_counts = {};

  EXPECT_FALSE(RenderOcsfInsight(finding).contains("evidences"));
}

TEST(OcsfRecordTest, TheApisCriticalitySetsTheMirrorsSeverity) {
  common::Finding finding = TerminateInstancesStart();
  EXPECT_EQ(RenderOcsfInsight(finding)["severity"], "Medium");  // no criticality configured

  finding.severity = common::Severity::kCritical;
  const ordered_json record = RenderOcsfInsight(finding);

  EXPECT_EQ(record["severity_id"], 5);
  EXPECT_EQ(record["severity"], "Critical");
}

TEST(OcsfRecordTest, ErrorRateMirrorNamesTheErrorInTheApiResponse) {
  common::Finding finding = TerminateInstancesStart();
  finding.key.type = common::InsightType::kApiErrorRate;
  finding.key.error_code = "Client.UnauthorizedOperation";

  const ordered_json record = RenderOcsfInsight(finding);

  EXPECT_EQ(record["api"]["response"]["error"], "Client.UnauthorizedOperation");
  EXPECT_EQ(record["finding_info"]["analytic"]["name"], "ApiErrorRateInsight");
  EXPECT_EQ(record["finding_info"]["title"],
            "Unusual Client.UnauthorizedOperation error rate: TerminateInstances");
}

TEST(OcsfRecordTest, FailedAttemptCarriesItsErrorAndLeavesUnknownFieldsOut) {
  common::Alert alert = StopLoggingAlert();
  alert.error_code = "AccessDenied";
  alert.principal.clear();
  alert.source_ip.clear();
  alert.user_agent.clear();
  alert.record_id.clear();

  const ordered_json record = RenderOcsfAlert(alert);

  EXPECT_EQ(record["api"]["response"]["error"], "AccessDenied");
  EXPECT_EQ(record["finding_info"]["title"], "StopLogging attempted, failed with AccessDenied");
  for (const char* absent : {"actor", "evidences", "resources", "unmapped"}) {
    EXPECT_FALSE(record.contains(absent)) << absent;
  }
  EXPECT_FALSE(record["finding_info"].contains("related_events"));
  EXPECT_EQ(record["metadata"]["profiles"], ordered_json::array({"cloud"})) << "no actor";
}

TEST(OcsfRecordTest, ANoveltyAlertIsTypedAndTitledByItsCall) {
  common::Alert alert = StopLoggingAlert();
  alert.kind = common::AlertKind::kNovelty;
  alert.rule = "novelty.new-region";
  alert.severity = common::Severity::kMedium;
  alert.event_source = "ec2.amazonaws.com";
  alert.event_name = "RunInstances";

  const ordered_json record = RenderOcsfAlert(alert);

  EXPECT_EQ(record["finding_info"]["types"], ordered_json::parse(R"(["Novelty"])"));
  EXPECT_EQ(record["finding_info"]["title"], "RunInstances called");
  EXPECT_EQ(record["finding_info"]["analytic"]["name"], "novelty.new-region");
  EXPECT_EQ(record["severity_id"], 3);
  EXPECT_EQ(record["api"]["operation"], "RunInstances");
}

TEST(OcsfRecordTest, TrailBucketAlertNamesTheBucketAsTheResource) {
  common::Alert alert = StopLoggingAlert();
  alert.rule = "s3.PutBucketPolicy";
  alert.event_source = "s3.amazonaws.com";
  alert.event_name = "PutBucketPolicy";
  alert.resource = "org-trail-logs";

  const ordered_json record = RenderOcsfAlert(alert);

  EXPECT_EQ(record["resources"],
            ordered_json::parse(R"([{"uid":"org-trail-logs","type":"AWS::S3::Bucket"}])"));
}

TEST(OcsfRecordTest, NamesThePrincipalTypeAndTheSourceAsCloudTrailDoes) {
  const struct {
    std::string principal, source_ip, type;
    ordered_json endpoint;
  } cases[] = {
      {"arn:aws:sts::1:assumed-role/Deployer",
       "2001:db8::7",
       "AssumedRole",
       {{"ip", "2001:db8::7"}}},
      {"arn:aws:iam::1:root", "AWS Internal", "Root", {{"svc_name", "AWS Internal"}}},
      {"arn:aws:iam::1:role/aws-service-role/x",
       "config.amazonaws.com",
       "Role",
       {{"svc_name", "config.amazonaws.com"}}},
      {"ecs-tasks.amazonaws.com",
       "ecs-tasks.amazonaws.com",
       "AWSService",
       {{"svc_name", "ecs-tasks.amazonaws.com"}}},
      {"AWSAccount", "104.102.221.250", "AWSAccount", {{"ip", "104.102.221.250"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.principal);
    common::Alert alert = StopLoggingAlert();
    alert.principal = c.principal;
    alert.source_ip = c.source_ip;

    const ordered_json record = RenderOcsfAlert(alert);

    EXPECT_EQ(record["actor"]["user"]["uid"], c.principal);
    EXPECT_EQ(record["actor"]["user"]["type"], c.type);
    // OCSF 1.3.0 gives a Detection Finding its `actor` through the host profile.
    EXPECT_EQ(record["metadata"]["profiles"], ordered_json::array({"cloud", "host"}));
    EXPECT_EQ(record["evidences"][0]["src_endpoint"], c.endpoint);
  }
}

TEST(OcsfRecordTest, AlertIdsAreStableAndDistinguishRecords) {
  const common::Alert alert = StopLoggingAlert();
  common::Alert other = alert;
  other.record_id = "ee73c230-44bc-4492-8542-cfb189eae287";

  EXPECT_EQ(RenderOcsfAlert(alert)["finding_info"]["uid"], DeriveAlertId(alert));
  EXPECT_EQ(DeriveAlertId(alert), DeriveAlertId(StopLoggingAlert()));
  EXPECT_NE(DeriveAlertId(alert), DeriveAlertId(other));
}

TEST(OcsfRecordTest, LinesAreOneCompactObjectAndSurviveInvalidUtf8) {
  common::Alert alert = StopLoggingAlert();
  alert.user_agent = "curl\xff";

  const std::string line = RenderOcsfAlertLine(alert);

  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(line)["unmapped"]["userAgent"], "curl\xEF\xBF\xBD");
}

}  // namespace
}  // namespace trailsight::alerts
