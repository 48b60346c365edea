#include "consumers/message_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using kafka_test::Batch;
using kafka_test::Envelope;
using test_support::Cat;
using test_support::MakeRecord;

// Keeps what the decoder reports: names of good records, and bad ones with their reasons.
class Recorder : public DecodedRecordHandler {
 public:
  explicit Recorder(const common::StringInterner& interner) : interner_(interner) {}
  void OnRecord(const common::Event& event, std::size_t index, std::string_view payload) override {
    good.push_back({std::string(interner_.Resolve(event.name)), index, std::string(payload)});
  }
  void OnBadRecord(std::string_view reason, std::size_t index, std::string_view payload) override {
    bad.push_back({std::string(reason), index, std::string(payload)});
  }
  struct Item {
    std::string text;  // the eventName, or the reason
    std::size_t index;
    std::string payload;
  };
  std::vector<Item> good, bad;

 private:
  const common::StringInterner& interner_;
};

class MessageDecoderTest : public ::testing::Test {
 protected:
  Recorder Decode(std::string_view payload) {
    Recorder recorder(interner_);
    decoder_.Decode(payload, recorder);
    return recorder;
  }

  common::StringInterner interner_;
  MessageDecoder decoder_{interner_};
};

TEST_F(MessageDecoderTest, ReadsASingleRecordAsTheWholeMessage) {
  const std::string record = MakeRecord("RunInstances");

  Recorder result = Decode(record);

  ASSERT_EQ(result.good.size(), 1u);
  EXPECT_EQ(result.good[0].text, "RunInstances");
  EXPECT_EQ(result.good[0].index, 0u);
  EXPECT_EQ(result.good[0].payload, record);
  EXPECT_TRUE(result.bad.empty());
}

TEST_F(MessageDecoderTest, ARecordWithADetailButNoDetailTypeIsOneRecord) {
  // Not an envelope without its detail-type: the one-pass parse gives up on the detail key
  // and the general path reads the whole message as the record it is.
  std::string record = MakeRecord("CreateBucket");
  record.insert(1, R"("detail":{"eventName":"Other"},)");

  Recorder result = Decode(record);

  ASSERT_EQ(result.good.size(), 1u);
  EXPECT_EQ(result.good[0].text, "CreateBucket");
  EXPECT_EQ(result.good[0].payload, record);
  EXPECT_TRUE(result.bad.empty());
}

TEST_F(MessageDecoderTest, ARecordWhoseFirstKeyIsVersionIsStillOneRecord) {
  std::string record = MakeRecord("PutObject");
  record.insert(1, R"("version":"0",)");

  Recorder result = Decode(record);

  ASSERT_EQ(result.good.size(), 1u);
  EXPECT_EQ(result.good[0].text, "PutObject");
}

TEST_F(MessageDecoderTest, ReadsEveryRecordOfABatchInOrder) {
  Recorder result = Decode(Batch({MakeRecord("A"), MakeRecord("B"), MakeRecord("C")}));

  ASSERT_EQ(result.good.size(), 3u);
  EXPECT_EQ(result.good[0].text, "A");
  EXPECT_EQ(result.good[2].text, "C");
  EXPECT_EQ(result.good[1].index, 2u);
  EXPECT_EQ(result.good[1].payload, MakeRecord("B"));
}

TEST_F(MessageDecoderTest, ReadsABatchWhoseRecordsKeyIsNotFirst) {
  Recorder result = Decode(
      Cat(R"({"Digest": null, "Records" : [ )", MakeRecord("A"), " ,\n", MakeRecord("B"), " ] }"));

  ASSERT_EQ(result.good.size(), 2u);
  EXPECT_EQ(result.good[1].payload, MakeRecord("B"));
}

TEST_F(MessageDecoderTest, AnEmptyBatchHasNoRecords) {
  Recorder result = Decode(R"({"Records":[]})");

  EXPECT_TRUE(result.good.empty());
  EXPECT_TRUE(result.bad.empty());
}

TEST_F(MessageDecoderTest, ReadsTheDetailOfCloudTrailEnvelopes) {
  for (std::string_view detail_type :
       {"AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
        "AWS Service Event via CloudTrail"}) {
    SCOPED_TRACE(detail_type);
    const std::string envelope = Envelope(MakeRecord("CreateUser"), detail_type);

    Recorder result = Decode(envelope);

    ASSERT_EQ(result.good.size(), 1u);
    EXPECT_EQ(result.good[0].text, "CreateUser");
    EXPECT_EQ(result.good[0].payload, envelope);
  }
}

TEST_F(MessageDecoderTest, ReadsAnEnvelopeWhoseDetailComesBeforeItsType) {
  Recorder result = Decode(Cat(R"({"detail":)", MakeRecord("CreateUser"),
                               R"(,"detail-type":"AWS API Call via CloudTrail"})"));

  ASSERT_EQ(result.good.size(), 1u);
  EXPECT_EQ(result.good[0].text, "CreateUser");
}

TEST_F(MessageDecoderTest, RejectsEnvelopesOfOtherDetailTypes) {
  Recorder result =
      Decode(Envelope(R"({"state":"running"})", "EC2 Instance State-change Notification"));

  ASSERT_EQ(result.bad.size(), 1u);
  EXPECT_EQ(result.bad[0].text,
            "EventBridge event of detail-type \"EC2 Instance State-change Notification\" is not a "
            "CloudTrail record");
}

TEST_F(MessageDecoderTest, NamesTheProblemOfABadDetail) {
  Recorder missing = Decode(R"({"detail-type":"AWS API Call via CloudTrail"})");
  Recorder scalar = Decode(R"({"detail-type":"AWS API Call via CloudTrail","detail":3})");
  Recorder incomplete = Decode(Envelope(R"({"eventName":"X"})"));

  ASSERT_EQ(missing.bad.size(), 1u);
  EXPECT_EQ(missing.bad[0].text, "EventBridge envelope without a detail");
  ASSERT_EQ(scalar.bad.size(), 1u);
  EXPECT_EQ(scalar.bad[0].text, "field detail must be an object, not a number");
  ASSERT_EQ(incomplete.bad.size(), 1u);
  EXPECT_EQ(incomplete.bad[0].text, "detail: missing field eventTime (and @timestamp)");
}

TEST_F(MessageDecoderTest, ABadRecordInABatchCostsOnlyThatRecord) {
  Recorder result = Decode(Batch({MakeRecord("A"), "42", R"({"eventName":"B"})", MakeRecord("C")}));

  ASSERT_EQ(result.good.size(), 2u);
  EXPECT_EQ(result.good[1].text, "C");
  EXPECT_EQ(result.good[1].index, 4u);
  ASSERT_EQ(result.bad.size(), 2u);
  EXPECT_EQ(result.bad[0].index, 2u);
  EXPECT_EQ(result.bad[0].payload, "42");
  EXPECT_EQ(result.bad[0].text, "not a JSON object (found a number)");
  EXPECT_EQ(result.bad[1].index, 3u);
  EXPECT_EQ(result.bad[1].payload, R"({"eventName":"B"})");
}

TEST_F(MessageDecoderTest, RejectsMessagesThatAreNotObjects) {
  for (std::string_view payload : {"[1,2,3]", "17", "\"text\"", "null"}) {
    SCOPED_TRACE(payload);

    Recorder result = Decode(payload);

    ASSERT_EQ(result.bad.size(), 1u);
    EXPECT_EQ(result.bad[0].index, 0u);
    EXPECT_EQ(result.bad[0].payload, payload);
    EXPECT_TRUE(result.bad[0].text.starts_with("message is not a JSON object"))
        << result.bad[0].text;
  }
}

TEST_F(MessageDecoderTest, RejectsInvalidOrTruncatedJson) {
  for (std::string_view payload : {"this is not JSON", "not json at all", "12abc", "true false",
                                   R"({"eventName":"A")", "{\"a\":\"unterminated}", "{} {}", ""}) {
    SCOPED_TRACE(payload);

    Recorder result = Decode(payload);

    EXPECT_TRUE(result.good.empty());
    ASSERT_EQ(result.bad.size(), 1u);
    EXPECT_EQ(result.bad[0].index, 0u);
    EXPECT_TRUE(result.bad[0].text.starts_with("truncated or invalid JSON")) << result.bad[0].text;
  }
}

TEST_F(MessageDecoderTest, RejectsRecordsThatAreNotAnArray) {
  Recorder result = Decode(R"({"Records":{"eventName":"A"}})");

  ASSERT_EQ(result.bad.size(), 1u);
  EXPECT_EQ(result.bad[0].text, "field Records must be an array, not an object");
}

TEST_F(MessageDecoderTest, ATruncatedBatchIsOneBadMessage) {
  const std::string whole = Batch({MakeRecord("A"), MakeRecord("B")});
  const std::string payload = whole.substr(0, whole.size() - 40);

  Recorder result = Decode(payload);

  EXPECT_TRUE(result.good.empty());
  ASSERT_EQ(result.bad.size(), 1u);
  EXPECT_EQ(result.bad[0].index, 0u);
  EXPECT_EQ(result.bad[0].payload, payload);
  EXPECT_TRUE(result.bad[0].text.starts_with("truncated or invalid JSON")) << result.bad[0].text;
}

TEST_F(MessageDecoderTest, ReusesItsBuffersAcrossMessagesOfDifferentSizes) {
  const std::string large = Batch(std::vector<std::string>(200, MakeRecord("Large")));

  Recorder first = Decode(large);
  Recorder second = Decode(MakeRecord("Small"));
  Recorder third = Decode(large);

  EXPECT_EQ(first.good.size(), 200u);
  ASSERT_EQ(second.good.size(), 1u);
  EXPECT_EQ(second.good[0].text, "Small");
  EXPECT_EQ(third.good.size(), 200u);
}
}  // namespace
}  // namespace trailsight::consumers
