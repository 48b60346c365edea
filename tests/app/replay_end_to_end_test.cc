// End to end: the `trailsight` executable generates a week of CloudTrail and replays it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "common/time.h"
#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;
using trailsight::test_support::WriteLines;

const fs::path kBinary = TRAILSIGHT_BINARY;

// Runs the executable with `arguments` (shell syntax) and returns its exit status.
int RunTrailsight(const std::string& arguments) {
  const std::string command = fmt::format("'{}' {}", kBinary.string(), arguments);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Quotes a path for the shell (test paths hold no quotes).
std::string Quote(const fs::path& path) { return fmt::format("'{}'", path.string()); }

// What must not change when input order changes: which record, about what, when, and the
// insight it belongs to.
using Identity = std::tuple<std::string, std::string, std::string, std::string>;
std::set<Identity> Identities(const fs::path& insights) {
  std::set<Identity> identities;
  for (const std::string& line : ReadLines(insights)) {
    const Json record = Json::parse(line);
    const Json& details = record["insightDetails"];
    identities.emplace(details["state"], details["eventName"], record["eventTime"],
                       record["sharedEventID"]);
  }
  return identities;
}

trailsight::common::Seconds EventTime(const std::string& record) {
  const std::string_view marker = "\"eventTime\":\"";
  const std::size_t at = record.find(marker);
  EXPECT_NE(at, std::string::npos) << record.substr(0, 200);
  return *trailsight::common::ParseUtcTimestamp(record.substr(at + marker.size(), 20));
}

class ReplayEndToEndTest : public ::testing::Test {
 protected:
  // One generated week in each layout, shared by the suite: generation takes seconds.
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-e2e-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(RunTrailsight(fmt::format("generate --out '{}' --labels '{}' --seed 1 --days 7",
                                        (dir_ / "s3").string(), (dir_ / "labels.jsonl").string())),
              0);
    ASSERT_EQ(RunTrailsight(fmt::format("generate --format jsonl --out '{}' --seed 1 --days 7",
                                        (dir_ / "week.jsonl").string())),
              0);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Replays `inputs` with extra `flags`, writing insights to `name`; returns its path.
  fs::path Replay(const std::string& inputs, const std::string& name,
                  const std::string& flags = "") {
    const fs::path out = dir_ / name;
    EXPECT_EQ(
        RunTrailsight(fmt::format("replay {} --insights-out '{}' --dead-letter-out '{}' {}", inputs,
                                  out.string(), (dir_ / (name + ".dead")).string(), flags)),
        0);
    return out;
  }

  static inline fs::path dir_;
};

TEST_F(ReplayEndToEndTest, FindsTheInjectedBurstAndNothingOnTheQuietDays) {
  const std::vector<std::string> labels = ReadLines(dir_ / "labels.jsonl");
  ASSERT_EQ(labels.size(), 1u);
  const Json label = Json::parse(labels[0]);

  const fs::path insights = Replay(Quote(dir_ / "s3"), "s3.jsonl");

  const std::vector<std::string> records = ReadLines(insights);
  ASSERT_EQ(records.size(), 2u) << ReadFile(insights);
  const Json start = Json::parse(records[0]), end = Json::parse(records[1]);
  EXPECT_EQ(start["insightDetails"]["state"], "Start");
  EXPECT_EQ(end["insightDetails"]["state"], "End");
  for (const Json& record : {start, end}) {
    EXPECT_EQ(record["insightDetails"]["eventName"], label["eventName"]);
    EXPECT_EQ(record["insightDetails"]["eventSource"], label["eventSource"]);
    EXPECT_EQ(record["insightDetails"]["insightType"], "ApiCallRateInsight");
    EXPECT_EQ(record["recipientAccountId"], label["account"]);
    EXPECT_EQ(record["awsRegion"], label["region"]);
  }
  EXPECT_EQ(start["sharedEventID"], end["sharedEventID"]);
  const auto incident_start =
      *trailsight::common::ParseUtcTimestamp(label["start"].get<std::string>());
  const auto incident_end = *trailsight::common::ParseUtcTimestamp(label["end"].get<std::string>());
  const auto started =
      *trailsight::common::ParseUtcTimestamp(start["eventTime"].get<std::string>());
  const auto ended = *trailsight::common::ParseUtcTimestamp(end["eventTime"].get<std::string>());
  EXPECT_GE(started, incident_start - std::chrono::minutes{2});
  EXPECT_LE(started, incident_start + std::chrono::minutes{2});
  EXPECT_GT(ended, started);
  EXPECT_LE(ended, incident_end + std::chrono::minutes{5});
}

TEST_F(ReplayEndToEndTest, ReplayingTheSameInputTwiceGivesIdenticalBytes) {
  const std::string input = Quote(dir_ / "s3");
  const fs::path first = Replay(input, "first.jsonl");
  const fs::path second = Replay(input, "second.jsonl");

  EXPECT_FALSE(ReadFile(first).empty());
  EXPECT_EQ(ReadFile(first), ReadFile(second));
}

TEST_F(ReplayEndToEndTest, ReorderingWithinTheLatenessChangesNoInsight) {
  std::vector<std::string> records = ReadLines(dir_ / "week.jsonl");
  ASSERT_GT(records.size(), 10'000u);
  // In event-time order, then each record delayed by up to four minutes (lateness: five).
  std::vector<std::pair<trailsight::common::Seconds, std::string>> timed;
  for (std::string& record : records) timed.emplace_back(EventTime(record), std::move(record));
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> in_order;
  for (const auto& [time, record] : timed) in_order.push_back(record);
  std::mt19937_64 random(2024);
  for (auto& [time, record] : timed) time += std::chrono::seconds{random() % 240};
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> shuffled;
  for (const auto& [time, record] : timed) shuffled.push_back(record);
  ASSERT_NE(in_order, shuffled);
  WriteLines(dir_ / "in-order.jsonl", in_order);
  WriteLines(dir_ / "shuffled.jsonl", shuffled);

  const auto delivered = Identities(Replay(Quote(dir_ / "week.jsonl"), "d.jsonl"));
  const auto ordered = Identities(Replay(Quote(dir_ / "in-order.jsonl"), "o.jsonl"));
  const auto reordered = Identities(Replay(Quote(dir_ / "shuffled.jsonl"), "r.jsonl"));

  EXPECT_EQ(ordered.size(), 2u);
  EXPECT_EQ(delivered, ordered);
  EXPECT_EQ(reordered, ordered);
}

TEST_F(ReplayEndToEndTest, BadRecordsAreDeadLetteredAndNothingElseIsLost) {
  static constexpr char kBinaryJunk[] = "\x01\x02\xff\xfe binary\x00junk";  // NUL inside
  std::vector<std::string> records = ReadLines(dir_ / "week.jsonl");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"eventVersion":"1.09","eventTime":"2026-11-03T10:00:00Z","eventSource":"ec2.amaz)",
       "truncated or invalid JSON"},
      {std::string(kBinaryJunk, sizeof(kBinaryJunk) - 1), "invalid JSON"},
      {R"({"eventTime":"2026-11-03T10:00:00Z","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"111122223333"})",
       "eventName"},
      {R"({"eventTime":"2026-11-03T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":7,"awsRegion":"us-east-1","recipientAccountId":"111122223333"})",
       "eventName"},
  };
  std::vector<std::string> dirty = records;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    dirty.insert(dirty.begin() + static_cast<std::ptrdiff_t>((i + 1) * dirty.size() / 5),
                 bad[i].first);
  }
  WriteLines(dir_ / "dirty.jsonl", dirty);

  const fs::path clean = Replay(Quote(dir_ / "week.jsonl"), "clean.jsonl");
  const fs::path with_junk = Replay(Quote(dir_ / "dirty.jsonl"), "junk.jsonl");

  EXPECT_EQ(ReadFile(with_junk), ReadFile(clean));
  const std::vector<std::string> letters = ReadLines(dir_ / "junk.jsonl.dead");
  ASSERT_EQ(letters.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const Json letter = Json::parse(letters[i]);
    EXPECT_NE(letter["reason"].get<std::string>().find(bad[i].second), std::string::npos)
        << letter.dump();
    EXPECT_NE(letter["position"].get<std::string>().find("line"), std::string::npos);
    EXPECT_NE(letter["source"].get<std::string>().find("dirty.jsonl"), std::string::npos);
  }
}

TEST_F(ReplayEndToEndTest, RecordsDatedFarFromTheirTimelinePoisonNothing) {
  // Go's zero time is before CloudTrail began: dead-lettered. Year 9999 and three days ahead
  // are held, never reached by their region's timeline, and dropped at the end: nothing
  // after them is late, and no gap is walked a minute at a time.
  std::vector<std::string> records = ReadLines(dir_ / "week.jsonl");
  const std::string sample = records[records.size() / 2];
  const std::size_t at = sample.find("\"eventTime\":\"") + 13;
  std::vector<std::string> poisoned = records;
  for (const char* forged :
       {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-09T00:00:00Z"}) {
    std::string record = sample;
    record.replace(at, 20, forged);
    poisoned.insert(poisoned.begin() + static_cast<std::ptrdiff_t>(poisoned.size() / 3), record);
  }
  WriteLines(dir_ / "poisoned.jsonl", poisoned);

  const fs::path clean = Replay(Quote(dir_ / "week.jsonl"), "unpoisoned.jsonl");
  const fs::path log = dir_ / "poisoned.log";
  const fs::path with_poison =
      Replay(Quote(dir_ / "poisoned.jsonl"), "poisoned.out", "2> " + Quote(log));

  EXPECT_EQ(ReadFile(with_poison), ReadFile(clean));
  const std::vector<std::string> letters = ReadLines(dir_ / "poisoned.out.dead");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_NE(letters[0].find("0001-01-01"), std::string::npos) << letters[0];
  EXPECT_NE(ReadFile(log).find(" 0 late dropped, 2 held far ahead of their region (2 never "
                               "reached: dropped)"),
            std::string::npos)
      << ReadFile(log);
}

TEST_F(ReplayEndToEndTest, ConfigTunesAndFlagsWin) {
  const fs::path config = dir_ / "strict.yaml";
  std::ofstream(config) << "detection:\n  min_calls: 100000\noutputs:\n  insights: "
                        << (dir_ / "from-config.jsonl").string() << "\n";

  const fs::path insights =
      Replay(Quote(dir_ / "week.jsonl"), "strict.jsonl", fmt::format("--config {}", Quote(config)));

  EXPECT_TRUE(fs::exists(insights));  // --insights-out won over outputs.insights
  EXPECT_FALSE(fs::exists(dir_ / "from-config.jsonl"));
  EXPECT_TRUE(ReadLines(insights).empty());  // nothing reaches 100000 calls a minute
}

TEST_F(ReplayEndToEndTest, ReadsTheConfigsInputFilesWhenNoPathIsGiven) {
  const fs::path config = dir_ / "files.yaml";
  std::ofstream(config) << "input:\n  files: [" << Quote(dir_ / "s3") << "]\n";

  const fs::path from_config =
      Replay("", "from-config-files.jsonl", fmt::format("--config {}", Quote(config)));

  EXPECT_FALSE(ReadFile(from_config).empty());
  EXPECT_EQ(ReadFile(from_config), ReadFile(Replay(Quote(dir_ / "s3"), "from-path.jsonl")));
  EXPECT_EQ(RunTrailsight("replay --insights-out - 2>/dev/null"), 2);  // no input at all
}

TEST_F(ReplayEndToEndTest, BadConfigExitsTwoNamingTheField) {
  const fs::path config = dir_ / "typo.yaml";
  std::ofstream(config) << "detection:\n  min_cals: 3\n";

  EXPECT_EQ(RunTrailsight(fmt::format("replay '{}' --config '{}' --insights-out - 2>'{}'",
                                      (dir_ / "week.jsonl").string(), config.string(),
                                      (dir_ / "typo.err").string())),
            2);
  const std::string error = ReadFile(dir_ / "typo.err");
  EXPECT_NE(error.find("typo.yaml:2"), std::string::npos) << error;
  EXPECT_NE(error.find("min_calls"), std::string::npos) << error;
}

TEST_F(ReplayEndToEndTest, HelpAndVersionAnswer) {
  EXPECT_EQ(RunTrailsight("--version > /dev/null"), 0);
  EXPECT_EQ(RunTrailsight("--help > /dev/null"), 0);
  EXPECT_EQ(RunTrailsight("replay --help > /dev/null"), 0);
  EXPECT_EQ(RunTrailsight("generate --help > /dev/null"), 0);
  EXPECT_EQ(RunTrailsight("replay /no/such/path --insights-out - 2>/dev/null"), 2);
}

TEST_F(ReplayEndToEndTest, AlertsOutMirrorsEveryInsightBesideTheAlerts) {
  const fs::path alerts = dir_ / "mirror.ocsf.jsonl";

  const fs::path insights =
      Replay(Quote(dir_ / "s3"), "mirrored.jsonl", fmt::format("--alerts-out {}", Quote(alerts)));

  EXPECT_EQ(ReadFile(insights), ReadFile(Replay(Quote(dir_ / "s3"), "unmirrored.jsonl")));
  const std::vector<std::string> records = ReadLines(insights);
  const std::vector<std::string> mirrored = ReadLines(alerts);
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(mirrored.size(), records.size());  // the generated week has no tamper call
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Json insight = Json::parse(records[i]), finding = Json::parse(mirrored[i]);
    EXPECT_EQ(finding["class_uid"], 2004);
    EXPECT_EQ(finding["activity_name"], i == 0 ? "Create" : "Close");
    EXPECT_EQ(finding["finding_info"]["uid"], insight["sharedEventID"]);
    EXPECT_EQ(finding["metadata"]["uid"], insight["eventID"]);
    EXPECT_EQ(finding["api"]["operation"], insight["insightDetails"]["eventName"]);
    EXPECT_EQ(finding["cloud"]["account"]["uid"], insight["recipientAccountId"]);
    EXPECT_EQ(finding["unmapped"]["insightDetails"], insight["insightDetails"]);
  }
}

// The recorded Stratus Red Team detonations (../shared/datasets): six tamper calls among
// 310 records, one of them a denied LeaveOrganization.
const fs::path kStratus = fs::path(TRAILSIGHT_SHARED_DIR) / "datasets" / "stratus-detonation-logs";

TEST_F(ReplayEndToEndTest, AlertsOutHoldsEveryRecordedTamperCallAsAnOcsfDetectionFinding) {
  if (!fs::exists(kStratus)) GTEST_SKIP() << "dataset not available: " << kStratus;
  const fs::path alerts = dir_ / "stratus.ocsf.jsonl";

  const fs::path insights =
      Replay(Quote(kStratus), "stratus.jsonl", fmt::format("--alerts-out {}", Quote(alerts)));

  EXPECT_TRUE(ReadLines(insights).empty());  // minutes of data: no baseline, no insight
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (const std::string& line : ReadLines(alerts)) {
    const Json finding = Json::parse(line);
    EXPECT_EQ(finding["class_uid"], 2004);
    EXPECT_EQ(finding["finding_info"]["types"], Json::array({"Tamper"}));
    seen.emplace_back(finding["api"]["operation"], finding["severity"],
                      finding["api"].value("/response/error"_json_pointer, ""),
                      finding["finding_info"]["related_events"][0]["uid"]);
  }
  EXPECT_EQ(
      seen,
      (std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
          {"DeleteTrail", "Critical", "", "ee73c230-44bc-4492-8542-cfb189eae287"},
          {"PutEventSelectors", "High", "", "c2a89408-340a-42f0-8ace-75d9f5769393"},
          {"StopLogging", "Critical", "", "10163ed2-2253-469d-a5ee-cbc6651f8934"},
          {"DeleteResolverQueryLogConfig", "High", "", "ba4609ca-b420-4cb6-bdff-307729b3b7db"},
          {"LeaveOrganization", "Critical", "AccessDenied", "16903cbd-fdff-4818-82f2-d66ad09aaf57"},
          {"DeleteFlowLogs", "High", "", "ded2f5af-f3a5-46d2-a170-a23206a32c36"},
      }));
}

TEST_F(ReplayEndToEndTest, TamperRulesFromTheConfigReachTheAlertStream) {
  if (!fs::exists(kStratus)) GTEST_SKIP() << "dataset not available: " << kStratus;
  const fs::path config = dir_ / "tamper.yaml";
  std::ofstream(config) << "tamper:\n  rules:\n    - {event_source: ec2.amazonaws.com, "
                           "event_name: GetPasswordData, severity: medium}\n";
  const fs::path alerts = dir_ / "password.ocsf.jsonl";

  Replay(Quote(kStratus / "aws.credential-access.ec2-get-password-data.json"), "password.jsonl",
         fmt::format("--config {} --alerts-out {}", Quote(config), Quote(alerts)));

  const std::vector<std::string> lines = ReadLines(alerts);
  ASSERT_EQ(lines.size(), 30u);  // every one of the denied calls
  for (const std::string& line : lines) {
    const Json finding = Json::parse(line);
    EXPECT_EQ(finding["finding_info"]["analytic"]["name"], "ec2.GetPasswordData");
    EXPECT_EQ(finding["severity"], "Medium");
    EXPECT_EQ(finding["api"]["response"]["error"], "Client.UnauthorizedOperation");
  }
}

}  // namespace
