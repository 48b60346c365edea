#include "consumers/dead_letter_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
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
  FileDeadLetterSink sink(out, {.max_payload_bytes = 100});

  sink.Write({.source = "s", .position = "p", .reason = "r", .payload = std::string(10000, 'x')});

  const Json line = Json::parse(out.str());
  EXPECT_EQ(line["payload_bytes"], 10000);
  EXPECT_EQ(line["payload"], std::string(100, 'x'));
  EXPECT_EQ(line["truncated"], true);
}

TEST(FileDeadLetterSinkTest, WritesBinaryPayloadsAsValidUtf8Json) {
  std::ostringstream out;
  FileDeadLetterSink sink(out, {.max_payload_bytes = 7});
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

// The files a sink at `path` wrote: PATH, then PATH.1, PATH.2, ... while they exist.
std::vector<std::string> LetterFiles(const std::string& path) {
  std::vector<std::string> files;
  for (int index = 0;; ++index) {
    const std::string file = index == 0 ? path : path + "." + std::to_string(index);
    if (!std::filesystem::exists(file)) return files;
    files.push_back(file);
  }
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

common::DeadLetter Letter(const std::string& position) {
  return {.source = "in.jsonl", .position = position, .reason = "r", .payload = R"({"x":1})"};
}

TEST(FileDeadLetterSinkTest, RotatesAtTheCapAndKeepsTheNewestFiles) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  const LetterFileOptions rotation{.max_file_bytes = 1000, .keep_files = 2};
  auto sink = FileDeadLetterSink::Create(path, {.file = rotation});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;

  for (int i = 1; i <= 100; ++i) (*sink)->Write(Letter("line " + std::to_string(i)));

  const std::vector<std::string> files = LetterFiles(path);
  ASSERT_EQ(files.size(), 3u);  // PATH, PATH.1, PATH.2; older ones removed
  std::vector<Json> newest_first;
  for (const std::string& file : files) {
    const std::string text = ReadText(file);
    EXPECT_LE(text.size(), rotation.max_file_bytes) << file;
    std::vector<Json> lines = ParseLines(text);
    ASSERT_FALSE(lines.empty()) << file;
    newest_first.insert(newest_first.end(), lines.rbegin(), lines.rend());
  }
  EXPECT_EQ(newest_first.front()["position"], "line 100");
  for (std::size_t i = 1; i < newest_first.size(); ++i) {  // no gap, no repeat
    EXPECT_EQ(newest_first[i]["position"], "line " + std::to_string(100 - i));
  }
  EXPECT_EQ((*sink)->lost(), 0u);
}

TEST(FileDeadLetterSinkTest, RotatedFilesAreOnlyTheirOwnersToo) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  const ScopedUmask umask(0022);
  auto sink = FileDeadLetterSink::Create(path, {.file = {.max_file_bytes = 300, .keep_files = 3}});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;

  for (int i = 0; i < 20; ++i) (*sink)->Write(Letter(std::to_string(i)));

  const std::vector<std::string> files = LetterFiles(path);
  ASSERT_EQ(files.size(), 4u);
  for (const std::string& file : files) EXPECT_EQ(PermissionBits(file), 0600u) << file;
}

TEST(FileDeadLetterSinkTest, ARotatedFileKeepsTheModeTheOperatorGaveIt) {
  TempDir dir;
  const std::string path = dir.Write("dead.jsonl", "");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto sink = FileDeadLetterSink::Create(path, {.file = {.max_file_bytes = 300, .keep_files = 1}});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;

  for (int i = 0; i < 10; ++i) (*sink)->Write(Letter(std::to_string(i)));

  EXPECT_EQ(PermissionBits(path), 0640u);
  EXPECT_EQ(PermissionBits(path + ".1"), 0640u);
}

// A gzip of about 100 bytes that expands to 20 000 bad lines: without the cap, its dead
// letters would take 3.4 MB, thirty thousand times its size. (Kept small so the test stays fast
// under sanitizers; the cap does not depend on the count.)
TEST(FileDeadLetterSinkTest, AHostileGzipCannotFillTheDisk) {
  TempDir dir;
  constexpr int kBadLines = 20'000;
  std::string lines;
  for (int i = 0; i < kBadLines; ++i) lines += "{}\n";
  const std::string input = dir.WriteGzip("hostile.jsonl.gz", lines);
  ASSERT_LT(std::filesystem::file_size(input), 1024u);
  const std::string path = dir.Path("dead.jsonl");
  const LetterFileOptions rotation{.max_file_bytes = 16 << 10, .keep_files = 3};
  auto sink = FileDeadLetterSink::Create(path, {.file = rotation});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  common::StringInterner interner;
  test_support::CollectingReceiver receiver;
  ReplayReader reader(interner, **sink, {});

  ASSERT_TRUE(reader.ReadInput(input, receiver).ok());

  EXPECT_EQ(reader.counters().malformed, static_cast<std::uint64_t>(kBadLines));
  std::uintmax_t total = 0;
  const std::vector<std::string> files = LetterFiles(path);
  EXPECT_EQ(files.size(), 4u);
  for (const std::string& file : files) total += std::filesystem::file_size(file);
  EXPECT_LE(total, rotation.max_file_bytes * static_cast<std::uint64_t>(rotation.keep_files + 1));
  const std::vector<Json> newest = ParseLines(ReadText(path));
  ASSERT_FALSE(newest.empty());
  EXPECT_EQ(newest.back()["position"], "line " + std::to_string(kBadLines));
  EXPECT_EQ((*sink)->lost(), 0u);
}

TEST(FileDeadLetterSinkTest, AFailedWriteIsCountedAndTheFileReopenedAtTheNextLetter) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  const std::string target = dir.Path("reachable.jsonl");
  // /dev/full takes every open and fails every write with ENOSPC, as a full disk does.
  ASSERT_EQ(::symlink("/dev/full", path.c_str()), 0);
  auto sink =
      FileDeadLetterSink::Create(path, {.file = {.retry_after = std::chrono::milliseconds{0}}});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;

  for (int i = 0; i < 3; ++i) (*sink)->Write(Letter("lost " + std::to_string(i)));
  EXPECT_EQ((*sink)->lost(), 3u);
  // The disk has room again: the path now leads to a file that takes writes.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
  (*sink)->Write(Letter("written"));

  EXPECT_EQ((*sink)->lost(), 3u);
  const std::vector<Json> lines = ParseLines(ReadText(target));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["position"], "written");
  EXPECT_EQ(PermissionBits(target), 0600u);
}

TEST(FileDeadLetterSinkTest, LettersDuringTheBackoffAreCountedWithoutTryingTheFile) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  const std::string target = dir.Path("reachable.jsonl");
  ASSERT_EQ(::symlink("/dev/full", path.c_str()), 0);
  auto sink = FileDeadLetterSink::Create(path, {.file = {.retry_after = std::chrono::hours{1}}});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  (*sink)->Write(Letter("fails"));
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);

  for (int i = 0; i < 5; ++i) (*sink)->Write(Letter("waits"));

  EXPECT_EQ((*sink)->lost(), 6u);
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(FileDeadLetterSinkTest, RedactionKeepsWhereAndWhyButNoIdentityKeyOrAddress) {
  TempDir dir;
  const std::string path = dir.Path("dead.jsonl");
  auto sink = FileDeadLetterSink::Create(path, {.redact = true});
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  const std::string record = test_support::MakeRejectedRecordWithSecrets();

  (*sink)->Write({.source = "a.jsonl",
                  .position = "line 7",
                  .reason = "field readOnly must be a boolean, not a string",
                  .payload = record});

  const std::string text = ReadText(path);
  EXPECT_EQ(text.find(test_support::kPlantedAccessKeyId), std::string::npos) << text;
  EXPECT_EQ(text.find(test_support::kPlantedAddress), std::string::npos) << text;
  EXPECT_EQ(text.find(test_support::kPlantedUserArn), std::string::npos) << text;
  const Json line = Json::parse(text);
  EXPECT_EQ(line["source"], "a.jsonl");
  EXPECT_EQ(line["position"], "line 7");
  EXPECT_EQ(line["reason"], "field readOnly must be a boolean, not a string");
  EXPECT_EQ(line["payload"], test_support::kRedactedRecord);
  EXPECT_EQ(line["payload_bytes"], record.size());
  EXPECT_EQ(line["redacted"], true);
}

TEST(FileDeadLetterSinkTest, WithoutRedactionTheLetterHasTheWholeRecord) {
  std::ostringstream out;
  FileDeadLetterSink sink(out);
  const std::string record = test_support::MakeRejectedRecordWithSecrets();

  sink.Write({.source = "s", .position = "p", .reason = "r", .payload = record});

  const Json line = Json::parse(out.str());
  EXPECT_EQ(line["payload"], record);
  EXPECT_FALSE(line.contains("redacted"));
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
