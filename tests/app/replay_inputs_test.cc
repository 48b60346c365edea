// `trailsight replay DIR` over a tree with a folder it cannot list and a file with two names:
// the rest is replayed, each file once, the folder is named and the exit status is 1.
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;

struct Outcome {
  int status = -1;
  std::string err;
};

std::string Record(std::string_view name) {
  return fmt::format(
      R"({{"eventTime":"2024-03-04T10:00:00Z","eventSource":"ec2.amazonaws.com",)"
      R"("eventName":"{}","awsRegion":"us-east-1","recipientAccountId":"111122223333",)"
      R"("userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}}})",
      name);
}

class ReplayInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-inputs-{}-{}", name, ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
    // Readable (and the outputs writable) by nobody, who replays as root's stand-in.
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(dir_ / "out", fs::perms::all);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_ / "logs" / "locked", fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }

  void Write(const std::string& relative, const std::string& content) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << content;
  }

  // Replays `logs` with the insights to out/insights.jsonl; as nobody when `as_nobody` and
  // the test runs as root (for whom mode 000 hides nothing).
  Outcome Replay(bool as_nobody) {
    const fs::path err = dir_ / "out" / "replay.err";
    const pid_t child = ::fork();
    if (child == 0) {
      const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || ::dup2(fd, STDERR_FILENO) < 0) std::_Exit(120);
      if (as_nobody && ::geteuid() == 0) {
        constexpr id_t kNobody = 65534;
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
          std::_Exit(121);
        }
      }
      const std::string logs = (dir_ / "logs").string();
      const std::string insights = (dir_ / "out" / "insights.jsonl").string();
      const std::string dead = (dir_ / "out" / "dead.jsonl").string();
      ::execl(TRAILSIGHT_BINARY, TRAILSIGHT_BINARY, "replay", logs.c_str(), "--insights-out",
              insights.c_str(), "--dead-letter-out", dead.c_str(), static_cast<char*>(nullptr));
      std::_Exit(122);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(err)};
  }

  fs::path dir_;
};

TEST_F(ReplayInputsTest, AFolderThatCannotBeListedIsNamedAndTheRestReplayed) {
  Write("logs/a/1.jsonl", Record("RunInstances") + "\n");
  Write("logs/locked/2.jsonl", Record("StopInstances") + "\n");
  Write("logs/z/3.jsonl", Record("StartInstances") + "\n");
  fs::permissions(dir_ / "logs" / "locked", fs::perms::none);

  const Outcome outcome = Replay(/*as_nobody=*/true);

  ASSERT_NE(outcome.status, 121) << "cannot run as nobody";
  EXPECT_EQ(outcome.status, 1) << outcome.err;
  EXPECT_NE(outcome.err.find(fmt::format("error replay: cannot list {}: Permission denied (not "
                                         "replayed)",
                                         (dir_ / "logs" / "locked").string())),
            std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("replay: 2 inputs, 2 records, 0 malformed"), std::string::npos)
      << outcome.err;
}

TEST_F(ReplayInputsTest, AFileWithTwoNamesIsReplayedOnce) {
  Write("logs/a.jsonl", Record("RunInstances") + "\n");
  fs::create_symlink(dir_ / "logs" / "a.jsonl", dir_ / "logs" / "b.jsonl");
  fs::create_directory_symlink(dir_ / "logs", dir_ / "logs" / "again");

  const Outcome outcome = Replay(/*as_nobody=*/false);

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_NE(outcome.err.find("replay: 1 inputs, 1 records, 0 malformed"), std::string::npos)
      << outcome.err;
}

}  // namespace
