#include "alerts/ocsf_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "alerts/ocsf_record.h"
#include "tests/alerts/fixture_finding.h"
#include "tests/support/files.h"

namespace trailsight::alerts {
namespace {

using ::trailsight::test_support::SplitLines;

common::Alert TamperAlert() {
  common::Alert alert;
  alert.rule = "ec2.DeleteFlowLogs";
  alert.time = *common::ParseUtcTimestamp("2024-07-31T15:07:49Z");
  alert.account = "498376118699";
  alert.region = "megov-south-1r";
  alert.event_source = "ec2.amazonaws.com";
  alert.event_name = "DeleteFlowLogs";
  return alert;
}

common::Finding Start() {
  common::Finding finding;
  finding.key = test_support::MakeKey(common::InsightType::kApiCallRate, "498376118699",
                                      "megov-south-1r", "ec2.amazonaws.com", "TerminateInstances");
  finding.start = test_support::ParseMinute("2024-07-31T15:09:00Z");
  finding.event_time = finding.start;
  finding.insight_average = 30.0;
  return finding;
}

// Records what it was handed; fails every Publish when `broken`.
class RecordingSink final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& finding) override {
    published.push_back(finding.key.event_name);
    if (broken) return common::Error{common::ErrorCode::kIo, "insights output: disk full"};
    return common::Ok();
  }
  common::Status Flush() override {
    ++flushes;
    return common::Ok();
  }
  std::vector<std::string> published;
  int flushes = 0;
  bool broken = false;
};

TEST(OcsfLinesSinkTest, WritesAlertsAndInsightsAsOneOcsfLineEach) {
  std::ostringstream out;
  OcsfLinesSink sink(out);

  ASSERT_TRUE(sink.Publish(TamperAlert()));
  ASSERT_TRUE(sink.Publish(Start()));
  ASSERT_TRUE(sink.Flush());

  EXPECT_EQ(SplitLines(out.str()), (std::vector<std::string>{RenderOcsfAlertLine(TamperAlert()),
                                                             RenderOcsfInsightLine(Start())}));
}

TEST(OcsfLinesSinkTest, OpensAFileAndRefusesAnEmptyTargetOrAnUnwritablePath) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "trailsight_ocsf_sink_alerts.jsonl";
  {
    auto sink = OcsfLinesSink::Open(path.string());
    ASSERT_TRUE(sink.has_value()) << sink.error().message;
    ASSERT_TRUE((*sink)->Publish(TamperAlert()));
  }  // the destructor flushes and closes
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::filesystem::remove(path);

  EXPECT_EQ(nlohmann::json::parse(line)["class_uid"], 2004);
  EXPECT_EQ(OcsfLinesSink::Open("").error().code, common::ErrorCode::kInvalidArgument);
  const auto unwritable = OcsfLinesSink::Open("/nonexistent-dir/alerts.jsonl");
  ASSERT_FALSE(unwritable.has_value());
  EXPECT_EQ(unwritable.error().code, common::ErrorCode::kIo);
  EXPECT_NE(unwritable.error().message.find("/nonexistent-dir/alerts.jsonl"), std::string::npos);
}

TEST(MirroredFindingSinkTest, HandsEveryFindingToBothSinks) {
  RecordingSink insights;
  std::ostringstream out;
  OcsfLinesSink ocsf(out);
  MirroredFindingSink mirrored(insights, ocsf);

  ASSERT_TRUE(mirrored.Publish(Start()));
  ASSERT_TRUE(mirrored.Flush());

  EXPECT_EQ(insights.published, std::vector<std::string>{"TerminateInstances"});
  EXPECT_EQ(insights.flushes, 1);
  EXPECT_EQ(SplitLines(out.str()), std::vector<std::string>{RenderOcsfInsightLine(Start())});
}

TEST(MirroredFindingSinkTest, StillMirrorsWhenThePrimaryFailsAndReturnsItsError) {
  RecordingSink insights;
  insights.broken = true;
  RecordingSink mirror;
  MirroredFindingSink mirrored(insights, mirror);

  const common::Status status = mirrored.Publish(Start());

  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "insights output: disk full");
  EXPECT_EQ(mirror.published, std::vector<std::string>{"TerminateInstances"});
}

}  // namespace
}  // namespace trailsight::alerts
