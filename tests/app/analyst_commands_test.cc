// End to end: the analyst commands of the `trailsight` executable (`replay --series`,
// `explain`, `score`) on three generated days with the default TerminateInstances burst on
// the last day at 14:07 UTC.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;
using trailsight::test_support::WriteLines;

const fs::path kBinary = TRAILSIGHT_BINARY;

// Runs the executable with `arguments` (shell syntax) and returns its exit status; with
// `limit_seconds`, stops it then (status 124).
int RunTrailsight(const std::string& arguments, int limit_seconds = 0) {
  const std::string command =
      limit_seconds > 0
          ? fmt::format("timeout {} '{}' {}", limit_seconds, kBinary.string(), arguments)
          : fmt::format("'{}' {}", kBinary.string(), arguments);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

class AnalystCommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-analyst-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(RunTrailsight(fmt::format(
                  "generate --format jsonl --out '{}' --labels '{}' --seed 3 --days 3 --accounts 1",
                  (dir_ / "days.jsonl").string(), (dir_ / "labels.jsonl").string())),
              0);
    const nlohmann::json label = nlohmann::json::parse(ReadLines(dir_ / "labels.jsonl").at(0));
    key_ = fmt::format("{}/{}/{}/{}", label["account"].get<std::string>(),
                       label["region"].get<std::string>(), label["eventSource"].get<std::string>(),
                       label["eventName"].get<std::string>());
    start_ = label["start"].get<std::string>().substr(0, 16) + "Z";  // YYYY-MM-DDTHH:MMZ
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Runs `explain` at `at` (and `extra` flags); returns its stdout.
  static std::string Explain(const std::string& at, const std::string& extra = "") {
    const fs::path out = dir_ / "explain.txt";
    EXPECT_EQ(
        RunTrailsight(fmt::format("explain --input '{}' --key '{}' --at {} {} > '{}'",
                                  (dir_ / "days.jsonl").string(), key_, at, extra, out.string())),
        0);
    return ReadFile(out);
  }

  static inline fs::path dir_;
  static inline std::string key_;    // the injected burst's key
  static inline std::string start_;  // its first minute
};

TEST_F(AnalystCommandsTest, SeriesShowsTheBurstAboveItsThresholdWithTheInsightOpen) {
  const fs::path series = dir_ / "series.csv";
  const std::string glob = "*/" + key_.substr(key_.rfind('/') + 1);
  ASSERT_EQ(
      RunTrailsight(fmt::format("replay '{}' --insights-out '{}' --dead-letter-out '{}' "
                                "--series '{}' --series-key '{}' 2>/dev/null",
                                (dir_ / "days.jsonl").string(), (dir_ / "insights.jsonl").string(),
                                (dir_ / "dead.jsonl").string(), series.string(), glob)),
      0);

  const std::vector<std::string> lines = ReadLines(series);
  ASSERT_GT(lines.size(), 1u);
  const std::vector<std::string> header = Split(lines[0]);
  ASSERT_GE(header.size(), 14u);
  EXPECT_EQ(header[0], "minute");
  EXPECT_EQ(header[13], "insight_open");
  bool burst_row = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> row = Split(lines[i]);
    ASSERT_EQ(row.size(), header.size()) << lines[i];
    EXPECT_EQ(row[5], key_.substr(key_.rfind('/') + 1));  // only the globbed key
    if (row[0] == start_.substr(0, 16) + ":00Z") {
      burst_row = true;
      EXPECT_GE(std::stoul(row[7]), std::stoul(row[9]));  // calls reach fire_at
      EXPECT_EQ(row[11], "1.0000");                       // score
      EXPECT_EQ(row[13], "1");                            // insight open
    }
  }
  EXPECT_TRUE(burst_row) << "no row for " << start_;
}

TEST_F(AnalystCommandsTest, ExplainSaysTheBurstMinuteFiredAndWhy) {
  const std::string text = Explain(start_);

  EXPECT_NE(text.find(start_ + "  "), std::string::npos) << text;
  EXPECT_NE(text.find("fired: the 1-minute window's"), std::string::npos) << text;
  EXPECT_NE(text.find("an insight started in this minute"), std::string::npos) << text;
  EXPECT_NE(text.find("Start " + start_), std::string::npos) << text;
  EXPECT_NE(text.find("End "), std::string::npos) << text;
}

TEST_F(AnalystCommandsTest, ExplainSaysQuietMinutesDidNotFireOrHadNothingToJudge) {
  // An hour before the burst: the key is quiet (a few calls a day at most).
  const std::string at = start_.substr(0, 11) + "13:07Z";
  const std::string text = Explain(at, "--around 30");

  EXPECT_EQ(text.find("fired:"), std::string::npos) << text;
  EXPECT_NE(text.find(at + "  0 calls: nothing to judge"), std::string::npos) << text;
}

TEST_F(AnalystCommandsTest, ExplainSaysAFirstDayBurstWaitedForTheWarmUp) {
  // The nightly EBS backup at 02:00 (+-3 min) on the first day: a burst, but no history yet.
  const std::string account = key_.substr(0, key_.find('/'));
  const fs::path out = dir_ / "explain-warmup.txt";
  ASSERT_EQ(RunTrailsight(fmt::format(
                "explain --input '{}' --key {}/us-east-1/ec2.amazonaws.com/CreateSnapshot --at "
                "2026-11-02T02:00Z --around 4 > '{}'",
                (dir_ / "days.jsonl").string(), account, out.string())),
            0);

  const std::string text = ReadFile(out);
  EXPECT_NE(text.find("was still warming up (insights need 24 h of its history), though the "
                      "1-minute window's"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("fired:"), std::string::npos) << text;
}

TEST_F(AnalystCommandsTest, ExplainRefusesAMalformedKey) {
  EXPECT_EQ(RunTrailsight(fmt::format("explain --input '{}' --key just/three/parts --at {} "
                                      "2>/dev/null",
                                      (dir_ / "days.jsonl").string(), start_)),
            2);
}

TEST_F(AnalystCommandsTest, ScoreGivesOneRowPerInputRowAndOneAtTheSpike) {
  std::vector<std::string> rows = {"timestamp,value"};
  for (int minute = 0; minute < 2 * 24 * 60; ++minute) {
    const int value = minute == 36 * 60 ? 400 : 20 + minute % 3;
    rows.push_back(fmt::format("{},{}", 1794009600 + 60 * minute, value));
  }
  WriteLines(dir_ / "series-in.csv", rows);
  const fs::path scored = dir_ / "scored.csv";

  ASSERT_EQ(RunTrailsight(fmt::format("score --input '{}' > '{}'",
                                      (dir_ / "series-in.csv").string(), scored.string())),
            0);

  const std::vector<std::string> lines = ReadLines(scored);
  ASSERT_EQ(lines.size(), rows.size());
  EXPECT_EQ(lines[0], "timestamp,value,anomaly_score");
  EXPECT_EQ(lines[1 + 36 * 60], fmt::format("{},400,1.0000", 1794009600 + 60 * 36 * 60));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const double score = std::stod(Split(lines[i]).at(2));
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 1.0);
  }
}

// Scores `rows` (header first) with `score`; returns its output lines, or none when it did not
// succeed within `limit`.
std::vector<std::string> Score(const fs::path& dir, const std::vector<std::string>& rows,
                               const std::string& name, int limit_seconds = 60) {
  const fs::path input = dir / (name + ".csv");
  const fs::path scored = dir / (name + "-scored.csv");
  WriteLines(input, rows);
  if (RunTrailsight(
          fmt::format("score --input '{}' --output '{}'", input.string(), scored.string()),
          limit_seconds) != 0) {
    return {};
  }
  return ReadLines(scored);
}

// Checks that `lines` has one row per row of `rows` (header first), in order, each with its
// timestamp and value as written; returns the scores.
std::vector<double> ScoresInInputOrder(const std::vector<std::string>& rows,
                                       const std::vector<std::string>& lines) {
  std::vector<double> scores;
  EXPECT_EQ(lines.size(), rows.size());
  if (lines.size() != rows.size()) return scores;
  EXPECT_EQ(lines[0], "timestamp,value,anomaly_score");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, lines[i].rfind(',')), rows[i]) << "row " << i;
    scores.push_back(std::stod(Split(lines[i]).at(2)));
  }
  return scores;
}

TEST_F(AnalystCommandsTest, ScoreTakesNegativeAndFractionalValuesWithTimestampsOutOfOrder) {
  // Two days of minutes around -3.5; at row 1000 the clock goes back an hour (a
  // daylight-saving repeat), rows 1500 and 1501 are swapped, and row 2200 falls to -40.
  std::vector<std::string> rows = {"timestamp,value"};
  std::vector<int> clock;
  for (int i = 0; i < 2 * 24 * 60; ++i) clock.push_back(i < 1000 ? i : i - 60);
  std::swap(clock[1500], clock[1501]);
  for (int i = 0; i < 2 * 24 * 60; ++i) {
    const double value = i == 2200 ? -40.0 : -3.5 + 0.25 * (i * 7 % 5);
    rows.push_back(fmt::format("{},{}", 1794009600 + 60 * clock[i], value));
  }

  const std::vector<double> scores =
      ScoresInInputOrder(rows, Score(dir_, rows, "negative-fractional"));

  ASSERT_EQ(scores.size(), rows.size() - 1);
  EXPECT_EQ(scores[2200], 1.0);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (i == 2200) continue;
    EXPECT_EQ(scores[i], 0.0) << "row " << i + 1 << ": " << rows[i + 1];
  }
}

TEST_F(AnalystCommandsTest, ScoreTakesLargeValuesWithRepeatedTimestampsQuickly) {
  // 4,000 rows of bytes written, around 5e7, each timestamp twice; a burst at row 3000.
  std::vector<std::string> rows = {"timestamp,value"};
  for (int i = 0; i < 4000; ++i) {
    const int bytes = 50'000'000 + 100'000 * (i * 7 % 5) + (i == 3000 ? 40'000'000 : 0);
    const int minute = i / 2;
    rows.push_back(fmt::format("2026-11-{:02}T{:02}:{:02}:00Z,{}", 2 + minute / 1440,
                               minute / 60 % 24, minute % 60, bytes));
  }

  const std::vector<double> scores =
      ScoresInInputOrder(rows, Score(dir_, rows, "large", /*limit_seconds=*/20));

  ASSERT_EQ(scores.size(), rows.size() - 1);
  EXPECT_EQ(scores[3000], 1.0);
  EXPECT_EQ(*std::max_element(scores.begin(), scores.begin() + 3000), 0.0);
  EXPECT_EQ(*std::max_element(scores.begin() + 3001, scores.end()), 0.0);
}

TEST_F(AnalystCommandsTest, ScoreHelpSaysWhichSeriesGoToWhichModel) {
  const fs::path help = dir_ / "score-help.txt";

  ASSERT_EQ(RunTrailsight(fmt::format("score --help > '{}'", help.string())), 0);

  const std::string text = ReadFile(help);
  EXPECT_NE(text.find("whole numbers from 0 to 100000 is a series of counts"), std::string::npos)
      << text;
  EXPECT_NE(text.find("is continuous"), std::string::npos) << text;
  EXPECT_NE(text.find("go back in time"), std::string::npos) << text;
}

TEST_F(AnalystCommandsTest, ScoreNamesTheLineOfABadRow) {
  WriteLines(dir_ / "bad.csv", {"timestamp,value", "2026-11-07T14:07Z,3", "2026-11-07T14:08Z,x4"});
  const fs::path err = dir_ / "bad.err";

  EXPECT_EQ(RunTrailsight(fmt::format("score --input '{}' > /dev/null 2> '{}'",
                                      (dir_ / "bad.csv").string(), err.string())),
            2);

  const std::string message = ReadFile(err);
  EXPECT_NE(message.find("bad.csv:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("value 'x4' is not a finite number"), std::string::npos) << message;
}

}  // namespace
