// Reads the real CloudTrail recordings in ../shared/datasets (see its README.md): every record
// must parse, in each of the three shapes they come in.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/time.h"
#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using common::Event;

class DatasetsTest : public ::testing::Test {
 protected:
  // Expands and reads the dataset folder `name`, skipping the test when it is absent.
  void ReadDataset(const std::string& name) {
    const std::filesystem::path dir =
        std::filesystem::path(TRAILSIGHT_SHARED_DIR) / "datasets" / name;
    if (!std::filesystem::exists(dir)) GTEST_SKIP() << "dataset not available: " << dir;
    const common::Result<InputList> inputs = ExpandInputs({dir.string()});
    ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
    ASSERT_TRUE(inputs->unreadable.empty()) << inputs->unreadable.front().message;
    input_count_ = inputs->files.size();
    for (const std::string& input : inputs->files) {
      const common::Status status = reader_.ReadInput(input, receiver_);
      ASSERT_TRUE(status.ok()) << status.error().message;
    }
  }
  std::string Text(common::Symbol symbol) const { return std::string(interner_.Resolve(symbol)); }
  std::vector<Event> Named(std::string_view name) const {
    std::vector<Event> found;
    for (const Event& event : receiver_.events) {
      if (interner_.Resolve(event.name) == name) found.push_back(event);
    }
    return found;
  }
  void ExpectNoDeadLetters() const {
    EXPECT_EQ(reader_.counters().malformed, 0u);
    for (const test_support::StoredLetter& letter : dead_letters_.letters) {
      ADD_FAILURE() << letter.source << " " << letter.position << ": " << letter.reason;
    }
  }

  common::StringInterner interner_;
  test_support::CollectingDeadLetters dead_letters_;
  test_support::CollectingReceiver receiver_;
  ReplayReader reader_{interner_, dead_letters_, {}};
  std::size_t input_count_ = 0;
};

TEST_F(DatasetsTest, ReadsEveryStratusDetonationFromPrettyPrintedArrays) {
  ReadDataset("stratus-detonation-logs");
  if (IsSkipped()) return;

  EXPECT_EQ(input_count_, 35u);
  EXPECT_EQ(receiver_.events.size(), 310u);
  EXPECT_EQ(reader_.counters().records, 310u);
  ExpectNoDeadLetters();
  const std::vector<Event> stop = Named("StopLogging");
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(Text(stop[0].account), "143434273843");
  EXPECT_EQ(Text(stop[0].source), "cloudtrail.amazonaws.com");
  EXPECT_EQ(Text(stop[0].principal), "arn:aws:iam::143434273843:user/christophe");
  EXPECT_EQ(stop[0].time, *common::ParseUtcTimestamp("2024-07-31T13:06:24Z"));
  EXPECT_FALSE(stop[0].read_only);
  EXPECT_EQ(stop[0].category, common::EventCategory::kManagement);
  EXPECT_EQ(stop[0].event_id.view(), "10163ed2-2253-469d-a5ee-cbc6651f8934");
  EXPECT_EQ(stop[0].source_ip.view(), "86.245.153.234");
  const auto writes = std::count_if(receiver_.events.begin(), receiver_.events.end(),
                                    [](const Event& event) { return !event.read_only; });
  EXPECT_EQ(writes, 49);
}

TEST_F(DatasetsTest, ReadsOtrfJsonLinesWithAtTimestampAndInferredReadOnly) {
  ReadDataset("otrf-ec2-proxy-s3-exfil");
  if (IsSkipped()) return;

  EXPECT_EQ(receiver_.events.size(), 103u);
  ExpectNoDeadLetters();
  EXPECT_EQ(receiver_.events.front().time, *common::ParseUtcTimestamp("2020-09-14T00:44:23Z"));
  const auto reads = std::count_if(receiver_.events.begin(), receiver_.events.end(),
                                   [](const Event& event) { return event.read_only; });
  EXPECT_EQ(reads, 98);  // 13 from readOnly, the rest inferred from the name
  const std::vector<Event> exfiltration = Named("GetObject");
  ASSERT_EQ(exfiltration.size(), 2u);
  EXPECT_EQ(Text(exfiltration[0].principal),
            "arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0");
  EXPECT_EQ(exfiltration[0].category, common::EventCategory::kData);
  EXPECT_EQ(exfiltration[1].time, *common::ParseUtcTimestamp("2020-09-14T01:13:20Z"));
  for (const Event& assume : Named("AssumeRole")) {
    EXPECT_EQ(Text(assume.principal), "ec2.amazonaws.com");
  }
}

TEST_F(DatasetsTest, ReadsFlaws2RecordsObjectsFromGzip) {
  ReadDataset("flaws2-defender");
  if (IsSkipped()) return;

  EXPECT_EQ(input_count_, 8u);
  EXPECT_EQ(receiver_.events.size(), 37u);
  ExpectNoDeadLetters();
  std::size_t access_denied = 0, anonymous = 0, on_site_bucket = 0;
  for (const Event& event : receiver_.events) {
    EXPECT_EQ(Text(event.account), "653711331788");
    access_denied += Text(event.error_code) == "AccessDenied";
    anonymous += Text(event.principal) == "AWSAccount";
    on_site_bucket += Text(event.resource) == "flaws2.cloud";  // requestParameters.bucketName
  }
  EXPECT_EQ(access_denied, 5u);
  EXPECT_EQ(anonymous, 22u);
  EXPECT_EQ(on_site_bucket, 10u);
  const std::vector<Event> list_buckets = Named("ListBuckets");
  ASSERT_EQ(list_buckets.size(), 1u);
  EXPECT_EQ(Text(list_buckets[0].principal), "arn:aws:sts::653711331788:assumed-role/level3");
}

}  // namespace
}  // namespace trailsight::consumers
