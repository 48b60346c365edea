#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "alerts/insight_sink.h"
#include "alerts/json_lines_sink.h"
#include "alerts/s3_layout_sink.h"
#include "tests/alerts/fixture_finding.h"
#include "tests/support/files.h"

namespace trailsight::alerts {
namespace {

using ::trailsight::test_support::SplitLines;

using nlohmann::ordered_json;

common::Finding ErrorRateStart() {
  common::Finding finding;
  finding.key = test_support::MakeKey(common::InsightType::kApiErrorRate, "888888888888",
                                      "us-east-1", "cloudtrail.amazonaws.com", "DescribeQuery",
                                      "QueryIdNotFoundException");
  finding.start = test_support::ParseMinute("2024-12-11T16:52:00Z");
  finding.event_time = finding.start;
  finding.insight_average = 1.2;
  finding.baseline_duration_minutes = 11092;
  return finding;
}

common::Finding EndAfterOneMinute(common::Finding finding) {
  finding.state = common::InsightState::kEnd;
  finding.event_time = finding.start + std::chrono::minutes{1};
  return finding;
}

// A fresh folder under the test temp dir, removed at the end of the test.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            (std::string("trailsight_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ReadGzip(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return "";
  std::string content;
  char buffer[4096];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof buffer)) > 0) {
    content.append(buffer, static_cast<std::size_t>(read));
  }
  gzclose(file);
  return content;
}

TEST(JsonLinesSinkTest, WritesOneRecordPerLine) {
  std::ostringstream out;
  JsonLinesSink sink(out);

  ASSERT_TRUE(sink.Publish(ErrorRateStart()));
  ASSERT_TRUE(sink.Publish(EndAfterOneMinute(ErrorRateStart())));
  ASSERT_TRUE(sink.Flush());

  const std::vector<std::string> lines = SplitLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], RenderInsightLine(ErrorRateStart()));
  EXPECT_EQ(ordered_json::parse(lines[1])["insightDetails"]["state"], "End");
  EXPECT_TRUE(out.str().ends_with("\n"));
}

TEST(JsonLinesSinkTest, CreateTruncatesAndWritesTheFile) {
  TemporaryFolder folder;
  const std::filesystem::path path = folder.path() / "insights.jsonl";
  std::ofstream(path) << "old content\n";

  auto sink = JsonLinesSink::Create(path);
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));
  ASSERT_TRUE((*sink)->Flush());

  std::ifstream in(path);
  const std::string content{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(content, RenderInsightLine(ErrorRateStart()) + "\n");
}

TEST(JsonLinesSinkTest, CreateNamesThePathWhenItCannotOpen) {
  TemporaryFolder folder;
  const std::filesystem::path path = folder.path() / "missing-folder" / "insights.jsonl";

  auto sink = JsonLinesSink::Create(path);

  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, common::ErrorCode::kIo);
  EXPECT_NE(sink.error().message.find(path.string()), std::string::npos) << sink.error().message;
}

TEST(S3LayoutSinkTest, ObjectPathFollowsTheCloudTrailInsightLayout) {
  const common::Finding finding = EndAfterOneMinute(ErrorRateStart());

  const common::Result<std::filesystem::path> path = InsightObjectPath(finding);

  const std::string id = DeriveObjectId(DeriveInsightIds(finding).event_id);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(path->string(),
            "AWSLogs/888888888888/CloudTrail-Insight/us-east-1/2024/12/11/"
            "888888888888_CloudTrail-Insight_us-east-1_20241211T1653Z_" +
                id + ".json.gz");
  EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9]{16}")));
}

TEST(S3LayoutSinkTest, StartAndEndGoToDifferentObjects) {
  EXPECT_NE(*InsightObjectPath(ErrorRateStart()),
            *InsightObjectPath(EndAfterOneMinute(ErrorRateStart())));
}

TEST(S3LayoutSinkTest, WritesAGzipRecordsWrapperWithTheRecord) {
  TemporaryFolder folder;
  auto sink = S3LayoutSink::Create(folder.path() / "bucket");
  ASSERT_TRUE(sink) << sink.error().message;

  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));
  ASSERT_TRUE((*sink)->Flush());

  const std::filesystem::path file =
      folder.path() / "bucket" / *InsightObjectPath(ErrorRateStart());
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  const ordered_json content = ordered_json::parse(ReadGzip(file));
  EXPECT_EQ(content, ordered_json({{"Records", {RenderInsightRecord(ErrorRateStart())}}}));
}

TEST(S3LayoutSinkTest, LeavesNoTemporaryFilesAndRewritesTheSameNameOnReplay) {
  TemporaryFolder folder;
  auto sink = S3LayoutSink::Create(folder.path());
  ASSERT_TRUE(sink);

  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));
  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));  // a replay
  ASSERT_TRUE((*sink)->Publish(EndAfterOneMinute(ErrorRateStart())));

  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder.path())) {
    if (entry.is_regular_file()) files.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(files.size(), 2u);
  for (const std::string& name : files) EXPECT_TRUE(name.ends_with(".json.gz")) << name;
}

TEST(S3LayoutSinkTest, AcceptsAwsRegionNames) {
  for (const char* region : {"us-east-1", "us-gov-west-1", "cn-north-1", "eu-central-2"}) {
    common::Finding finding = ErrorRateStart();
    finding.key.region = region;

    const common::Result<std::filesystem::path> path = InsightObjectPath(finding);

    ASSERT_TRUE(path) << region << ": " << path.error().message;
    EXPECT_TRUE(path->string().find(std::string("/CloudTrail-Insight/") + region + "/") !=
                std::string::npos)
        << path->string();
  }
}

TEST(S3LayoutSinkTest, RefusesAccountsAndRegionsThatCannotNameAFolder) {
  for (const char* region : {"US-EAST-1", "us-east", "useast-1", "us--east-1", "us-east-1-",
                             "-us-east-1", "us-east-1a", "us-east-1/..", "u-east-1"}) {
    common::Finding finding = ErrorRateStart();
    finding.key.region = region;

    const common::Result<std::filesystem::path> path = InsightObjectPath(finding);

    ASSERT_FALSE(path) << region << " gave " << path->string();
    EXPECT_EQ(path.error().code, common::ErrorCode::kInvalidArgument);
  }
  for (const char* account : {"12345678901", "1234567890123", "12345678901a", " 23456789012"}) {
    common::Finding finding = ErrorRateStart();
    finding.key.account = account;

    EXPECT_FALSE(InsightObjectPath(finding)) << account;
  }
}

TEST(S3LayoutSinkTest, NamesTheFieldAndQuotesTheValueCutShort) {
  common::Finding finding = ErrorRateStart();
  finding.key.account = std::string(40, '.') + "/etc/passwd\n";

  const common::Result<std::filesystem::path> path = InsightObjectPath(finding);

  ASSERT_FALSE(path);
  EXPECT_NE(path.error().message.find("account \"" + std::string(40, '.') + "\"..."),
            std::string::npos)
      << path.error().message;
  EXPECT_EQ(path.error().message.find("passwd"), std::string::npos) << path.error().message;

  finding = ErrorRateStart();
  finding.key.region = "us-east-1\n";
  const common::Result<std::filesystem::path> region_path = InsightObjectPath(finding);
  ASSERT_FALSE(region_path);
  EXPECT_NE(region_path.error().message.find("region \"us-east-1\\n\""), std::string::npos)
      << region_path.error().message;
}

// A plain value as the sink's messages quote it: cut at 40 bytes.
std::string QuotedAndCut(const std::string& value) {
  return value.size() > 40 ? "\"" + value.substr(0, 40) + "\"..." : "\"" + value + "\"";
}

TEST(S3LayoutSinkTest, WritesNothingOutsideTheRootForRecordValues) {
  TemporaryFolder folder;
  const std::filesystem::path root = folder.path() / "bucket";
  auto sink = S3LayoutSink::Create(root);
  ASSERT_TRUE(sink) << sink.error().message;
  // An absolute value inside the test's own folder, so that a sink that followed it could
  // not write anywhere else on the machine.
  const std::string absolute = (folder.path() / "abs").string();
  const std::vector<std::string> hostile = {"..", "../../etc", absolute, "a/b", "123", ""};

  for (const std::string& value : hostile) {
    common::Finding bad_account = ErrorRateStart();
    bad_account.key.account = value;
    common::Finding bad_region = ErrorRateStart();
    bad_region.key.region = value;

    const common::Status account_status = (*sink)->Publish(bad_account);
    const common::Status region_status = (*sink)->Publish(bad_region);

    EXPECT_FALSE(account_status) << "account \"" << value << "\" was written";
    EXPECT_EQ(account_status.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(account_status.error().message.find("account " + QuotedAndCut(value)),
              std::string::npos)
        << account_status.error().message;
    EXPECT_FALSE(region_status) << "region \"" << value << "\" was written";
    EXPECT_EQ(region_status.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(region_status.error().message.find("region " + QuotedAndCut(value)),
              std::string::npos)
        << region_status.error().message;
  }
  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));  // the sink carries on

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder.path())) {
    if (!entry.is_directory()) files.push_back(entry.path());
  }
  EXPECT_EQ(files, std::vector<std::filesystem::path>{root / *InsightObjectPath(ErrorRateStart())});
}

TEST(OpenInsightSinkTest, DashMeansJsonLinesOnStdout) {
  auto sink = OpenInsightSink("-");

  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_NE(dynamic_cast<JsonLinesSink*>(sink->get()), nullptr);
}

TEST(OpenInsightSinkTest, TrailingSlashMeansS3LayoutAndCreatesTheFolder) {
  TemporaryFolder folder;
  const std::filesystem::path root = folder.path() / "new-bucket";

  auto sink = OpenInsightSink(root.string() + "/");

  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_NE(dynamic_cast<S3LayoutSink*>(sink->get()), nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(root));
}

TEST(OpenInsightSinkTest, ExistingFolderMeansS3Layout) {
  TemporaryFolder folder;

  auto sink = OpenInsightSink(folder.path().string());

  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_NE(dynamic_cast<S3LayoutSink*>(sink->get()), nullptr);
}

TEST(OpenInsightSinkTest, AnythingElseMeansAJsonLinesFile) {
  TemporaryFolder folder;
  const std::filesystem::path path = folder.path() / "insights.jsonl";

  auto sink = OpenInsightSink(path.string());

  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_NE(dynamic_cast<JsonLinesSink*>(sink->get()), nullptr);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(OpenInsightSinkTest, EmptyTargetIsAnInvalidArgument) {
  auto sink = OpenInsightSink("");

  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, common::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace trailsight::alerts
