// Checks the hot path's promise: once warm, parsing and reading records allocates nothing per
// record. Counts calls to the global operator new, which this file replaces for its whole
// test binary; sanitizer builds own operator new, so they do not build this test.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "consumers/message_decoder.h"
#include "consumers/record_parser.h"
#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }

namespace trailsight::consumers {
namespace {

using test_support::Cat;
using test_support::MakeRecord;

class AllocationTest : public ::testing::Test {};

// Records with new values in every field the parser keeps, once interned, and the fields kept
// inline (eventID, sourceIPAddress), which are never interned.
std::vector<std::string> Records() {
  std::vector<std::string> records;
  for (const char* name : {"GetObject", "RunInstances", "StopLogging", "ListBuckets"}) {
    records.push_back(MakeRecord(name));
    records.push_back(Cat(R"({"requestParameters":{"bucketName":"b","key":"k\"\u00e9"},)",
                          R"("userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:)",
                          R"(assumed-role/Deployer/session-)", name,
                          R"("},"errorCode":"AccessDenied",)",
                          R"("eventSource":"s3.amazonaws.com","eventName":")", name,
                          R"(","awsRegion":"eu-west-1","recipientAccountId":"1",)",
                          R"("eventCategory":"Data","@timestamp":"2020-09-14T00:44:23.000Z"})"));
    records.push_back(Cat(R"({"eventID":"0f5c6a2e-1b7d-4c1e-9a57-)", name,
                          R"(","sourceIPAddress":"2001:db8::7","requestParameters":)",
                          R"({"name":"org-trail","s3BucketName":"org-trail-logs"},)",
                          R"("eventSource":"cloudtrail.amazonaws.com","eventName":")", name,
                          R"(","awsRegion":"eu-west-1","recipientAccountId":"1",)",
                          R"("eventTime":"2024-01-02T03:04:05Z"})"));
    records.push_back(Cat(R"({"requestParameters":{"userName":"user-)", name,
                          R"("},"eventSource":"iam.amazonaws.com","eventName":")", name,
                          R"(","awsRegion":"us-east-1","recipientAccountId":"1",)",
                          R"("eventTime":"2024-01-02T03:04:05Z"})"));
  }
  return records;
}

class CountingReceiver : public common::EventReceiver {
 public:
  void OnEvent(const common::Event&) override { ++count; }
  std::size_t count = 0;
};

TEST_F(AllocationTest, RecordParserDoesNotAllocateForStringsItHasSeen) {
  common::StringInterner interner;
  RecordParser parser(interner);
  const std::vector<std::string> records = Records();
  for (const std::string& record : records) ASSERT_TRUE(parser.Parse(record).has_value());

  const std::size_t before = allocations.load();
  std::size_t parsed = 0;
  for (int round = 0; round < 100; ++round) {
    for (const std::string& record : records) parsed += parser.Parse(record).has_value();
  }
  const std::size_t during = allocations.load() - before;

  EXPECT_EQ(parsed, 100 * records.size());
  EXPECT_EQ(during, 0u);
}

class CountingHandler : public DecodedRecordHandler {
 public:
  void OnRecord(const common::Event&, std::size_t, std::string_view) override { ++good; }
  void OnBadRecord(std::string_view, std::size_t, std::string_view) override { ++bad; }
  std::size_t good = 0, bad = 0;
};

TEST_F(AllocationTest, MessageDecoderDoesNotAllocatePerMessage) {
  common::StringInterner interner;
  MessageDecoder decoder(interner);
  const std::vector<std::string> records = Records();
  std::vector<std::string> messages = records;  // single records
  std::string batch = R"({"Records":[)";
  for (const std::string& record : records) {
    messages.push_back(Cat(R"({"version":"0","detail-type":"AWS API Call via CloudTrail",)",
                           R"("detail":)", record, "}"));
    batch += record + ",";
  }
  batch.back() = ']';
  messages.push_back(batch + "}");
  CountingHandler handler;
  for (const std::string& message : messages) decoder.Decode(message, handler);

  const std::size_t before = allocations.load();
  for (int round = 0; round < 100; ++round) {
    for (const std::string& message : messages) decoder.Decode(message, handler);
  }
  const std::size_t during = allocations.load() - before;

  EXPECT_EQ(handler.good, 101 * 3 * records.size());
  EXPECT_EQ(handler.bad, 0u);
  EXPECT_EQ(during, 0u);
}

TEST_F(AllocationTest, ReplayReaderAllocatesPerInputNotPerRecord) {
  test_support::TempDir dir;
  std::string few, many;
  const std::vector<std::string> records = Records();
  for (const std::string& record : records) few += record + "\n";
  for (int i = 0; i < 500; ++i) many += few;
  const std::string many_path = dir.WriteGzip("many.jsonl.gz", many);
  const std::string few_gz_path = dir.WriteGzip("few.jsonl.gz", few);
  common::StringInterner interner;
  test_support::CollectingDeadLetters dead_letters;
  ReplayReader reader(interner, dead_letters, {});
  CountingReceiver receiver;
  ASSERT_TRUE(reader.ReadInput(many_path, receiver).ok());  // warm up buffers and strings

  std::size_t before = allocations.load();
  ASSERT_TRUE(reader.ReadInput(few_gz_path, receiver).ok());
  const std::size_t for_few = allocations.load() - before;
  before = allocations.load();
  ASSERT_TRUE(reader.ReadInput(many_path, receiver).ok());
  const std::size_t for_many = allocations.load() - before;

  EXPECT_GT(for_few, 0u);  // opening an input allocates, so the counter is live
  EXPECT_EQ(for_many, for_few);
  EXPECT_EQ(receiver.count, (500 + 1 + 500) * records.size());
  EXPECT_TRUE(dead_letters.letters.empty());
}

}  // namespace
}  // namespace trailsight::consumers
