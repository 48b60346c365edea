// What `trailsight replay` prints on stdout: readable lines on a terminal or with
// --format text, JSON lines through a pipe or with --format json. Three generated days with
// the default TerminateInstances burst on the last day, plus one StopLogging record.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/replay_command.h"
#include "tests/support/files.h"
#include "tests/support/line_fields.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;
using trailsight::test_support::SplitLines;

const fs::path kBinary = TRAILSIGHT_BINARY;

// Runs `command` with the shell and returns its exit status.
int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> Fields(const std::string& line) {
  return trailsight::test_support::LineFields(line);
}

// The first principal of a record's userIdentityArn attribution.
std::string TopPrincipal(const Json& record) {
  for (const Json& attribution : record["insightDetails"]["insightContext"]["attributions"]) {
    if (attribution["attribute"] == "userIdentityArn") return attribution["insight"][0]["value"];
  }
  return "";
}

class ReplayStdoutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-stdout-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(RunShell(fmt::format("'{}' generate --format jsonl --out '{}' --labels '{}' --seed 3 "
                                   "--days 3 --accounts 1",
                                   kBinary.string(), (dir_ / "days.jsonl").string(),
                                   (dir_ / "labels.jsonl").string())),
              0);
    label_ = Json::parse(ReadLines(dir_ / "labels.jsonl").at(0));
    // A StopLogging call by another principal at the time of the last generated record.
    const Json last = Json::parse(ReadLines(dir_ / "days.jsonl").back());
    const std::string account = label_["account"];
    Json stop = {
        {"eventVersion", "1.09"},
        {"userIdentity",
         {{"type", "IAMUser"},
          {"arn", fmt::format("arn:aws:iam::{}:user/mallory", account)},
          {"accountId", account}}},
        {"eventTime", last["eventTime"]},
        {"eventSource", "cloudtrail.amazonaws.com"},
        {"eventName", "StopLogging"},
        {"awsRegion", label_["region"]},
        {"sourceIPAddress", "203.0.113.9"},
        {"userAgent", "aws-cli/2.15.0"},
        {"requestParameters", {{"name", "management-events"}}},
        {"eventID", "8e6c1f7a-4a55-4c34-9d5e-2f1d8f0e4b11"},
        {"eventType", "AwsApiCall"},
        {"recipientAccountId", account},
    };
    std::ofstream(dir_ / "stop.jsonl") << stop.dump() << "\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // The replay command of the generated days (and `inputs`) with `flags`.
  static std::string ReplayCommand(const std::string& flags, const std::string& inputs = "") {
    return fmt::format("'{}' replay '{}' {} --dead-letter-out '{}' {}", kBinary.string(),
                       (dir_ / "days.jsonl").string(), inputs, (dir_ / "dead.jsonl").string(),
                       flags);
  }

  // Replays with `flags`, stdout on a pipe; returns what came through it.
  static std::string Stdout(const std::string& flags, const std::string& inputs = "") {
    const std::string command = fmt::format("{} 2>/dev/null", ReplayCommand(flags, inputs));
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr) << command;
    if (pipe == nullptr) return "";
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      out.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
    return out;
  }

  // Replays with `flags` on a pseudo-terminal (util-linux `script`), in `environment`;
  // returns what the terminal showed, without the carriage returns it adds.
  static std::string TerminalStdout(const std::string& flags, const std::string& environment) {
    const fs::path out = dir_ / "terminal.txt";
    EXPECT_EQ(RunShell(fmt::format("script -qec \"env {} {} 2>/dev/null\" /dev/null > '{}'",
                                   environment, ReplayCommand(flags), out.string())),
              0);
    std::string shown = ReadFile(out);
    std::erase(shown, '\r');
    return shown;
  }

  // The records replay writes to an --insights-out file.
  static std::vector<std::string> InsightRecords() {
    const fs::path file = dir_ / "insights.jsonl";
    Stdout(fmt::format("--insights-out '{}'", file.string()));
    return ReadLines(file);
  }

  static inline fs::path dir_;
  static inline Json label_;  // the injected burst
};

TEST_F(ReplayStdoutTest, JsonFormatIsTodaysJsonLinesByteForByte) {
  const std::vector<std::string> records = InsightRecords();

  const std::string forced = Stdout("--insights-out - --format json");
  const std::string piped = Stdout("--insights-out -");

  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(forced, ReadFile(dir_ / "insights.jsonl"));
  EXPECT_EQ(piped, forced);
  for (const std::string& line : SplitLines(forced)) EXPECT_EQ(line.front(), '{') << line;
}

TEST_F(ReplayStdoutTest, TextThroughAPipeGivesOneLinePerFindingWithItsFields) {
  const std::vector<std::string> records = InsightRecords();

  const std::vector<std::string> lines = SplitLines(Stdout("--insights-out - --format text"));

  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(lines.size(), records.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Json record = Json::parse(records[i]);
    const Json& details = record["insightDetails"];
    const Json& statistics = details["insightContext"]["statistics"];
    const std::vector<std::string> fields = Fields(lines[i]);
    ASSERT_EQ(fields.size(), 7u) << lines[i];
    EXPECT_EQ(fields[0], record["eventTime"]);
    EXPECT_EQ(fields[1], details["state"]);
    EXPECT_EQ(fields[2], "call rate");
    EXPECT_EQ(fields[3],
              fmt::format("ec2.amazonaws.com {}", label_["eventName"].get<std::string>()));
    EXPECT_EQ(fields[4], fmt::format("{}/{}", label_["account"].get<std::string>(),
                                     label_["region"].get<std::string>()));
    EXPECT_NE(fields[5].find(" calls/min"), std::string::npos) << fields[5];
    EXPECT_NE(fields[5].find(" vs baseline "), std::string::npos) << fields[5];
    EXPECT_EQ(fields[6], "top " + TopPrincipal(record));
    EXPECT_EQ(TopPrincipal(record), label_["principal"]);
    if (details["state"] == "Start") {  // the first minute's count, a whole number
      EXPECT_EQ(fields[5].rfind(fmt::format("{:g} calls/min vs baseline ",
                                            statistics["insight"]["average"].get<double>()),
                                0),
                0u)
          << fields[5];
    } else {
      EXPECT_NE(
          fields[5].find(fmt::format(" for {} min ", statistics["insightDuration"].get<int>())),
          std::string::npos)
          << fields[5];
    }
  }
}

TEST_F(ReplayStdoutTest, AlertsOnStdoutGetOneLineEachAndInsightsAreNotRepeated) {
  const std::string stop = fmt::format("'{}'", (dir_ / "stop.jsonl").string());

  const std::vector<std::string> both =
      SplitLines(Stdout("--insights-out - --alerts-out - --format text", stop));
  const std::vector<std::string> mirrored = SplitLines(Stdout(
      fmt::format("--insights-out '{}' --alerts-out - --format text", (dir_ / "f.jsonl").string()),
      stop));

  ASSERT_EQ(both.size(), 3u);  // Start, End, the tamper alert
  EXPECT_EQ(mirrored, both);
  const std::string account = label_["account"];
  EXPECT_EQ(Fields(both[2]),
            (std::vector<std::string>{
                Json::parse(ReadLines(dir_ / "days.jsonl").back())["eventTime"].get<std::string>(),
                "Alert",
                "tamper",
                "cloudtrail.amazonaws.com StopLogging",
                fmt::format("{}/{}", account, label_["region"].get<std::string>()),
                "Critical cloudtrail.StopLogging",
                fmt::format("by arn:aws:iam::{}:user/mallory", account),
            }));
}

TEST_F(ReplayStdoutTest, AutoIsColouredTextOnATerminalUnlessNoColorIsSet) {
  if (RunShell("command -v script > /dev/null") != 0) GTEST_SKIP() << "util-linux script not found";
  const std::string text = Stdout("--insights-out - --format text");

  const std::string coloured = TerminalStdout("--insights-out -", "-u NO_COLOR");
  const std::string plain = TerminalStdout("--insights-out -", "NO_COLOR=1");

  EXPECT_EQ(SplitLines(coloured).size(), 2u) << coloured;
  EXPECT_NE(coloured.find("\x1b[1;31mStart\x1b[0m"), std::string::npos) << coloured;
  EXPECT_NE(coloured.find("\x1b[32mEnd\x1b[0m"), std::string::npos) << coloured;
  EXPECT_EQ(plain, text);
}

TEST_F(ReplayStdoutTest, UnknownFormatIsRefusedNamingTheChoices) {
  const fs::path err = dir_ / "format.err";

  const int status = RunShell(fmt::format("{} --format yaml > /dev/null 2>'{}'",
                                          ReplayCommand("--insights-out -"), err.string()));

  EXPECT_EQ(status, 2);
  const std::string message = ReadFile(err);
  EXPECT_NE(message.find("--format"), std::string::npos) << message;
  EXPECT_NE(message.find("yaml"), std::string::npos) << message;
  EXPECT_NE(message.find("text"), std::string::npos) << message;
  EXPECT_NE(message.find("json"), std::string::npos) << message;
}

TEST(ChooseStdoutTest, AutoIsTextOnATerminalOnlyAndColourFollowsNoColor) {
  using trailsight::app::ChooseStdout;

  EXPECT_TRUE(ChooseStdout("auto", true, nullptr).text);
  EXPECT_TRUE(ChooseStdout("auto", true, nullptr).colour);
  EXPECT_TRUE(ChooseStdout("auto", true, "").colour);  // set but empty: colour stays
  EXPECT_FALSE(ChooseStdout("auto", true, "1").colour);
  EXPECT_TRUE(ChooseStdout("auto", true, "1").text);
  EXPECT_FALSE(ChooseStdout("auto", false, nullptr).text);
  EXPECT_FALSE(ChooseStdout("json", true, nullptr).text);
  EXPECT_TRUE(ChooseStdout("text", false, nullptr).text);
  EXPECT_FALSE(ChooseStdout("text", false, nullptr).colour);  // forced through a pipe
}

}  // namespace
