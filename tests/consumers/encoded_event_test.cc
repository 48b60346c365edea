#include "consumers/encoded_event.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "consumers/record_parser.h"

namespace trailsight::consumers {
namespace {

constexpr std::string_view kRecord = R"({"eventVersion":"1.09","eventTime":"2026-03-01T10:00:00Z",
  "eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1",
  "sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","errorCode":"AccessDenied",
  "requestParameters":{"bucketName":"trail-logs"},"readOnly":false,"eventCategory":"Data",
  "eventID":"0e5c5b5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b","recipientAccountId":"111122223333",
  "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ops/alice"}})";

// What an Event says, with its strings spelled out: comparable across interners.
std::map<std::string, std::string> Fields(const common::Event& event,
                                          const common::StringInterner& interner) {
  const auto text = [&](common::Symbol symbol) { return std::string(interner.Resolve(symbol)); };
  return {{"time", std::to_string(event.time.time_since_epoch().count())},
          {"account", text(event.account)},
          {"region", text(event.region)},
          {"source", text(event.source)},
          {"name", text(event.name)},
          {"error", text(event.error_code)},
          {"principal", text(event.principal)},
          {"agent", text(event.user_agent)},
          {"resource", text(event.resource)},
          {"target_user", text(event.target_user)},
          {"read_only", std::to_string(event.read_only)},
          {"category", std::to_string(static_cast<int>(event.category))},
          {"id", std::string(event.event_id.view())},
          {"ip", std::string(event.source_ip.view())}};
}

TEST(EncodedEventTest, AnEventReadsBackWithEveryFieldInAnotherInterner) {
  common::StringInterner parsed_in;
  RecordParser parser(parsed_in);
  const common::Result<common::Event> event = parser.Parse(kRecord);
  ASSERT_TRUE(event.has_value()) << event.error().message;
  std::string bytes;
  AppendEncodedEvent(*event, parsed_in, {"cloudtrail", 4}, bytes);
  EXPECT_LT(bytes.size(), kRecord.size() / 2);

  common::StringInterner read_in;
  read_in.Intern("something else first");  // other symbols than the writer's
  EventSource source;
  const common::Result<common::Event> read = DecodeEncodedEvent(bytes, read_in, &source);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(Fields(*read, read_in), Fields(*event, parsed_in));
  EXPECT_EQ(read_in.Resolve(read->resource), "trail-logs");
  EXPECT_EQ(read->category, common::EventCategory::kData);
  EXPECT_EQ(source.topic, "cloudtrail");
  EXPECT_EQ(source.partition, 4);
}

// Records an older release re-keyed (version 1: no input partition) still read.
TEST(EncodedEventTest, AVersionOneRecordReadsWithoutItsInputPartition) {
  common::StringInterner interner;
  RecordParser parser(interner);
  const common::Result<common::Event> event = parser.Parse(kRecord);
  ASSERT_TRUE(event.has_value());
  std::string bytes;
  AppendEncodedEvent(*event, interner, {}, bytes);  // topic "" (1 byte), partition none (1 byte)
  std::string version_one(1, '\x01');
  version_one.append(bytes, 3, bytes.size() - 4);  // nor a target user (its 1 byte at the end)
  EventSource source{"stale", 7};
  const common::Result<common::Event> read = DecodeEncodedEvent(version_one, interner, &source);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(Fields(*read, interner), Fields(*event, interner));
  EXPECT_EQ(source.topic, "");
  EXPECT_EQ(source.partition, -1);
}

// The IAM user a call named travels with the record; an older release's version 2 has none.
TEST(EncodedEventTest, TheTargetUserReadsBackAndAVersionTwoRecordHasNone) {
  common::StringInterner interner;
  RecordParser parser(interner);
  const common::Result<common::Event> event = parser.Parse(
      R"({"eventTime":"2026-03-01T10:00:00Z","eventSource":"iam.amazonaws.com",)"
      R"("eventName":"CreateAccessKey","awsRegion":"us-east-1","recipientAccountId":"1",)"
      R"("requestParameters":{"userName":"alice"}})");
  ASSERT_TRUE(event.has_value()) << event.error().message;
  std::string bytes;
  AppendEncodedEvent(*event, interner, {"cloudtrail", 0}, bytes);
  common::StringInterner read_in;
  const common::Result<common::Event> read = DecodeEncodedEvent(bytes, read_in);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read_in.Resolve(read->target_user), "alice");

  std::string version_two = bytes.substr(0, bytes.size() - 6);  // without 5, "alice"
  version_two[0] = '\x02';
  const common::Result<common::Event> old = DecodeEncodedEvent(version_two, read_in);
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_EQ(old->target_user, common::kNoSymbol);
  EXPECT_EQ(read_in.Resolve(old->name), "CreateAccessKey");
}

TEST(EncodedEventTest, SourceMarksReadBackAndDamagedOnesAreRefused) {
  const std::vector<SourceMark> marks = {
      {.topic = "cloudtrail", .partition = 0, .time = common::Seconds{std::chrono::seconds{-5}}},
      {.topic = "cloudtrail", .partition = 11, .time = std::nullopt, .holds = true},
      {.topic = "other",
       .partition = 2,
       .time = common::Seconds{std::chrono::seconds{1'780'000'000}},
       .holds = false}};
  std::string bytes;
  AppendSourceMarks(marks, bytes);
  ASSERT_TRUE(IsSourceMarks(bytes));
  std::vector<SourceMark> read = {{.topic = "left over"}};
  ASSERT_TRUE(DecodeSourceMarks(bytes, read));
  EXPECT_EQ(read, marks);

  common::StringInterner interner;
  EXPECT_FALSE(DecodeEncodedEvent(bytes, interner).has_value()) << "marks are no event";
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    const common::Status status = DecodeSourceMarks(std::string_view(bytes).substr(0, cut), read);
    ASSERT_FALSE(status) << "cut at " << cut;
    EXPECT_NE(status.error().message.find("end early"), std::string::npos)
        << status.error().message;
  }
  const common::Status trailing = DecodeSourceMarks(bytes + "x", read);
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("bytes after"), std::string::npos);
}

TEST(EncodedEventTest, AbsentStringsAndTimesBeforeTheEpochReadBack) {
  common::StringInterner interner;
  common::Event event;
  event.time = common::Seconds{std::chrono::seconds{-62135596800}};  // 0001-01-01T00:00:00Z
  event.account = interner.Intern("111122223333");
  event.region = interner.Intern("us-east-1");
  std::string bytes;
  AppendEncodedEvent(event, interner, {}, bytes);
  const common::Result<common::Event> read = DecodeEncodedEvent(bytes, interner);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->time, event.time);
  EXPECT_EQ(read->error_code, common::kNoSymbol) << "no error stays no error";
  EXPECT_EQ(read->principal, common::kNoSymbol);
  EXPECT_TRUE(read->event_id.empty());
  EXPECT_EQ(Fields(*read, interner), Fields(event, interner));
}

TEST(EncodedEventTest, DamagedBytesAreRefusedSayingWhy) {
  common::StringInterner interner;
  RecordParser parser(interner);
  const common::Result<common::Event> event = parser.Parse(kRecord);
  ASSERT_TRUE(event.has_value());
  std::string bytes;
  AppendEncodedEvent(*event, interner, {"in", 0}, bytes);

  const auto error_of = [&](std::string_view damaged) {
    const common::Result<common::Event> read = DecodeEncodedEvent(damaged, interner);
    EXPECT_FALSE(read.has_value());
    return read ? std::string() : read.error().message;
  };
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"eventName":"x"})").find("version"), std::string::npos);
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    EXPECT_NE(error_of(std::string_view(bytes).substr(0, cut)).find("ends early"),
              std::string::npos)
        << "cut at " << cut;
  }
  EXPECT_NE(error_of(bytes + "x").find("bytes after"), std::string::npos);
}

TEST(EncodedEventTest, RepartitionSpreadsPairsAndNeverMovesOne) {
  std::set<std::int32_t> used;
  for (int account = 0; account < 20; ++account) {
    for (std::string_view region : {"us-east-1", "eu-west-1", "ap-south-1"}) {
      const std::string id = std::to_string(100000000000 + account);
      const std::int32_t partition = RepartitionOf(id, region, 6);
      ASSERT_GE(partition, 0);
      ASSERT_LT(partition, 6);
      EXPECT_EQ(RepartitionOf(id, region, 6), partition);
      used.insert(partition);
    }
  }
  EXPECT_EQ(used.size(), 6u) << "60 pairs reach every partition";
  // Fixed values (FNV-1a, worked out apart): every instance and every release must agree on
  // where a pair goes, or a pair's state would be split across partitions after an upgrade.
  EXPECT_EQ(RepartitionOf("111122223333", "ap-south-1", 6), 2);
  EXPECT_EQ(RepartitionOf("222233334444", "us-east-1", 6), 5);
  EXPECT_EQ(RepartitionOf("123456789012", "us-east-1", 64), 7);
}

}  // namespace
}  // namespace trailsight::consumers
