#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "consumers/replay_reader.h"
#include "tests/consumers/replay_fixture.h"

namespace trailsight::consumers {
namespace {

using test_support::Cat;
using test_support::MakeRecord;
using test_support::RecordsObject;
using test_support::ReplayReaderTest;
using test_support::StoredLetter;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every kind of bad input costs only itself: a dead letter with its reason, and the other
// records still arrive.

TEST_F(ReplayReaderTest, TruncatedJsonLineCostsOnlyThatLine) {
  const std::string truncated = MakeRecord("B").substr(0, 80);
  const std::string path =
      dir_.Write("t.jsonl", MakeRecord("A") + "\n" + truncated + "\n" + MakeRecord("C") + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "C"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].source, path);
  EXPECT_EQ(Letters()[0].position, "line 2");
  EXPECT_THAT(Letters()[0].reason, StartsWith("truncated or invalid JSON: "));
  EXPECT_EQ(Letters()[0].payload, truncated);
}

TEST_F(ReplayReaderTest, TruncatedFirstJsonLineCostsOnlyThatLine) {
  for (std::size_t cut : {40u, 56u}) {  // inside a string, and just after a comma
    SCOPED_TRACE(cut);
    receiver_.events.clear();
    dead_letters_.letters.clear();
    const std::string path =
        dir_.Write("first.jsonl", MakeRecord("A").substr(0, cut) + "\n" + MakeRecord("B") + "\n" +
                                      MakeRecord("C") + "\n");

    Read(path);

    EXPECT_THAT(Names(), ElementsAre("B", "C"));
    ASSERT_EQ(Letters().size(), 1u);
    EXPECT_EQ(Letters()[0].position, "line 1");
  }
}

TEST_F(ReplayReaderTest, TruncatedRecordsFileKeepsTheRecordsBeforeTheCut) {
  const std::string content = RecordsObject({MakeRecord("A"), MakeRecord("B"), MakeRecord("C")});
  const std::size_t third = content.find(MakeRecord("C"));
  const std::string path = dir_.Write("cut.json", content.substr(0, third + 50));

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].position, "record 3 at byte " + std::to_string(third));
  EXPECT_EQ(Letters()[0].reason, "truncated or invalid JSON: the input ends inside record 3");
}

TEST_F(ReplayReaderTest, TruncatedGzipStreamKeepsTheRecordsBeforeTheCut) {
  std::string records;
  for (int i = 0; i < 200; ++i)
    records += Cat(i ? "," : "", MakeRecord(Cat("N", std::to_string(i))));
  const std::string whole = dir_.WriteGzip("whole.json.gz", Cat("[", records, "]"));
  std::ifstream in(whole, std::ios::binary);
  const std::string gzip((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string path = dir_.Write("cut.json.gz", gzip.substr(0, gzip.size() / 2));

  Read(path);

  EXPECT_GT(receiver_.events.size(), 10u);
  EXPECT_LT(receiver_.events.size(), 200u);
  ASSERT_EQ(Letters().size(), 2u);
  EXPECT_THAT(Letters()[0].reason, StartsWith("truncated or invalid JSON: the input ends"));
  EXPECT_THAT(Letters()[1].reason, HasSubstr("gzip stream is truncated"));
}

TEST_F(ReplayReaderTest, RejectsFieldsOfTheWrongTypeAndKeepsTheRest) {
  std::string eventname_number = MakeRecord("X");
  eventname_number.replace(eventname_number.find("\"X\""), 3, "42");
  std::string eventtime_object = MakeRecord("Y");
  eventtime_object.replace(eventtime_object.find("\"2024-01-02T03:04:05Z\""), 22, "{}");
  std::string readonly_string = MakeRecord("Z");
  readonly_string.replace(readonly_string.find("false"), 5, "\"false\"");
  const std::string path = dir_.Write(
      "types.jsonl", MakeRecord("A") + "\n" + eventname_number + "\n" + eventtime_object + "\n" +
                         readonly_string + "\n" + MakeRecord("B") + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  ASSERT_EQ(Letters().size(), 3u);
  EXPECT_EQ(Letters()[0].reason, "field eventName must be a string, not a number");
  EXPECT_EQ(Letters()[1].reason, "field eventTime must be a string, not an object");
  EXPECT_EQ(Letters()[2].reason, "field readOnly must be a boolean, not a string");
  EXPECT_EQ(Letters()[2].position, "line 4");
}

TEST_F(ReplayReaderTest, RejectsRecordsMissingRequiredFieldsAndKeepsTheRest) {
  const auto without = [](std::string record, std::string_view field) {
    const std::size_t at = record.find(Cat("\"", field, "\""));
    const std::size_t comma = record.find("\",", at);
    return record.erase(at, comma + 2 - at);
  };
  const std::string path = dir_.Write(
      "missing.jsonl", without(MakeRecord("X"), "eventTime") + "\n" +
                           without(MakeRecord("X"), "eventSource") + "\n" + MakeRecord("A") + "\n" +
                           without(MakeRecord("X"), "eventName") + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A"));
  ASSERT_EQ(Letters().size(), 3u);
  EXPECT_EQ(Letters()[0].reason, "missing field eventTime (and @timestamp)");
  EXPECT_EQ(Letters()[1].reason, "missing field eventSource");
  EXPECT_EQ(Letters()[2].reason, "missing field eventName");
  EXPECT_EQ(Letters()[2].position, "line 4");
}

TEST_F(ReplayReaderTest, RejectsBinaryJunkLinesAndKeepsTheRest) {
  const std::string random_bytes("\x8f\x01\xff{\x9c\"\xd3\x00\x12[\xee", 11);
  const std::string nul_bytes(64, '\0');
  const std::string path = dir_.Write("junk.jsonl", MakeRecord("A") + "\n" + random_bytes + "\n" +
                                                        nul_bytes + "\n" + MakeRecord("B") + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  ASSERT_EQ(Letters().size(), 2u);
  EXPECT_EQ(Letters()[0].position, "line 2");
  EXPECT_THAT(Letters()[0].reason, StartsWith("truncated or invalid JSON: "));
  EXPECT_EQ(Letters()[0].payload, random_bytes);
  EXPECT_EQ(Letters()[1].position, "line 3");
}

TEST_F(ReplayReaderTest, ReadsAFileThatStartsWithJunkLineByLine) {
  const std::string path =
      dir_.Write("junk-first.jsonl", "\x01\x02garbage\n" + MakeRecord("A") + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].position, "line 1");
}

TEST_F(ReplayReaderTest, RejectsElementsOfRecordsThatAreNotObjects) {
  const std::string content = RecordsObject({MakeRecord("A"), "42", "\"text, with ] inside\"",
                                             "[1, {\"a\": 2}]", "null", MakeRecord("B")});
  const std::string path = dir_.Write("elements.json", content);

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  ASSERT_EQ(Letters().size(), 4u);
  EXPECT_EQ(Letters()[0].position, "record 2 at byte " + std::to_string(content.find("42")));
  EXPECT_EQ(Letters()[0].reason, "not a JSON object (found a number)");
  EXPECT_EQ(Letters()[1].reason, "not a JSON object (found a string)");
  EXPECT_EQ(Letters()[2].reason, "not a JSON object (found an array)");
  EXPECT_EQ(Letters()[3].reason, "not a JSON object (found null)");
  EXPECT_EQ(Letters()[3].position.substr(0, 9), "record 5 ");
}

TEST_F(ReplayReaderTest, RejectsRecordsOverTheSizeLimitNamingSizeAndLimit) {
  const std::string big =
      MakeRecord("Big").insert(1, "\"pad\":\"" + std::string(2000, 'x') + "\",");
  const std::string array =
      dir_.Write("big.json", Cat("[", MakeRecord("A"), ",", big, ",", MakeRecord("B"), "]"));
  const std::string lines =
      dir_.Write("big.jsonl", MakeRecord("C") + "\n" + big + "\n" + MakeRecord("D") + "\n");
  const std::string expected_reason =
      "record of " + std::to_string(big.size()) + " bytes exceeds the limit of 1000 bytes";

  Read(array, {.max_record_bytes = 1000});
  ASSERT_TRUE(reader_->ReadInput(lines, receiver_).ok());

  EXPECT_THAT(Names(), ElementsAre("A", "B", "C", "D"));
  ASSERT_EQ(Letters().size(), 2u);
  EXPECT_EQ(Letters()[0].reason, expected_reason);
  EXPECT_EQ(Letters()[0].position,
            "record 2 at byte " + std::to_string(MakeRecord("A").size() + 2));
  EXPECT_EQ(Letters()[1].reason, expected_reason);
  EXPECT_EQ(Letters()[1].position, "line 2");
}

TEST_F(ReplayReaderTest, SkipsRecordsLargerThanTheReadBufferWithoutKeepingThem) {
  const std::string huge =
      MakeRecord("Huge").insert(1, "\"pad\":\"" + std::string(3 << 20, 'x') + "\",");
  const std::string array =
      dir_.WriteGzip("huge.json.gz", RecordsObject({MakeRecord("A"), huge, MakeRecord("B")}));
  const std::string lines =
      dir_.Write("huge.jsonl", MakeRecord("C") + "\n" + huge + "\n" + MakeRecord("D"));

  Read(array, {.max_record_bytes = 4096});
  ASSERT_TRUE(reader_->ReadInput(lines, receiver_).ok());

  EXPECT_THAT(Names(), ElementsAre("A", "B", "C", "D"));
  ASSERT_EQ(Letters().size(), 2u);
  for (const StoredLetter& letter : Letters()) {
    EXPECT_EQ(letter.reason, "record of " + std::to_string(huge.size()) +
                                 " bytes exceeds the limit of 4096 bytes");
    EXPECT_EQ(letter.payload, huge.substr(0, letter.payload.size()));
    EXPECT_FALSE(letter.payload.empty());
  }
}

TEST_F(ReplayReaderTest, FailsOnAnInputThatCannotBeOpenedAndReadsTheNextOne) {
  ReplayReader reader(interner_, dead_letters_, {});
  const std::string good = dir_.Write("good.json", Cat("[", MakeRecord("A"), "]"));

  const common::Status missing = reader.ReadInput(dir_.Path("missing.json"), receiver_);
  const common::Status directory = reader.ReadInput(dir_.Path(""), receiver_);
  const common::Status next = reader.ReadInput(good, receiver_);

  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, common::ErrorCode::kIo);
  EXPECT_THAT(missing.error().message, HasSubstr("missing.json"));
  EXPECT_THAT(missing.error().message, HasSubstr("No such file"));
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error().message, HasSubstr("is a directory"));
  EXPECT_TRUE(next.ok());
  EXPECT_THAT(Names(), ElementsAre("A"));
  EXPECT_EQ(reader.counters().inputs, 1u);
}

TEST_F(ReplayReaderTest, ReportsAnEmptyInputAndReadsTheNextOne) {
  const std::string empty = dir_.Write("empty.json", "");
  const std::string blank_gzip = dir_.WriteGzip("blank.json.gz", " \n\n ");
  const std::string good = dir_.Write("good.jsonl", MakeRecord("A"));

  Read(empty);
  ASSERT_TRUE(reader_->ReadInput(blank_gzip, receiver_).ok());
  ASSERT_TRUE(reader_->ReadInput(good, receiver_).ok());

  EXPECT_THAT(Names(), ElementsAre("A"));
  ASSERT_EQ(Letters().size(), 2u);
  EXPECT_EQ(Letters()[0].source, empty);
  EXPECT_EQ(Letters()[0].position, "byte 0");
  EXPECT_EQ(Letters()[0].reason, "empty input: no records");
  EXPECT_EQ(Letters()[1].source, blank_gzip);
  EXPECT_EQ(reader_->counters().inputs, 3u);
}

TEST_F(ReplayReaderTest, ReportsAnArrayThatIsNeverClosedAfterItsRecords) {
  const std::string path =
      dir_.Write("open.json", Cat("[", MakeRecord("A"), ",\n", MakeRecord("B")));

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A", "B"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_THAT(Letters()[0].reason, StartsWith("truncated or invalid JSON: the input ends before"));
}

TEST_F(ReplayReaderTest, DeadLettersRecordsDatedBeforeTheMinimumEventTime) {
  const std::string zero_time = MakeRecord("Zero", "0001-01-01T00:00:00Z");
  const std::string path = dir_.Write("zero.jsonl", MakeRecord("Good") + "\n" + zero_time + "\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("Good"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].position, "line 2");
  EXPECT_EQ(Letters()[0].reason,
            "eventTime 0001-01-01T00:00:00Z is before min_event_time 2013-11-01T00:00:00Z");
  EXPECT_EQ(Letters()[0].payload, zero_time);
  EXPECT_EQ(reader_->counters().records, 1u);
  EXPECT_EQ(reader_->counters().early_dated, 1u);
  EXPECT_EQ(reader_->counters().malformed, 1u);
}

TEST_F(ReplayReaderTest, MinimumEventTimeIsInclusiveAndConfigurable) {
  const std::string path =
      dir_.Write("bound.jsonl", MakeRecord("AtBound", "2020-01-01T00:00:00Z") + "\n" +
                                    MakeRecord("Before", "2019-12-31T23:59:59Z") + "\n");

  Read(path, {.min_event_time = common::Seconds{
                  std::chrono::sys_days{std::chrono::year{2020} / std::chrono::January / 1}}});

  EXPECT_THAT(Names(), ElementsAre("AtBound"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_THAT(Letters()[0].reason, StartsWith("eventTime 2019-12-31T23:59:59Z is before"));
}

TEST_F(ReplayReaderTest, ReportsContentAfterTheRecordsArray) {
  const std::string path =
      dir_.Write("trailing.json", RecordsObject({MakeRecord("A")}) + "\n{\"more\": 1}\n");

  Read(path);

  EXPECT_THAT(Names(), ElementsAre("A"));
  ASSERT_EQ(Letters().size(), 1u);
  EXPECT_EQ(Letters()[0].reason, "unexpected content after the records array");
}

}  // namespace
}  // namespace trailsight::consumers
