#include "consumers/input_paths.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using test_support::MakeRecord;
using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kOrgTrail =
    "AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/02/";
constexpr std::string_view kDigest =
    "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/";

// Lays out an organization trail's bucket: two record files out of name order, a JSON lines
// file, a digest and an insight folder that must be skipped, and a file that is not JSON.
void WriteOrganizationTrail(const TempDir& dir) {
  const std::string prefix = "111122223333_CloudTrail_us-east-1_20240102T";
  dir.WriteGzip(std::string(kOrgTrail) + prefix + "0310Z_b.json.gz",
                R"({"Records":[)" + MakeRecord("Second") + "]}");
  dir.WriteGzip(std::string(kOrgTrail) + prefix + "0305Z_a.json.gz",
                R"({"Records":[)" + MakeRecord("First") + "]}");
  dir.Write("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/03/late.jsonl",
            MakeRecord("Third") + "\n");
  dir.WriteGzip(std::string(kDigest) + "111122223333_CloudTrail-Digest_us-east-1_x.json.gz",
                R"({"awsAccountId":"111122223333","digestStartTime":"2024-01-02T03:00:00Z"})");
  dir.Write("AWSLogs/o-abc123/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/i.json.gz",
            "{}");
  dir.Write(std::string(kOrgTrail) + "notes.txt", "not records");
}

TEST(ExpandInputsTest, ListsAnS3LayoutTreeInPathOrderSkippingDigestAndInsightFolders) {
  TempDir dir;
  WriteOrganizationTrail(dir);

  const common::Result<std::vector<std::string>> inputs = ExpandInputs({dir.Path("AWSLogs")});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  const std::string day = dir.Path(kOrgTrail) + "111122223333_CloudTrail_us-east-1_20240102T";
  EXPECT_THAT(*inputs,
              ElementsAre(day + "0305Z_a.json.gz", day + "0310Z_b.json.gz",
                          dir.Path("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/03/"
                                   "late.jsonl")));
}

TEST(ExpandInputsTest, KeepsFilesAndDashAsGivenInArgumentOrder) {
  TempDir dir;
  const std::string text = dir.Write("records.txt", MakeRecord("A"));
  const std::string json = dir.Write("sub/a.json", MakeRecord("B"));

  const common::Result<std::vector<std::string>> inputs =
      ExpandInputs({text, "-", dir.Path("sub")});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  EXPECT_THAT(*inputs, ElementsAre(text, "-", json));
}

TEST(ExpandInputsTest, FailsNamingAPathThatDoesNotExist) {
  TempDir dir;

  const common::Result<std::vector<std::string>> inputs =
      ExpandInputs({dir.Path("AWSLogs"), dir.Path("nowhere")});

  ASSERT_FALSE(inputs.has_value());
  EXPECT_EQ(inputs.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_THAT(inputs.error().message, HasSubstr(dir.Path("AWSLogs")));
}

TEST(ExpandInputsTest, ReplaysAnOrganizationTrailInTimeOrder) {
  TempDir dir;
  WriteOrganizationTrail(dir);
  common::StringInterner interner;
  test_support::CollectingDeadLetters dead_letters;
  test_support::CollectingReceiver receiver;
  ReplayReader reader(interner, dead_letters, {});

  const common::Result<std::vector<std::string>> inputs = ExpandInputs({dir.Path("")});
  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  for (const std::string& input : *inputs) ASSERT_TRUE(reader.ReadInput(input, receiver).ok());

  EXPECT_THAT(test_support::Names(receiver.events, interner),
              ElementsAre("First", "Second", "Third"));
  EXPECT_TRUE(dead_letters.letters.empty());
  EXPECT_EQ(interner.Resolve(receiver.events[0].account), "111122223333");
}

}  // namespace
}  // namespace trailsight::consumers
