// `trailsight replay` against hostile input and a failing dead-letter file, run as an operator
// would: the letters stay bounded on disk, a letter that cannot be written fails the run, and
// redacted letters keep no identity, key or address.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;

constexpr std::string_view kAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kAddress = "203.0.113.77";
constexpr std::string_view kUserArn = "arn:aws:iam::111122223333:user/mallory";

// A valid record, and one the parser rejects (readOnly is a string) carrying an identity
// with an access key id, request parameters and a source address.
std::string Record(std::string_view read_only) {
  return fmt::format(
      R"({{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","arn":"{}",)"
      R"("accessKeyId":"{}","accountId":"111122223333"}},"eventTime":"2024-01-02T03:04:05Z",)"
      R"("eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",)"
      R"("awsRegion":"us-east-1","sourceIPAddress":"{}",)"
      R"("requestParameters":{{"userName":"mallory"}},"readOnly":{},)"
      R"("recipientAccountId":"111122223333"}})",
      kUserArn, kAccessKeyId, kAddress, read_only);
}

struct Outcome {
  int status = -1;
  std::string err;
};

mode_t PermissionBits(const fs::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 0777;
}

class ReplayDeadLettersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "replay_dead_letters_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `trailsight replay` with `arguments` (shell syntax), insights to a file.
  Outcome Replay(const std::string& arguments) const {
    const fs::path err = dir_ / "stderr";
    const std::string command =
        fmt::format("'{}' replay --insights-out '{}' {} 2>'{}'", TRAILSIGHT_BINARY,
                    (dir_ / "insights.jsonl").string(), arguments, err.string());
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(err)};
  }

  fs::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

  fs::path dir_;
};

TEST_F(ReplayDeadLettersTest, AGzipOfManyBadLinesLeavesAtMostTheCapTimesTheFiles) {
  constexpr int kBadLines = 20'000;
  const fs::path input = dir_ / "hostile.jsonl.gz";
  {
    std::string lines;
    for (int i = 0; i < kBadLines; ++i) lines += "{}\n";
    gzFile file = ::gzopen(input.c_str(), "wb9");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(::gzwrite(file, lines.data(), static_cast<unsigned>(lines.size())),
              static_cast<int>(lines.size()));
    ASSERT_EQ(::gzclose(file), Z_OK);
  }
  // Expands to 60 KB of input and 3.8 MB of dead letters without the cap; few enough to stay
  // fast under sanitizers, since the cap does not depend on the count.
  ASSERT_LT(fs::file_size(input), 1024u);
  constexpr std::uintmax_t kCap = 65'536;
  constexpr int kKeep = 2;
  const fs::path config = Write("config.yaml", fmt::format("input:\n  dead_letter_max_file_bytes: "
                                                           "{}\n  dead_letter_keep_files: {}\n",
                                                           kCap, kKeep));
  const fs::path letters = dir_ / "dead.jsonl";

  const Outcome outcome = Replay(fmt::format("--config '{}' --dead-letter-out '{}' '{}'",
                                             config.string(), letters.string(), input.string()));

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_NE(outcome.err.find(fmt::format("{} malformed", kBadLines)), std::string::npos)
      << outcome.err;
  std::uintmax_t total = 0;
  for (const fs::path& file :
       {letters, fs::path(letters.string() + ".1"), fs::path(letters.string() + ".2")}) {
    ASSERT_TRUE(fs::exists(file)) << file;
    total += fs::file_size(file);
    EXPECT_EQ(PermissionBits(file), 0600u) << file;
  }
  EXPECT_FALSE(fs::exists(letters.string() + ".3"));
  EXPECT_LE(total, kCap * (kKeep + 1));
  const std::vector<std::string> newest = ReadLines(letters);
  ASSERT_FALSE(newest.empty());
  EXPECT_EQ(Json::parse(newest.back())["position"], fmt::format("line {}", kBadLines));
}

TEST_F(ReplayDeadLettersTest, LettersThatCannotBeWrittenFailTheRunAndAreCounted) {
  const fs::path input = Write(
      "in.jsonl", fmt::format("{}\n{{}}\nnot json\n{}\n[1]\n", Record("false"), Record("\"no\"")));

  // /dev/full fails every write with ENOSPC, as a full disk does.
  const Outcome outcome = Replay(fmt::format("--dead-letter-out /dev/full '{}'", input.string()));

  EXPECT_EQ(outcome.status, 1) << outcome.err;
  EXPECT_NE(outcome.err.find("4 of 4 dead letters could not be written to /dev/full"),
            std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("No space left on device"), std::string::npos) << outcome.err;
}

TEST_F(ReplayDeadLettersTest, AllLettersWrittenExitsZero) {
  const fs::path input = Write("in.jsonl", fmt::format("{}\n{{}}\n", Record("false")));

  const Outcome outcome = Replay(
      fmt::format("--dead-letter-out '{}' '{}'", (dir_ / "dead.jsonl").string(), input.string()));

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(ReadLines(dir_ / "dead.jsonl").size(), 1u);
}

TEST_F(ReplayDeadLettersTest, RedactedLettersKeepNoIdentityKeyOrAddress) {
  const fs::path input = Write("in.jsonl", Record("\"no\"") + "\n");
  const fs::path config = Write("config.yaml", "input:\n  dead_letter_redact: true\n");
  const fs::path letters = dir_ / "dead.jsonl";

  const Outcome outcome = Replay(fmt::format("--config '{}' --dead-letter-out '{}' '{}'",
                                             config.string(), letters.string(), input.string()));

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  const std::string text = ReadFile(letters);
  EXPECT_EQ(text.find(kAccessKeyId), std::string::npos) << text;
  EXPECT_EQ(text.find(kAddress), std::string::npos) << text;
  EXPECT_EQ(text.find(kUserArn), std::string::npos) << text;
  EXPECT_EQ(text.find("mallory"), std::string::npos) << text;
  const Json letter = Json::parse(text);
  EXPECT_EQ(letter["position"], "line 1");
  EXPECT_EQ(letter["reason"], "field readOnly must be a boolean, not a string");
  EXPECT_EQ(letter["payload"],
            R"({"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com",)"
            R"("eventName":"CreateAccessKey","awsRegion":"us-east-1",)"
            R"("recipientAccountId":"111122223333"})");
  EXPECT_EQ(letter["redacted"], true);
}

}  // namespace
