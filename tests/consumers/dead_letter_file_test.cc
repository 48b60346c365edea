#include "consumers/dead_letter_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using Json = nlohmann::json;
using test_support::TempDir;
using ::testing::HasSubstr;

std::vector<Json> ParseLines(const std::string& text) {
  std::vector<Json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

TEST(FileDeadLetterSinkTest, WritesOneJsonObjectPerLetterWithEveryField) {
  std::ostringstream out;
  FileDeadLetterSink sink(out);

  sink.Write({.source = "a.jsonl",
              .position = "line 3",
              .reason = "missing field eventName",
              .payload = R"({"eventTime":"x"})"});
  sink.Write({.source = "stdin",
              .position = "byte 0",
              .reason = "empty input: no records",
              .payload = ""});

  const std::vector<Json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')),
            R"({"source":"a.jsonl","position":"line 3","reason":"missing field eventName",)"
            R"("payload_bytes":17,"payload":"{\"eventTime\":\"x\"}","truncated":false})");
  EXPECT_EQ(lines[1]["source"], "stdin");
  EXPECT_EQ(lines[1]["payload"], "");
}

TEST(FileDeadLetterSinkTest, TruncatesLongPayloadsAndSaysSo) {
  std::ostringstream out;
  FileDeadLetterSink sink(out, /*max_payload_bytes=*/100);

  sink.Write({.source = "s", .position = "p", .reason = "r", .payload = std::string(10000, 'x')});

  const Json line = Json::parse(out.str());
  EXPECT_EQ(line["payload_bytes"], 10000);
  EXPECT_EQ(line["payload"], std::string(100, 'x'));
  EXPECT_EQ(line["truncated"], true);
}

TEST(FileDeadLetterSinkTest, WritesBinaryPayloadsAsValidUtf8Json) {
  std::ostringstream out;
  FileDeadLetterSink sink(out, /*max_payload_bytes=*/7);
  const std::string binary("\xff\x00\x01\"\xC3\xA9\xC3\xA9", 8);  // the cut falls inside "é"

  sink.Write({.source = "s", .position = "p", .reason = "r", .payload = binary});

  const Json line = Json::parse(out.str());  // throws on invalid UTF-8
  const std::string payload = line["payload"];
  EXPECT_EQ(payload, std::string("\xEF\xBF\xBD\x00\x01\"\xC3\xA9\xEF\xBF\xBD", 11));
  EXPECT_EQ(line["payload_bytes"], 8);
  EXPECT_THAT(out.str(), HasSubstr("\\u0000"));
}

TEST(FileDeadLetterSinkTest, CreateAppendsToTheFile) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");

  for (int i = 0; i < 2; ++i) {
    common::Result<std::unique_ptr<FileDeadLetterSink>> sink = FileDeadLetterSink::Create(path);
    ASSERT_TRUE(sink.has_value()) << sink.error().message;
    (*sink)->Write({.source = "s", .position = std::to_string(i), .reason = "r", .payload = "p"});
  }

  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<Json> lines = ParseLines(text);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["position"], "1");
}

// Sets the process umask for one test and restores the previous one.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  const mode_t previous_;
};

mode_t PermissionBits(const std::string& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 0777;
}

TEST(FileDeadLetterSinkTest, CreateMakesAFileOnlyItsOwnerCanRead) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  const ScopedUmask umask(0022);  // the usual default, which would leave the file 0644

  common::Result<std::unique_ptr<FileDeadLetterSink>> sink = FileDeadLetterSink::Create(path);
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  (*sink)->Write({.source = "s", .position = "p", .reason = "r", .payload = "p"});

  EXPECT_EQ(PermissionBits(path), 0600u);
}

TEST(FileDeadLetterSinkTest, CreateLeavesTheModeOfAnExistingFile) {
  TempDir dir;
  const std::string path = dir.Write("dead.jsonl", "");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);

  common::Result<std::unique_ptr<FileDeadLetterSink>> sink = FileDeadLetterSink::Create(path);
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  (*sink)->Write({.source = "s", .position = "p", .reason = "r", .payload = "p"});

  EXPECT_EQ(PermissionBits(path), 0640u);
}

TEST(FileDeadLetterSinkTest, CreateFailsNamingAPathThatCannotBeOpened) {
  TempDir dir;
  const std::string path = dir.Path("no/such/folder/dead.jsonl");

  const common::Result<std::unique_ptr<FileDeadLetterSink>> sink = FileDeadLetterSink::Create(path);

  ASSERT_FALSE(sink.has_value());
  EXPECT_EQ(sink.error().code, common::ErrorCode::kIo);
  EXPECT_THAT(sink.error().message, HasSubstr(path));
}

TEST(FileDeadLetterSinkTest, RecordsWhereAReplayRejectedInput) {
  TempDir dir;
  const std::string input = dir.Write("in.jsonl", test_support::MakeRecord("A") + "\n{\"x\":1}\n");
  std::ostringstream out;
  FileDeadLetterSink sink(out);
  common::StringInterner interner;
  test_support::CollectingReceiver receiver;
  ReplayReader reader(interner, sink, {});

  ASSERT_TRUE(reader.ReadInput(input, receiver).ok());

  const Json line = Json::parse(out.str());
  EXPECT_EQ(line["source"], input);
  EXPECT_EQ(line["position"], "line 2");
  EXPECT_EQ(line["reason"], "missing field eventTime (and @timestamp)");
  EXPECT_EQ(line["payload"], "{\"x\":1}");
  EXPECT_EQ(receiver.events.size(), 1u);
}

}  // namespace
}  // namespace trailsight::consumers
