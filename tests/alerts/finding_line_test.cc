#include "alerts/finding_line.h"

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "alerts/insight_record.h"
#include "alerts/insight_sink.h"
#include "alerts/text_lines_sink.h"
#include "tests/alerts/fixture_finding.h"
#include "tests/support/files.h"
#include "tests/support/line_fields.h"

namespace trailsight::alerts {
namespace {

using test_support::FindingFromRecord;
using test_support::LoadFixture;
using ::trailsight::test_support::SplitLines;

// The Finding behind one of AWS's example records; nullopt when the fixture is absent.
std::optional<common::Finding> FixtureFinding(const std::string& name) {
  const std::optional<nlohmann::ordered_json> record = LoadFixture(name);
  if (!record) return std::nullopt;
  return FindingFromRecord(*record);
}

std::vector<std::string> Fields(const std::string& line) {
  return trailsight::test_support::LineFields(line);
}

common::Alert MalloryStopsLogging() {
  common::Alert alert;
  alert.kind = common::AlertKind::kTamper;
  alert.rule = "cloudtrail.StopLogging";
  alert.severity = common::Severity::kCritical;
  alert.time = *common::ParseUtcTimestamp("2024-06-01T10:00:05Z");
  alert.account = "111122223333";
  alert.region = "eu-west-1";
  alert.event_source = "cloudtrail.amazonaws.com";
  alert.event_name = "StopLogging";
  alert.principal = "arn:aws:iam::111122223333:user/mallory";
  alert.message = "StopLogging by arn:aws:iam::111122223333:user/mallory ...";
  return alert;
}

TEST(FindingLineTest, CallRateStartHasEveryFieldInItsColumn) {
  const std::optional<common::Finding> finding = FixtureFinding("example-callrate-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();

  const std::string line = RenderFindingLine(*finding);

  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(Fields(line), (std::vector<std::string>{
                              "2019-10-15T21:13:00Z",
                              "Start",
                              "call rate",
                              "autoscaling.amazonaws.com CompleteLifecycleAction",
                              "123456789012/us-east-1",
                              "0.6 calls/min vs baseline <0.01 (6802x)",
                              "top arn:aws:sts::012345678901:assumed-role/CodeDeployRole1",
                          }));
  EXPECT_EQ(line.substr(0, 44), "2019-10-15T21:13:00Z  Start  call rate      ");
}

TEST(FindingLineTest, ErrorRateStartNamesTheErrorCodeAndAZeroBaseline) {
  const std::optional<common::Finding> finding = FixtureFinding("example-errorrate-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();

  const std::string line = RenderFindingLine(*finding);

  EXPECT_EQ(Fields(line), (std::vector<std::string>{
                              "2024-12-11T16:52:00Z",
                              "Start",
                              "error rate",
                              "cloudtrail.amazonaws.com DescribeQuery (QueryIdNotFoundException)",
                              "888888888888/us-east-1",
                              "1.2 errors/min vs baseline 0",
                              "top arn:aws:sts::888888888888:assumed-role/Admin",
                          }));
}

TEST(FindingLineTest, EndSaysHowLongTheInsightLasted) {
  const std::optional<common::Finding> finding = FixtureFinding("example-callrate-end.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();

  const std::vector<std::string> fields = Fields(RenderFindingLine(*finding));

  ASSERT_EQ(fields.size(), 7u);
  EXPECT_EQ(fields[0], "2019-10-15T21:14:00Z");
  EXPECT_EQ(fields[1], "End");
  EXPECT_EQ(fields[5], "0.6 calls/min for 5 min vs baseline <0.01 (6802x)");
}

TEST(FindingLineTest, LeavesTheTopPrincipalOutWhenThereAreNoAttributions) {
  const std::optional<common::Finding> finding =
      FixtureFinding("example-callrate-minimal-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();

  const std::vector<std::string> fields = Fields(RenderFindingLine(*finding));

  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[3], "ssm.amazonaws.com UpdateInstanceInformation");
  EXPECT_EQ(fields[5], "664 calls/min vs baseline 85 (7.8x)");
}

TEST(FindingLineTest, WritesControlCharactersFromRecordsAsEscapes) {
  common::Finding finding;
  finding.key = test_support::MakeKey(common::InsightType::kApiCallRate, "123456789012",
                                      "us-east-1", "ec2.amazonaws.com", "Run\x1b[2J\nInstances");
  finding.attributions.push_back({"userIdentityArn",
                                  {{"arn:aws:iam::123456789012:user/\xc2\x9b"
                                    "31m",
                                    1.0}},
                                  {}});

  const std::string line = RenderFindingLine(finding);

  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("Run\\x1b[2J\\x0aInstances"), std::string::npos) << line;
  EXPECT_NE(line.find("user/\\xc2\\x9b31m"), std::string::npos) << line;
}

TEST(FindingLineTest, ColoursTheStateOnlyWhenAsked) {
  const std::optional<common::Finding> finding = FixtureFinding("example-callrate-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();

  const std::string plain = RenderFindingLine(*finding);
  const std::string coloured = RenderFindingLine(*finding, {.colour = true});

  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[1;31mStart\x1b[0m  call rate"), std::string::npos) << coloured;
}

TEST(FindingLineTest, TamperAlertNamesTheCallTheRuleAndTheCaller) {
  common::Alert alert = MalloryStopsLogging();
  alert.error_code = "AccessDenied";

  EXPECT_EQ(Fields(RenderAlertLine(alert)),
            (std::vector<std::string>{
                "2024-06-01T10:00:05Z",
                "Alert",
                "tamper",
                "cloudtrail.amazonaws.com StopLogging (AccessDenied)",
                "111122223333/eu-west-1",
                "Critical cloudtrail.StopLogging",
                "by arn:aws:iam::111122223333:user/mallory",
            }));
}

TEST(FindingLineTest, PipelineAlertCarriesItsMessageInsteadOfACaller) {
  const common::Alert alert =
      common::PipelineAlert(common::AlertKind::kSilentSource, "silent-source",
                            *common::ParseUtcTimestamp("2024-06-01T10:07:00Z"), "111122223333",
                            "eu-west-1", "no CloudTrail record for 42 minutes");

  EXPECT_EQ(Fields(RenderAlertLine(alert)), (std::vector<std::string>{
                                                "2024-06-01T10:07:00Z",
                                                "Alert",
                                                "silent source",
                                                "111122223333/eu-west-1",
                                                "High silent-source",
                                                "no CloudTrail record for 42 minutes",
                                            }));
}

TEST(TextLinesSinkTest, WritesOneLinePerFindingAndAlert) {
  const std::optional<common::Finding> finding = FixtureFinding("example-callrate-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();
  std::ostringstream out;
  TextLinesSink sink(out, {});

  ASSERT_TRUE(sink.Publish(*finding));
  ASSERT_TRUE(sink.Publish(MalloryStopsLogging()));
  ASSERT_TRUE(sink.Flush());

  EXPECT_EQ(SplitLines(out.str()),
            (std::vector<std::string>{RenderFindingLine(*finding),
                                      RenderAlertLine(MalloryStopsLogging())}));
}

TEST(TextLinesSinkTest, FailsNamingTheDestinationOnceTheStreamFailed) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  TextLinesSink sink(out, {}, "stdout");

  const common::Status status = sink.Publish(MalloryStopsLogging());

  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("stdout"), std::string::npos);
}

// Points std::cout at a string for the life of the object.
class CapturedStdout {
 public:
  CapturedStdout() : saved_(std::cout.rdbuf(captured_.rdbuf())) {}
  ~CapturedStdout() { std::cout.rdbuf(saved_); }
  std::string text() const { return captured_.str(); }

 private:
  std::ostringstream captured_;
  std::streambuf* saved_;
};

TEST(OpenInsightSinkTest, StdoutIsJsonLinesUnlessTextIsAsked) {
  const std::optional<common::Finding> finding = FixtureFinding("example-callrate-start.json");
  if (!finding) GTEST_SKIP() << "fixture absent under " << test_support::FixtureDir();
  std::string json, text;

  {
    CapturedStdout captured;
    auto sink = OpenInsightSink("-");
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->Publish(*finding));
    ASSERT_TRUE((*sink)->Flush());
    json = captured.text();
  }
  {
    CapturedStdout captured;
    auto sink = OpenInsightSink("-", {.text = true, .style = {}});
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->Publish(*finding));
    ASSERT_TRUE((*sink)->Flush());
    text = captured.text();
  }

  EXPECT_EQ(json, RenderInsightLine(*finding) + "\n");
  EXPECT_EQ(text, RenderFindingLine(*finding) + "\n");
}

}  // namespace
}  // namespace trailsight::alerts
