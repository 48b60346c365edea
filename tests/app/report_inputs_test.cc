// The report's readers against what replay writes: records rendered by alerts/ and series
// rows written by SeriesWriter, read back into the page's model.
#include "app/report_inputs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"
#include "app/report_series.h"
#include "app/series_writer.h"
#include "tests/support/files.h"

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;
using test_support::WriteLines;

common::Minute At(const char* text) {
  return common::FloorMinute(*common::ParseUtcTimestamp(text));
}

common::Finding Burst(common::InsightState state, common::Minute start, int duration = 10) {
  common::Finding finding;
  finding.key.type = common::InsightType::kApiCallRate;
  finding.key.account = "111122223333";
  finding.key.region = "us-east-1";
  finding.key.event_source = "ec2.amazonaws.com";
  finding.key.event_name = "TerminateInstances";
  finding.state = state;
  finding.start = start;
  finding.event_time = state == common::InsightState::kStart ? start : start + minutes{duration};
  finding.baseline_average = 0.25;
  finding.insight_average = 42;
  finding.insight_duration_minutes = state == common::InsightState::kStart ? 1 : duration;
  finding.baseline_duration_minutes = 10800;
  finding.attributions = {{.attribute = "userIdentityArn",
                           .insight = {{"arn:aws:iam::111122223333:user/ops", 42.0}},
                           .baseline = {{"arn:aws:iam::111122223333:user/ops", 0.25}}}};
  return finding;
}

// A judged minute of a key, its windows' values given.
struct Row {
  std::string account = "111122223333", name = "TerminateInstances", error_code{};
  common::InsightType type = common::InsightType::kApiCallRate;
  common::Minute minute{};
  std::uint32_t calls = 1;
  std::vector<detector::WindowJudgement> windows = {
      {.minutes = 1, .calls = 1, .expected = 0.25, .fire_at = 9},
      {.minutes = 5, .calls = 5, .expected = 1.25, .fire_at = 15}};
};

class ReportInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trailsight-report-inputs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `rows` through a SeriesWriter, as replay --series does; returns the file.
  std::string WriteSeries(const std::vector<Row>& rows) {
    const std::string path = (dir_ / "series.csv").string();
    auto writer = SeriesWriter::Create(path, {});
    EXPECT_TRUE(writer.has_value());
    for (const Row& row : rows) {
      detector::MinuteJudgement judgement;
      judgement.type = row.type;
      judgement.account = row.account;
      judgement.region = "us-east-1";
      judgement.event_source = "ec2.amazonaws.com";
      judgement.event_name = row.name;
      judgement.error_code = row.error_code;
      judgement.minute = row.minute;
      judgement.calls = row.calls;
      judgement.windows = row.windows;
      (*writer)->OnMinuteClosed(judgement);
    }
    EXPECT_TRUE((*writer)->Finish().has_value());
    return path;
  }

  // The Start and End of a burst from 12:00 to 12:10, read back.
  std::vector<alerts::ReportInsight> EndedBurst() {
    const common::Minute start = At("2026-11-08T12:00:00Z");
    WriteLines(dir_ / "insights.jsonl",
               {alerts::RenderInsightLine(Burst(common::InsightState::kStart, start)),
                alerts::RenderInsightLine(Burst(common::InsightState::kEnd, start))});
    auto insights = ReadInsightRecords((dir_ / "insights.jsonl").string());
    EXPECT_TRUE(insights.has_value());
    return insights ? *insights : std::vector<alerts::ReportInsight>{};
  }

  // Rows of the burst's key every minute from `from` to `to`, 40 calls from 12:00 to 12:09.
  static std::vector<Row> Minutes(const char* from, const char* to) {
    std::vector<Row> rows;
    for (common::Minute minute = At(from); minute <= At(to); minute += minutes{1}) {
      Row row{.minute = minute};
      if (minute >= At("2026-11-08T12:00:00Z") && minute < At("2026-11-08T12:10:00Z")) {
        row.calls = 40;
        row.windows = {{.minutes = 1, .calls = 40, .expected = 0.25, .fire_at = 9},
                       {.minutes = 5, .calls = 44, .expected = 1.25, .fire_at = 15}};
      }
      rows.push_back(row);
    }
    return rows;
  }

  fs::path dir_;
};

TEST_F(ReportInputsTest, PairsEachStartWithItsEndBySharedEventId) {
  const common::Minute first = At("2026-11-08T12:00:00Z"), second = At("2026-11-09T03:00:00Z");
  const common::Finding start = Burst(common::InsightState::kStart, first);
  WriteLines(dir_ / "insights.jsonl",
             {alerts::RenderInsightLine(start),
              alerts::RenderInsightLine(Burst(common::InsightState::kStart, second)), "",
              alerts::RenderInsightLine(Burst(common::InsightState::kEnd, first))});

  auto insights = ReadInsightRecords((dir_ / "insights.jsonl").string());

  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  ASSERT_EQ(insights->size(), 2u);
  const alerts::ReportInsight& ended = (*insights)[0];
  EXPECT_EQ(ended.id, alerts::RenderInsightRecord(start)["sharedEventID"]);
  EXPECT_EQ(ended.start.start, first);
  EXPECT_EQ(ended.start.key.event_name, "TerminateInstances");
  EXPECT_EQ(ended.start.baseline_average, 0.25);
  EXPECT_EQ(ended.start.attributions.at(0).insight.at(0).value,
            "arn:aws:iam::111122223333:user/ops");
  ASSERT_TRUE(ended.end.has_value());
  EXPECT_EQ(ended.end->event_time, first + minutes{10});
  EXPECT_EQ(ended.end->insight_duration_minutes, 10);
  ASSERT_EQ(ended.records.size(), 2u);
  EXPECT_NE(ended.records[0].find("\"state\": \"Start\""), std::string::npos);
  EXPECT_NE(ended.records[1].find("\"state\": \"End\""), std::string::npos);
  EXPECT_EQ((*insights)[1].start.start, second);
  EXPECT_FALSE((*insights)[1].end.has_value());
}

TEST_F(ReportInputsTest, ALineThatIsNoInsightRecordIsNamed) {
  WriteLines(
      dir_ / "insights.jsonl",
      {alerts::RenderInsightLine(Burst(common::InsightState::kStart, At("2026-11-08T12:00:00Z"))),
       "{\"eventTime\":\"2026-11-08T12:00:00Z\"}"});

  auto insights = ReadInsightRecords((dir_ / "insights.jsonl").string());

  ASSERT_FALSE(insights.has_value());
  EXPECT_NE(insights.error().message.find("insights.jsonl:2:"), std::string::npos)
      << insights.error().message;
  EXPECT_FALSE(ReadInsightRecords((dir_ / "absent.jsonl").string()).has_value());
}

TEST_F(ReportInputsTest, ReadsAlertsOnceAndTakesInsightSeverityFromTheMirror) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  common::Alert stop;
  stop.kind = common::AlertKind::kTamper;
  stop.rule = "cloudtrail.StopLogging";
  stop.severity = common::Severity::kCritical;
  stop.time = *common::ParseUtcTimestamp("2026-11-08T12:03:17Z");
  stop.account = "111122223333";
  stop.region = "us-east-1";
  stop.event_source = "cloudtrail.amazonaws.com";
  stop.event_name = "StopLogging";
  stop.principal = "arn:aws:iam::111122223333:user/mallory";
  stop.source_ip = "203.0.113.9";
  stop.record_id = "8e6c1f7a-4a55-4c34-9d5e-2f1d8f0e4b11";
  stop.message = "StopLogging by mallory";
  common::Finding mirrored = Burst(common::InsightState::kStart, At("2026-11-08T12:00:00Z"));
  mirrored.severity = common::Severity::kHigh;
  WriteLines(dir_ / "alerts.jsonl",
             {alerts::RenderOcsfInsightLine(mirrored), alerts::RenderOcsfAlertLine(stop),
              alerts::RenderOcsfAlertLine(stop)});

  auto alerts = ReadOcsfRecords((dir_ / "alerts.jsonl").string(), insights);

  ASSERT_TRUE(alerts.has_value()) << alerts.error().message;
  ASSERT_EQ(alerts->size(), 1u);
  const alerts::ReportAlert& read = (*alerts)[0];
  EXPECT_EQ(read.id, alerts::RenderOcsfAlert(stop)["finding_info"]["uid"]);
  EXPECT_EQ(read.title, "StopLogging called");
  EXPECT_EQ(read.alert.kind, common::AlertKind::kTamper);
  EXPECT_EQ(read.alert.severity, common::Severity::kCritical);
  EXPECT_EQ(read.alert.time, stop.time);
  EXPECT_EQ(read.alert.rule, stop.rule);
  EXPECT_EQ(read.alert.event_name, "StopLogging");
  EXPECT_EQ(read.alert.principal, stop.principal);
  EXPECT_EQ(read.alert.source_ip, stop.source_ip);
  EXPECT_EQ(read.alert.record_id, stop.record_id);
  EXPECT_NE(read.record.find("\"class_uid\": 2004"), std::string::npos);
  EXPECT_EQ(insights[0].start.severity, common::Severity::kHigh);
}

TEST_F(ReportInputsTest, GraphsTheKeyAroundTheInsightWithTheFiredWindowsLevels) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  std::vector<Row> rows = Minutes("2026-11-08T10:00:00Z", "2026-11-08T14:00:00Z");
  // Two minutes without calls have no row; another key's rows are left out.
  rows.erase(rows.begin() + 70, rows.begin() + 72);  // 11:10 and 11:11
  Row other{.name = "RunInstances", .minute = At("2026-11-08T12:00:00Z"), .calls = 500};
  rows.push_back(other);

  ASSERT_TRUE(ReadSeries(WriteSeries(rows), minutes{60}, insights).ok());

  const alerts::ReportInsight& insight = insights[0];
  // 11:00 up to the End's 12:10 plus an hour, 13:10.
  EXPECT_EQ(insight.graph.from, At("2026-11-08T11:00:00Z"));
  ASSERT_EQ(insight.graph.minutes.size(), 130u);
  EXPECT_EQ(insight.graph.minutes[0].calls, 1u);
  EXPECT_EQ(insight.graph.minutes[60].calls, 40u);  // 12:00
  EXPECT_EQ(insight.graph.minutes[10].calls, 0u);   // 11:10: no row
  EXPECT_FALSE(insight.graph.minutes[10].expected.has_value());
  // At 12:00 the one-minute window reached its firing level.
  ASSERT_TRUE(insight.fired.has_value());
  EXPECT_EQ(insight.fired->minutes, 1);
  EXPECT_EQ(insight.fired->calls, 40u);
  EXPECT_EQ(insight.fired->fire_at, 9u);
  EXPECT_EQ(insight.graph.window_minutes, 1);
  EXPECT_DOUBLE_EQ(*insight.graph.minutes[0].expected, 0.25);
  EXPECT_DOUBLE_EQ(*insight.graph.minutes[0].firing_level, 9.0);
}

TEST_F(ReportInputsTest, LevelsArePerMinuteOfTheLongerWindowThatFired) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  std::vector<Row> rows = Minutes("2026-11-08T11:00:00Z", "2026-11-08T13:00:00Z");
  for (Row& row : rows) {
    if (row.minute == At("2026-11-08T12:00:00Z")) row.windows[0].calls = row.calls = 8;
  }

  ASSERT_TRUE(ReadSeries(WriteSeries(rows), minutes{60}, insights).ok());

  const alerts::ReportInsight& insight = insights[0];
  ASSERT_TRUE(insight.fired.has_value());
  EXPECT_EQ(insight.fired->minutes, 5);
  EXPECT_EQ(insight.fired->calls, 44u);
  EXPECT_EQ(insight.graph.window_minutes, 5);
  EXPECT_DOUBLE_EQ(*insight.graph.minutes[0].expected, 1.25 / 5);
  EXPECT_DOUBLE_EQ(*insight.graph.minutes[0].firing_level, 15.0 / 5);
}

TEST_F(ReportInputsTest, TheGraphStaysWithinTheMinutesTheSeriesCovers) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  insights.push_back(insights[0]);
  insights[1].end.reset();  // the same key, open

  ASSERT_TRUE(ReadSeries(WriteSeries(Minutes("2026-11-08T11:30:00Z", "2026-11-08T12:30:00Z")),
                         minutes{60}, insights)
                  .ok());

  EXPECT_EQ(insights[0].graph.from, At("2026-11-08T11:30:00Z"));
  EXPECT_EQ(insights[0].graph.minutes.size(), 61u);  // 11:30 to 12:30
  EXPECT_EQ(insights[1].graph.minutes.size(), 61u);  // open: to the series' last minute
}

TEST_F(ReportInputsTest, MatchesQuotedFieldsAndErrorRateKeysExactly) {
  const common::Minute start = At("2026-11-08T12:00:00Z");
  common::Finding errors = Burst(common::InsightState::kStart, start);
  errors.key.type = common::InsightType::kApiErrorRate;
  errors.key.account = "111,\"222\"";
  errors.key.error_code = "AccessDenied";
  WriteLines(dir_ / "insights.jsonl", {alerts::RenderInsightLine(errors)});
  auto insights = ReadInsightRecords((dir_ / "insights.jsonl").string());
  ASSERT_TRUE(insights.has_value());
  Row denied{.account = errors.key.account,
             .error_code = "AccessDenied",
             .type = common::InsightType::kApiErrorRate,
             .minute = start,
             .calls = 30};
  Row throttled = denied;
  throttled.error_code = "Throttling";
  throttled.calls = 7;
  throttled.minute = start + minutes{1};

  ASSERT_TRUE(ReadSeries(WriteSeries({denied, throttled}), minutes{60}, *insights).ok());

  const alerts::InsightGraph& graph = (*insights)[0].graph;
  ASSERT_EQ(graph.minutes.size(), 2u);  // the series covers 12:00 and 12:01
  EXPECT_EQ(graph.minutes[0].calls, 30u);
  EXPECT_EQ(graph.minutes[1].calls, 0u);  // another error code's row
}

TEST_F(ReportInputsTest, AKeyOutsideTheSeriesHasNoGraph) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  Row other{.name = "RunInstances", .minute = At("2026-11-08T12:00:00Z")};

  ASSERT_TRUE(ReadSeries(WriteSeries({other}), minutes{60}, insights).ok());

  EXPECT_TRUE(insights[0].graph.minutes.empty());
  EXPECT_FALSE(insights[0].fired.has_value());
}

TEST_F(ReportInputsTest, AFileThatIsNoSeriesIsRefusedNamingTheColumn) {
  std::vector<alerts::ReportInsight> insights = EndedBurst();
  WriteLines(dir_ / "other.csv", {"timestamp,value", "2026-11-08T12:00:00Z,3"});

  common::Status read = ReadSeries((dir_ / "other.csv").string(), minutes{60}, insights);

  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("other.csv:1: not a `trailsight replay --series` file"),
            std::string::npos)
      << read.error().message;
  EXPECT_NE(read.error().message.find("minute"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::app
