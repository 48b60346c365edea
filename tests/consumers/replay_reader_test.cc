#include "consumers/replay_reader.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/consumers/replay_fixture.h"

namespace trailsight::consumers {
namespace {

using test_support::MakeRecord;
using test_support::Pretty;
using test_support::RecordsObject;
using test_support::ReplayReaderTest;
using ::testing::ElementsAre;

TEST_F(ReplayReaderTest, ReadsRecordsObjectInOrder) {
  const std::string path =
      dir_.Write("a.json", RecordsObject({MakeRecord("A"), MakeRecord("B"), MakeRecord("C")}));

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B", "C"));
  EXPECT_TRUE(Letters().empty());
  EXPECT_EQ(reader_->counters().inputs, 1u);
  EXPECT_EQ(reader_->counters().records, 3u);
  EXPECT_EQ(reader_->counters().malformed, 0u);
}

TEST_F(ReplayReaderTest, ReadsGzippedRecordsObject) {
  const std::string content = RecordsObject({MakeRecord("A"), MakeRecord("B")});
  const std::string path = dir_.WriteGzip("a.json.gz", content);

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  EXPECT_TRUE(Letters().empty());
  EXPECT_EQ(reader_->counters().bytes, content.size());
}

TEST_F(ReplayReaderTest, DetectsGzipByMagicBytesNotByName) {
  const std::string gzipped = dir_.WriteGzip("really-gzip.json", RecordsObject({MakeRecord("A")}));
  const std::string plain = dir_.Write("not-gzip.json.gz", RecordsObject({MakeRecord("B")}));

  Read(gzipped);
  ASSERT_TRUE(reader_->ReadInput(plain, receiver_).ok());

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  EXPECT_TRUE(Letters().empty());
}

TEST_F(ReplayReaderTest, ReadsPrettyPrintedArrayOfRecords) {
  const std::string path = dir_.Write("array.json", "[\n" + Pretty(MakeRecord("A"), "   ") + ",\n" +
                                                        Pretty(MakeRecord("B"), "   ") + "\n]\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  EXPECT_TRUE(Letters().empty());
}

TEST_F(ReplayReaderTest, ReadsJsonLinesIgnoringBlankLinesAndCarriageReturns) {
  const std::string path = dir_.Write(
      "lines.jsonl", MakeRecord("A") + "\n\n" + MakeRecord("B") + "\r\n   \n" + MakeRecord("C"));

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B", "C"));
  EXPECT_TRUE(Letters().empty());
}

TEST_F(ReplayReaderTest, ReadsASingleRecordCompactOrPrettyPrinted) {
  const std::string compact = dir_.Write("one.json", MakeRecord("A") + "\n");
  const std::string pretty = dir_.Write("pretty.json", Pretty(MakeRecord("B")) + "\n");

  Read(compact);
  ASSERT_TRUE(reader_->ReadInput(pretty, receiver_).ok());

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  EXPECT_TRUE(Letters().empty());
}

TEST_F(ReplayReaderTest, ReadsPrettyPrintedRecordsOneAfterAnother) {
  const std::string path =
      dir_.Write("two.json", Pretty(MakeRecord("A")) + "\n" + Pretty(MakeRecord("B")) + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  EXPECT_TRUE(Letters().empty());
}

TEST_F(ReplayReaderTest, ReadsStdinWhenTheInputIsDash) {
  const std::string path = dir_.Write("stdin.jsonl", MakeRecord("A") + "\nnot json\n");
  const int saved_stdin = ::dup(STDIN_FILENO);
  const int file = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(::dup2(file, STDIN_FILENO), 0);
  ::close(file);

  Read("-");
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);

  EXPECT_THAT(Names(), ElementsAre("A"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].source, "stdin");
  EXPECT_EQ(Letters()[0].position, "line 2");
}

TEST_F(ReplayReaderTest, CountsRecordsDeadLettersAndBytesOverAllInputs) {
  const std::string first = dir_.Write("1.jsonl", MakeRecord("A") + "\nbad\n");
  const std::string second = dir_.Write("2.json", RecordsObject({MakeRecord("B")}));

  Read(first);
  ASSERT_TRUE(reader_->ReadInput(second, receiver_).ok());

  const InputCounters& counters = reader_->counters();
  EXPECT_EQ(counters.inputs, 2u);
  EXPECT_EQ(counters.records, 2u);
  EXPECT_EQ(counters.malformed, 1u);
  EXPECT_EQ(counters.bytes, MakeRecord("A").size() + 5 + RecordsObject({MakeRecord("B")}).size());
}

}  // namespace
}  // namespace trailsight::consumers
