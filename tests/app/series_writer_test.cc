#include "app/series_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;
using test_support::ReadLines;

constexpr std::string_view kHeader =
    "minute,type,account,region,event_source,event_name,error_code,calls,expected,fire_at,"
    "calm_below,score,warm,insight_open,calls_5,expected_5,fire_at_5,score_5,calls_15,"
    "expected_15,fire_at_15,score_15,calls_60,expected_60,fire_at_60,score_60";

// A judged minute of 111122223333/us-east-1/ec2.amazonaws.com/`name` at 2026-11-07 14:07.
struct Judged {
  explicit Judged(std::string_view name) {
    judgement.account = "111122223333";
    judgement.region = "us-east-1";
    judgement.event_source = "ec2.amazonaws.com";
    judgement.event_name = name;
    judgement.minute = common::Minute{std::chrono::sys_days{std::chrono::November / 7 / 2026} +
                                      std::chrono::hours{14} + std::chrono::minutes{7}};
    judgement.calls = 41;
    judgement.calm_below = 3;
    judgement.score = 1.0;
    judgement.warm = true;
    judgement.insight_open = true;
    windows = {{.minutes = 1, .calls = 41, .expected = 0.02, .fire_at = 5, .score = 1.0},
               {.minutes = 5, .calls = 43, .expected = 0.1, .fire_at = 15, .score = 1.0},
               {.minutes = 15, .calls = 44, .expected = 0.3, .fire_at = 20, .score = 1.0},
               {.minutes = 60, .calls = 45, .expected = 1.2, .fire_at = 40, .score = 1.0}};
    judgement.windows = windows;
  }
  std::vector<detector::WindowJudgement> windows;
  detector::MinuteJudgement judgement;
};

class SeriesWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("trailsight-series-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
  }
  void TearDown() override { fs::remove(path_); }

  // Writes `judgements` through a SeriesWriter with `globs` and returns the file's lines.
  std::vector<std::string> Write(const std::vector<const detector::MinuteJudgement*>& judgements,
                                 std::vector<std::string> globs = {}) {
    auto writer = SeriesWriter::Create(path_.string(), std::move(globs));
    EXPECT_TRUE(writer.has_value());
    for (const detector::MinuteJudgement* judgement : judgements) {
      (*writer)->OnMinuteClosed(*judgement);
    }
    common::Result<std::uint64_t> rows = (*writer)->Finish();
    EXPECT_TRUE(rows.has_value());
    return ReadLines(path_);
  }

  fs::path path_;
};

TEST_F(SeriesWriterTest, WritesTheHeaderEvenWithoutRows) {
  EXPECT_EQ(Write({}), std::vector<std::string>{std::string(kHeader)});
}

TEST_F(SeriesWriterTest, WritesEveryWindowOfAMinute) {
  const Judged burst("TerminateInstances");

  const std::vector<std::string> lines = Write({&burst.judgement});

  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1],
            "2026-11-07T14:07:00Z,ApiCallRateInsight,111122223333,us-east-1,ec2.amazonaws.com,"
            "TerminateInstances,,41,0.0200,5,3,1.0000,1,1,43,0.1000,15,1.0000,44,0.3000,20,"
            "1.0000,45,1.2000,40,1.0000");
}

TEST_F(SeriesWriterTest, NamesErrorRateKeysAndLeavesMissingWindowsEmpty) {
  Judged denied("GetObject");
  denied.judgement.type = common::InsightType::kApiErrorRate;
  denied.judgement.error_code = "AccessDenied";
  denied.judgement.windows = std::span(denied.windows).first(1);

  const std::vector<std::string> lines = Write({&denied.judgement});

  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1],
            "2026-11-07T14:07:00Z,ApiErrorRateInsight,111122223333,us-east-1,ec2.amazonaws.com,"
            "GetObject,AccessDenied,41,0.0200,5,3,1.0000,1,1,,,,,,,,,,,,");
}

TEST_F(SeriesWriterTest, QuotesFieldsThatWouldBreakTheCsv) {
  const Judged hostile("Terminate,\"Instances\"");

  const std::vector<std::string> lines = Write({&hostile.judgement});

  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find(",\"Terminate,\"\"Instances\"\"\","), std::string::npos) << lines[1];
}

TEST_F(SeriesWriterTest, KeepsOnlyKeysMatchingAGlob) {
  const Judged burst("TerminateInstances"), other("RunInstances"), third("StopInstances");

  const std::vector<std::string> lines =
      Write({&burst.judgement, &other.judgement, &third.judgement},
            {"*/TerminateInstances", "111122223333/us-east-1/ec2.amazonaws.com/Stop*"});

  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find(",TerminateInstances,"), std::string::npos);
  EXPECT_NE(lines[2].find(",StopInstances,"), std::string::npos);
}

TEST_F(SeriesWriterTest, WritesEveryRowOfALongExport) {
  const Judged burst("TerminateInstances");
  const std::vector<const detector::MinuteJudgement*> judgements(50'000, &burst.judgement);

  const std::vector<std::string> lines = Write(judgements);

  EXPECT_EQ(lines.size(), 50'001u);
  EXPECT_EQ(lines.back(), lines[1]);
}

TEST_F(SeriesWriterTest, FailsToOpenAMissingFolderNamingThePath) {
  auto writer = SeriesWriter::Create("/nonexistent-folder/series.csv", {});

  ASSERT_FALSE(writer.has_value());
  EXPECT_NE(writer.error().message.find("/nonexistent-folder/series.csv"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::app
