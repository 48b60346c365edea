#include "detector/tamper_rules.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "consumers/input_paths.h"
#include "consumers/record_parser.h"
#include "consumers/replay_reader.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {
namespace {

using common::Alert;
using common::Severity;
using test_support::CollectingAlerts;

// Feeds every event a reader delivers to the rules.
class RulesFeed final : public common::EventReceiver {
 public:
  RulesFeed(TamperRules& rules, common::AlertSink& sink) : rules_(rules), sink_(sink) {}
  void OnEvent(const common::Event& event) override { rules_.OnEvent(event, sink_); }

 private:
  TamperRules& rules_;
  common::AlertSink& sink_;
};

class NoDeadLetters final : public common::DeadLetterSink {
 public:
  void Write(const common::DeadLetter& letter) override {
    ADD_FAILURE() << letter.source << " " << letter.position << ": " << letter.reason;
  }
};

// A CloudTrail record as AWS writes it: `name` on `source`, with `parameters` as its
// requestParameters and `error` (empty for none) as its errorCode.
std::string Record(std::string_view source, std::string_view name, std::string_view parameters,
                   std::string_view error = "") {
  std::string record = R"({"eventVersion":"1.09","userIdentity":{"type":"AssumedRole",)"
                       R"("arn":"arn:aws:sts::111122223333:assumed-role/Intruder/session-9",)"
                       R"("accountId":"111122223333"},"eventTime":"2024-08-01T10:00:00Z",)"
                       R"("eventSource":")";
  record += source;
  record += R"(","eventName":")";
  record += name;
  record += R"(","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.7",)"
            R"("userAgent":"aws-cli/2.15","requestParameters":)";
  record += parameters;
  if (!error.empty()) {
    record += R"(,"errorCode":")";
    record += error;
    record += R"(","errorMessage":"not authorized")";
  }
  record += R"(,"eventID":"0f5c6a2e-1b7d-4c1e-9a57-2f0d3e4b5c6d","readOnly":false,)"
            R"("eventType":"AwsApiCall","recipientAccountId":"111122223333"})";
  return record;
}

std::string CreateTrail(std::string_view bucket, std::string_view error = "") {
  return Record("cloudtrail.amazonaws.com", "CreateTrail",
                std::string(R"({"name":"org-trail","s3BucketName":")") + std::string(bucket) +
                    R"(","isMultiRegionTrail":true})",
                error);
}

std::string BucketCall(std::string_view name, std::string_view bucket) {
  return Record("s3.amazonaws.com", name,
                std::string(R"({"bucketName":")") + std::string(bucket) +
                    R"(","Host":"s3.amazonaws.com","policy":""})");
}

// Fixture: one interner, parser and alert sink; rules are built per test from options.
class TamperRulesTest : public ::testing::Test {
 protected:
  // Parses each record (which must be valid) and hands it to `rules`.
  void Feed(TamperRules& rules, const std::vector<std::string>& records) {
    for (const std::string& record : records) {
      common::Result<common::Event> event = parser_.Parse(record);
      ASSERT_TRUE(event.has_value()) << event.error().message << "\n" << record;
      rules.OnEvent(*event, sink_);
    }
  }

  common::StringInterner interner_;
  consumers::RecordParser parser_{interner_};
  CollectingAlerts sink_;
};

TEST_F(TamperRulesTest, AlertsOnEveryTamperCallInTheRecordedStratusDetonations) {
  const std::filesystem::path dir =
      std::filesystem::path(TRAILSIGHT_SHARED_DIR) / "datasets" / "stratus-detonation-logs";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "dataset not available: " << dir;
  TamperRules rules({}, interner_);
  NoDeadLetters dead_letters;
  consumers::ReplayReader reader(interner_, dead_letters, {});
  RulesFeed feed(rules, sink_);
  const common::Result<consumers::InputList> inputs = consumers::ExpandInputs({dir.string()});
  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;

  for (const std::string& input : inputs->files) ASSERT_TRUE(reader.ReadInput(input, feed).ok());

  // The six defense-evasion detonations, in file order, and nothing from the other 304 events.
  std::vector<std::string> rules_fired;
  for (const Alert& alert : sink_.alerts) rules_fired.push_back(alert.rule);
  EXPECT_EQ(rules_fired, (std::vector<std::string>{
                             "cloudtrail.DeleteTrail",
                             "cloudtrail.PutEventSelectors",
                             "cloudtrail.StopLogging",
                             "route53resolver.DeleteResolverQueryLogConfig",
                             "organizations.LeaveOrganization",
                             "ec2.DeleteFlowLogs",
                         }));
  EXPECT_EQ(rules.counters().alerts, 6u);
}

TEST_F(TamperRulesTest, AlertCarriesTheRecordBehindARecordedStopLogging) {
  const std::filesystem::path file = std::filesystem::path(TRAILSIGHT_SHARED_DIR) / "datasets" /
                                     "stratus-detonation-logs" /
                                     "aws.defense-evasion.cloudtrail-stop.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "dataset not available: " << file;
  TamperRules rules({}, interner_);
  NoDeadLetters dead_letters;
  consumers::ReplayReader reader(interner_, dead_letters, {});
  RulesFeed feed(rules, sink_);

  ASSERT_TRUE(reader.ReadInput(file.string(), feed).ok());

  ASSERT_EQ(sink_.alerts.size(), 1u);
  const Alert& alert = sink_.alerts[0];
  EXPECT_EQ(alert.kind, common::AlertKind::kTamper);
  EXPECT_EQ(alert.rule, "cloudtrail.StopLogging");
  EXPECT_EQ(alert.severity, Severity::kCritical);
  EXPECT_EQ(alert.time, *common::ParseUtcTimestamp("2024-07-31T13:06:24Z"));
  EXPECT_EQ(alert.account, "143434273843");
  EXPECT_EQ(alert.region, "apiso-centralnorth-2r");
  EXPECT_EQ(alert.event_source, "cloudtrail.amazonaws.com");
  EXPECT_EQ(alert.event_name, "StopLogging");
  EXPECT_EQ(alert.error_code, "");
  EXPECT_EQ(alert.principal, "arn:aws:iam::143434273843:user/christophe");
  EXPECT_EQ(alert.user_agent, "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571");
  EXPECT_EQ(alert.record_id, "10163ed2-2253-469d-a5ee-cbc6651f8934");
  EXPECT_EQ(alert.source_ip, "86.245.153.234");
  EXPECT_EQ(alert.message,
            "StopLogging by arn:aws:iam::143434273843:user/christophe in account 143434273843 "
            "(apiso-centralnorth-2r): stops a CloudTrail trail, so API activity is no longer "
            "recorded.");
}

TEST_F(TamperRulesTest, AFailedAttemptAlertsWithItsError) {
  const std::filesystem::path file = std::filesystem::path(TRAILSIGHT_SHARED_DIR) / "datasets" /
                                     "stratus-detonation-logs" /
                                     "aws.defense-evasion.organizations-leave.json";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "dataset not available: " << file;
  TamperRules rules({}, interner_);
  NoDeadLetters dead_letters;
  consumers::ReplayReader reader(interner_, dead_letters, {});
  RulesFeed feed(rules, sink_);

  ASSERT_TRUE(reader.ReadInput(file.string(), feed).ok());

  ASSERT_EQ(sink_.alerts.size(), 1u);  // the two AssumeRole calls around it do not alert
  const Alert& alert = sink_.alerts[0];
  EXPECT_EQ(alert.rule, "organizations.LeaveOrganization");
  EXPECT_EQ(alert.severity, Severity::kCritical);
  EXPECT_EQ(alert.error_code, "AccessDenied");
  EXPECT_EQ(alert.principal,
            "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role");
  EXPECT_EQ(alert.record_id, "16903cbd-fdff-4818-82f2-d66ad09aaf57");
  EXPECT_NE(alert.message.find("LeaveOrganization attempted by"), std::string::npos)
      << alert.message;
  EXPECT_NE(alert.message.find("(failed: AccessDenied)"), std::string::npos) << alert.message;
}

TEST_F(TamperRulesTest, LearnsTheTrailBucketFromCreateTrailAndWatchesItsPolicy) {
  TamperRules rules({}, interner_);

  Feed(rules, {CreateTrail("org-trail-logs"), BucketCall("PutBucketPolicy", "website-assets"),
               BucketCall("PutBucketPolicy", "org-trail-logs")});

  ASSERT_EQ(sink_.alerts.size(), 1u);  // CreateTrail itself does not alert
  EXPECT_EQ(sink_.alerts[0].rule, "s3.PutBucketPolicy");
  EXPECT_EQ(sink_.alerts[0].resource, "org-trail-logs");
  EXPECT_EQ(sink_.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(rules.LearnedBuckets(), std::vector<std::string>{"org-trail-logs"});
}

TEST_F(TamperRulesTest, WatchesEveryPolicyLifecycleAndAclCallOnATrailBucket) {
  TamperRules rules({.trail_buckets = {"org-trail-logs"}}, interner_);
  const std::vector<std::string> names = {
      "PutBucketPolicy",       "DeleteBucketPolicy",
      "PutBucketLifecycle",    "PutBucketLifecycleConfiguration",
      "DeleteBucketLifecycle", "PutBucketAcl"};
  std::vector<std::string> records;
  for (const std::string& name : names) records.push_back(BucketCall(name, "org-trail-logs"));
  records.push_back(BucketCall("PutBucketTagging", "org-trail-logs"));  // not a tamper call

  Feed(rules, records);

  ASSERT_EQ(sink_.alerts.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(sink_.alerts[i].rule, "s3." + names[i]);
  }
  EXPECT_TRUE(rules.LearnedBuckets().empty());  // configured buckets are not "learned"
}

TEST_F(TamperRulesTest, AFailedCreateTrailTeachesNoBucket) {
  TamperRules rules({}, interner_);

  Feed(rules, {CreateTrail("attacker-bucket", "AccessDenied"),
               BucketCall("PutBucketPolicy", "attacker-bucket")});

  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_TRUE(rules.LearnedBuckets().empty());
}

TEST_F(TamperRulesTest, UpdateTrailAlertsAndTeachesItsNewBucket) {
  TamperRules rules({}, interner_);

  Feed(rules, {Record("cloudtrail.amazonaws.com", "UpdateTrail",
                      R"({"name":"org-trail","s3BucketName":"exfil-bucket"})"),
               BucketCall("DeleteBucketLifecycle", "exfil-bucket")});

  ASSERT_EQ(sink_.alerts.size(), 2u);
  EXPECT_EQ(sink_.alerts[0].rule, "cloudtrail.UpdateTrail");
  EXPECT_EQ(sink_.alerts[0].resource, "exfil-bucket");
  EXPECT_EQ(sink_.alerts[1].rule, "s3.DeleteBucketLifecycle");
}

TEST_F(TamperRulesTest, RestoredLearnedBucketsAreWatched) {
  std::vector<std::string> snapshot;
  {
    common::StringInterner first_interner;
    consumers::RecordParser first_parser(first_interner);
    TamperRules first({}, first_interner);
    first.OnEvent(*first_parser.Parse(CreateTrail("org-trail-logs")), sink_);
    snapshot = first.LearnedBuckets();
  }
  TamperRules restored({}, interner_);

  for (const std::string& bucket : snapshot) restored.Learn(bucket);
  Feed(restored, {BucketCall("PutBucketAcl", "org-trail-logs")});

  ASSERT_EQ(sink_.alerts.size(), 1u);
  EXPECT_EQ(sink_.alerts[0].rule, "s3.PutBucketAcl");
}

TEST_F(TamperRulesTest, StopsLearningBucketsAtItsCap) {
  TamperRules rules({.max_learned_buckets = 1}, interner_);

  Feed(rules, {CreateTrail("first-trail-logs"), CreateTrail("second-trail-logs"),
               BucketCall("PutBucketPolicy", "second-trail-logs")});

  EXPECT_EQ(rules.LearnedBuckets(), std::vector<std::string>{"first-trail-logs"});
  EXPECT_EQ(rules.counters().learned_buckets_refused, 1u);
  EXPECT_TRUE(sink_.alerts.empty());
}

TEST(TamperRulesCapTest, ABucketNameTheInternerRefusedIsNeitherLearnedNorWatched) {
  common::StringInterner interner({.max_strings = 64});
  consumers::RecordParser parser(interner);
  CollectingAlerts sink;
  TamperRules rules({}, interner);
  for (int i = 0; interner.size() < 64; ++i) interner.Intern(std::to_string(i));  // fill it

  for (const std::string& record :
       {CreateTrail("org-trail-logs"), BucketCall("PutBucketPolicy", "org-trail-logs")}) {
    const common::Result<common::Event> event = parser.Parse(record);
    ASSERT_TRUE(event.has_value()) << event.error().message;
    ASSERT_EQ(event->resource, interner.overflow_symbol());
    rules.OnEvent(*event, sink);
  }

  EXPECT_TRUE(rules.LearnedBuckets().empty());
  EXPECT_EQ(rules.counters().learned_buckets_refused, 1u);
  EXPECT_TRUE(sink.alerts.empty());
}

TEST_F(TamperRulesTest, ConfiguredRulesAddCallsAndReplaceSeverities) {
  TamperRules rules({.rules = {{.event_source = "iam.amazonaws.com",
                                .event_name = "DeleteRolePermissionsBoundary",
                                .severity = Severity::kMedium},
                               {.event_source = "cloudtrail.amazonaws.com",
                                .event_name = "PutInsightSelectors",
                                .severity = Severity::kLow}}},
                    interner_);

  Feed(rules,
       {Record("iam.amazonaws.com", "DeleteRolePermissionsBoundary", R"({"roleName":"Deployer"})"),
        Record("cloudtrail.amazonaws.com", "PutInsightSelectors", "null"),
        Record("iam.amazonaws.com", "DeleteRole", R"({"roleName":"Deployer"})")});

  ASSERT_EQ(sink_.alerts.size(), 2u);
  EXPECT_EQ(sink_.alerts[0].rule, "iam.DeleteRolePermissionsBoundary");
  EXPECT_EQ(sink_.alerts[0].severity, Severity::kMedium);
  EXPECT_NE(sink_.alerts[0].message.find("tamper.rules"), std::string::npos);
  EXPECT_EQ(sink_.alerts[1].rule, "cloudtrail.PutInsightSelectors");
  EXPECT_EQ(sink_.alerts[1].severity, Severity::kLow);
}

TEST_F(TamperRulesTest, ReconfigureAppliesNewRulesAndBucketsAndKeepsLearnedOnes) {
  TamperRules rules({.trail_buckets = {"configured-logs"}}, interner_);
  Feed(rules, {CreateTrail("learned-logs")});

  rules.Reconfigure({.trail_buckets = {"new-logs"},
                     .rules = {{.event_source = "iam.amazonaws.com",
                                .event_name = "DeleteRolePermissionsBoundary",
                                .severity = Severity::kMedium}}});
  Feed(rules,
       {BucketCall("PutBucketPolicy", "configured-logs"),  // no longer configured: quiet
        BucketCall("PutBucketPolicy", "new-logs"), BucketCall("PutBucketAcl", "learned-logs"),
        Record("iam.amazonaws.com", "DeleteRolePermissionsBoundary", R"({"roleName":"Deployer"})"),
        Record("cloudtrail.amazonaws.com", "StopLogging", R"({"name":"org-trail"})")});

  std::vector<std::string> fired;
  for (const common::Alert& alert : sink_.alerts)
    fired.push_back(alert.rule + " " + alert.resource);
  EXPECT_EQ(fired, (std::vector<std::string>{
                       "s3.PutBucketPolicy new-logs", "s3.PutBucketAcl learned-logs",
                       "iam.DeleteRolePermissionsBoundary ", "cloudtrail.StopLogging "}));
  EXPECT_EQ(rules.LearnedBuckets(), std::vector<std::string>{"learned-logs"});

  rules.Reconfigure({.enabled = false});
  Feed(rules, {Record("cloudtrail.amazonaws.com", "StopLogging", R"({"name":"org-trail"})")});
  EXPECT_EQ(sink_.alerts.size(), 4u);
  EXPECT_EQ(rules.LearnedBuckets(), std::vector<std::string>{"learned-logs"});
}

TEST_F(TamperRulesTest, AlertsOnReadsToo) {
  TamperRules rules({.rules = {{.event_source = "ec2.amazonaws.com",
                                .event_name = "GetPasswordData",
                                .severity = Severity::kHigh}}},
                    interner_);

  Feed(rules, {Record("ec2.amazonaws.com", "GetPasswordData", R"({"instanceId":"i-1"})",
                      "Client.UnauthorizedOperation")});

  ASSERT_EQ(sink_.alerts.size(), 1u);
  EXPECT_EQ(sink_.alerts[0].error_code, "Client.UnauthorizedOperation");
}

TEST_F(TamperRulesTest, DisabledRulesNeitherAlertNorLearn) {
  TamperRules rules({.enabled = false}, interner_);

  Feed(rules, {Record("cloudtrail.amazonaws.com", "StopLogging", R"({"name":"org-trail"})"),
               CreateTrail("org-trail-logs")});

  EXPECT_TRUE(sink_.alerts.empty());
  EXPECT_TRUE(rules.LearnedBuckets().empty());
}

}  // namespace
}  // namespace trailsight::detector
