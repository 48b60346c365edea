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

  const std::string path = InsightObjectPath(finding).string();

  const std::string id = DeriveObjectId(DeriveInsightIds(finding).event_id);
  EXPECT_EQ(path,
            "AWSLogs/888888888888/CloudTrail-Insight/us-east-1/2024/12/11/"
            "888888888888_CloudTrail-Insight_us-east-1_20241211T1653Z_" +
                id + ".json.gz");
  EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9]{16}")));
}

TEST(S3LayoutSinkTest, StartAndEndGoToDifferentObjects) {
  EXPECT_NE(InsightObjectPath(ErrorRateStart()),
            InsightObjectPath(EndAfterOneMinute(ErrorRateStart())));
}

TEST(S3LayoutSinkTest, WritesAGzipRecordsWrapperWithTheRecord) {
  TemporaryFolder folder;
  auto sink = S3LayoutSink::Create(folder.path() / "bucket");
  ASSERT_TRUE(sink) << sink.error().message;

  ASSERT_TRUE((*sink)->Publish(ErrorRateStart()));
  ASSERT_TRUE((*sink)->Flush());

  const std::filesystem::path file = folder.path() / "bucket" / InsightObjectPath(ErrorRateStart());
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
