// The Kafka service end to end on a real broker (KAFKA_BROKERS): parity with replay, a
// crash and restart, a broker outage, bad messages, a warm start from a replay (with the
// trail buckets it learned), tamper alerts, a config reload and one service per state folder.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/service_process.h"
#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;
using trailsight::test_support::Brokers;
using trailsight::test_support::CheckpointedRekeyed;
using trailsight::test_support::ReadFile;
using trailsight::test_support::Shell;
using trailsight::test_support::WaitFor;
using Service = trailsight::test_support::ServiceProcess;
using trailsight::test_support::ReadLines;
using trailsight::test_support::WriteLines;

const fs::path kBinary = TRAILSIGHT_BINARY;
const fs::path kKafkaScript = fs::path(TRAILSIGHT_SOURCE_DIR) / "scripts" / "kafka";

class ServiceIntegrationTest : public ::testing::Test {
 protected:
  // A generated week, split at day boundaries, and what `trailsight replay` finds in it.
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-service-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(
        Shell(fmt::format("'{}' generate --format jsonl --out '{}' --seed 1 --days 7 2>/dev/null",
                          kBinary.string(), (dir_ / "week.jsonl").string())),
        0);
    records_ = new std::vector<std::string>(ReadLines(dir_ / "week.jsonl"));
    ASSERT_EQ(
        Shell(fmt::format(
            "'{}' replay '{}' --insights-out '{}' --dead-letter-out /dev/null 2>/dev/null",
            kBinary.string(), (dir_ / "week.jsonl").string(), (dir_ / "expected.jsonl").string())),
        0);
    expected_ = new std::vector<std::string>(ReadLines(dir_ / "expected.jsonl"));
    ASSERT_EQ(expected_->size(), 2u);  // the injected burst's Start and End
  }
  static void TearDownTestSuite() {
    delete records_;
    delete expected_;
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_FALSE(Brokers().empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                       "scripts/kafka start (scripts/test does)";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = fmt::format("{}-{}-{}", info->name(), ::getpid(), std::rand());
    // The broker, like production ones, does not create a topic on the first produce to it.
    const trailsight::common::Status created =
        trailsight::test_support::CreateTopic(Brokers(), Topic("in"));
    ASSERT_TRUE(created) << created.error().message;
  }

  // Records whose eventTime is in [from, to) (ISO dates compare as text).
  static std::vector<std::string> Between(std::string_view from, std::string_view to) {
    std::vector<std::string> selected;
    for (const std::string& record : *records_) {
      const std::size_t at = record.find("\"eventTime\":\"");
      const std::string_view time = std::string_view(record).substr(at + 13, 20);
      if (time >= from && time < to) selected.push_back(record);
    }
    return selected;
  }

  std::string Topic(std::string_view role) const { return fmt::format("{}-{}", name_, role); }

  void Produce(const std::string& topic, const std::vector<std::string>& messages) {
    const fs::path file = dir_ / (topic + ".messages");
    WriteLines(file, messages);
    ASSERT_EQ(
        Shell(fmt::format("kcat -P -b '{}' -t '{}' -l '{}'", Brokers(), topic, file.string())), 0);
  }

  // Every message of `topic` so far, formatted by kcat's `format`.
  std::vector<std::string> Consume(const std::string& topic, std::string_view format = "%s\\n") {
    const fs::path out = dir_ / (topic + ".consumed");
    Shell(fmt::format("kcat -C -b '{}' -t '{}' -e -q -f '{}' > '{}' 2>/dev/null", Brokers(), topic,
                      format, out.string()));
    return ReadLines(out);
  }

  // Writes a service config; returns its path.
  // `role` names this service's topics and group, so two services can run side by side.
  fs::path Config(const std::string& state_dir, std::string_view role = "",
                  std::size_t max_record_bytes = 50u << 20) {
    const fs::path path = dir_ / fmt::format("{}{}.yaml", name_, role);
    std::ofstream(path) << fmt::format(
        "kafka:\n  brokers: {}\n  group_id: {}\n  topics: [{}]\n  insights_topic: {}\n"
        "  alerts_topic: {}\n  dead_letter_topic: {}\n  idle_after_seconds: 3600\n"
        // A killed member's partitions move after the session timeout: keep it short.
        "  properties: {{session.timeout.ms: 6000, heartbeat.interval.ms: 1000}}\n"
        "state:\n  dir: {}\n  snapshot_interval_seconds: 1\n"
        "input:\n  dead_letter_path: {}\n  max_record_bytes: {}\n"
        // Services run side by side (and beside other test runs): any free metrics port.
        "metrics:\n  bind: 127.0.0.1:0\n",
        Brokers(), Topic(fmt::format("group{}", role)), Topic("in"),
        Topic(fmt::format("insights{}", role)), Topic(fmt::format("alerts{}", role)), Topic("dead"),
        state_dir, state_dir + "/dead-letters.jsonl", max_record_bytes);
    return path;
  }

  // Whether the service of `role` on `state` has `records` input records in its saved state
  // (re-keyed and checkpointed: CheckpointedRekeyed).
  bool Checkpointed(const fs::path& state, std::size_t records, std::string_view role = "") {
    return CheckpointedRekeyed(state, Brokers(),
                               Topic(fmt::format("group{}", role)) + "-repartition",
                               static_cast<std::int64_t>(records));
  }

  // Runs the service on `state_dir` until its newest snapshot covers `messages` input
  // messages, then stops it; returns its log.
  std::string RunUntilTheSnapshotCovers(const std::string& state_dir, std::size_t messages) {
    Service service(Config(state_dir), dir_ / (name_ + ".log"));
    EXPECT_TRUE(WaitFor([&] { return Checkpointed(state_dir, messages); }, 120s)) << service.Log();
    EXPECT_EQ(service.Stop(), 0) << service.Log();
    return service.Log();
  }

  // State, API, time and insight ID of each record.
  static std::set<std::string> Identities(const std::vector<std::string>& lines) {
    std::set<std::string> identities;
    for (const std::string& line : lines) {
      const Json record = Json::parse(line);
      identities.insert(fmt::format(
          "{} {} {} {}", record["insightDetails"]["state"].get<std::string>(),
          record["insightDetails"]["eventName"].get<std::string>(),
          record["eventTime"].get<std::string>(), record["sharedEventID"].get<std::string>()));
    }
    return identities;
  }

  static std::set<std::string> Set(const std::vector<std::string>& lines) {
    return {lines.begin(), lines.end()};
  }

  static inline fs::path dir_;
  static inline std::vector<std::string>* records_ = nullptr;
  static inline std::vector<std::string>* expected_ = nullptr;
  std::string name_;
};

TEST_F(ServiceIntegrationTest, GivesExactlyTheFindingsOfReplay) {
  Produce(Topic("in"), *records_);
  Service service(Config((dir_ / (name_ + "-state")).string()), dir_ / (name_ + ".log"));

  ASSERT_TRUE(WaitFor([&] { return Consume(Topic("insights")).size() >= expected_->size(); }, 120s))
      << service.Log();
  ASSERT_TRUE(
      WaitFor([&] { return Checkpointed(dir_ / (name_ + "-state"), records_->size()); }, 60s))
      << service.Log();
  EXPECT_EQ(service.Stop(), 0) << service.Log();

  std::vector<std::string> published = Consume(Topic("insights"));
  std::vector<std::string> expected = *expected_;
  std::sort(published.begin(), published.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(published, expected);  // same IDs, same JSON, each once
}

TEST_F(ServiceIntegrationTest, KillNineThenRestartLosesNoFindingAndResumesFromTheSnapshot) {
  const std::vector<std::string> first = Between("2026-11-02", "2026-11-06T00:00:00Z");
  const std::vector<std::string> second = Between("2026-11-06T00:00:00Z", "2026-12");
  const std::string state = (dir_ / (name_ + "-state")).string();
  Produce(Topic("in"), first);
  {
    Service service(Config(state), dir_ / (name_ + "-1.log"));
    ASSERT_TRUE(WaitFor([&] { return Checkpointed(state, first.size()); }, 120s)) << service.Log();
    Produce(Topic("in"), std::vector<std::string>(second.begin(), second.begin() + 1000));
    service.Kill();  // kill -9 mid-stream: no shutdown snapshot, no flush
  }
  Produce(Topic("in"), std::vector<std::string>(second.begin() + 1000, second.end()));
  Service restarted(Config(state), dir_ / (name_ + "-2.log"));
  ASSERT_TRUE(WaitFor([&] { return Checkpointed(state, first.size() + second.size()); }, 120s))
      << restarted.Log();
  EXPECT_EQ(restarted.Stop(), 0);

  const std::string log = restarted.Log();
  std::smatch restored;
  ASSERT_TRUE(std::regex_search(
      log, restored,
      std::regex(R"(state: (1 assigned partitions: 1 restored from kept state|)"
                 R"(\S+/0 restored from the changelog in [0-9.]+ s) \((\d+) keys\))")))
      << log;
  EXPECT_GT(std::stoi(restored[2]), 0) << "resumed warm, from its snapshot or the changelog";
  const std::vector<std::string> published = Consume(Topic("insights"));
  for (const std::string& finding : *expected_) {
    EXPECT_NE(std::find(published.begin(), published.end(), finding), published.end()) << finding;
  }
  for (const std::string& finding : published) {  // duplicates only as identical records
    EXPECT_TRUE(Set(*expected_).contains(finding)) << finding;
  }
}

TEST_F(ServiceIntegrationTest, RecoversFromABrokerOutageWithoutLosingAFinding) {
  const std::vector<std::string> first = Between("2026-11-02", "2026-11-07T14:00:00Z");
  const std::vector<std::string> second = Between("2026-11-07T14:00:00Z", "2026-12");
  const std::string state = (dir_ / (name_ + "-state")).string();
  Produce(Topic("in"), first);
  Service service(Config(state), dir_ / (name_ + ".log"));
  ASSERT_TRUE(WaitFor([&] { return Checkpointed(state, first.size()); }, 120s)) << service.Log();

  // The outage is scripts/kafka's: it must be managing the broker under test (KAFKA_PORT and
  // KAFKA_STATE_DIR as when it was started), or it would stop and start another one.
  const fs::path status_file = dir_ / (name_ + ".broker-status");
  Shell(fmt::format("'{}' status > '{}' 2>&1", kKafkaScript.string(), status_file.string()));
  ASSERT_NE(ReadFile(status_file).find(Brokers()), std::string::npos)
      << "scripts/kafka status says \"" << ReadFile(status_file) << "\", not the broker at "
      << Brokers() << ": run with the KAFKA_PORT and KAFKA_STATE_DIR it was started with";
  ASSERT_EQ(Shell(fmt::format("'{}' pause >/dev/null", kKafkaScript.string())), 0);
  std::this_thread::sleep_for(30s);
  ASSERT_EQ(Shell(fmt::format("'{}' start >/dev/null", kKafkaScript.string())), 0);
  Produce(Topic("in"), second);

  ASSERT_TRUE(WaitFor([&] { return Consume(Topic("insights")).size() >= expected_->size(); }, 180s))
      << service.Log();
  EXPECT_EQ(service.Stop(), 0) << service.Log();
  EXPECT_EQ(Set(Consume(Topic("insights"))), Set(*expected_));
}

TEST_F(ServiceIntegrationTest, BadMessagesGoToTheDeadLetterTopicAndTheRestIsProcessed) {
  const std::string oversized =
      R"({"eventTime":"2026-11-03T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"padding":")" +
      std::string(200'000, 'x') + "\"}}";
  const std::vector<std::string> bad = {
      "this is not json", "[1, 2, 3]", R"({"Records": 5})", oversized,
      R"({"eventTime":"2026-11-03T10:00:00Z","awsRegion":"us-east-1","eventSource":"ec2.amazonaws.com","recipientAccountId":"111122223333"})"};
  std::vector<std::string> messages = *records_;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    messages.insert(messages.begin() + static_cast<std::ptrdiff_t>((i + 1) * messages.size() / 6),
                    bad[i]);
  }
  Produce(Topic("in"), messages);
  const std::string state = (dir_ / (name_ + "-state")).string();
  Service service(Config(state, "", 100'000), dir_ / (name_ + ".log"));

  ASSERT_TRUE(WaitFor([&] { return Checkpointed(state, records_->size()); }, 120s))
      << service.Log();
  EXPECT_EQ(service.Stop(), 0);

  EXPECT_EQ(Set(Consume(Topic("insights"))), Set(*expected_));  // every good record counted
  const std::vector<std::string> letters = Consume(Topic("dead"), "%h\\t%S\\n");
  ASSERT_EQ(letters.size(), bad.size()) << fmt::format("{}", fmt::join(letters, "\n"));
  for (const std::string& letter : letters) {
    EXPECT_NE(letter.find("trailsight.reason="), std::string::npos) << letter;
    EXPECT_NE(letter.find("trailsight.source.topic=" + Topic("in")), std::string::npos) << letter;
    EXPECT_NE(letter.find("trailsight.source.offset="), std::string::npos) << letter;
  }
  EXPECT_NE(letters[3].find("100000"), std::string::npos) << letters[3];  // names the limit
  EXPECT_NE(letters[4].find("eventName"), std::string::npos) << letters[4];
}

TEST_F(ServiceIntegrationTest, StartsWarmFromAReplaySnapshotAndFindsWhatAColdStartCannot) {
  WriteLines(dir_ / (name_ + "-history.jsonl"), Between("2026-11-02", "2026-11-06T00:00:00Z"));
  const std::string warm_state = (dir_ / (name_ + "-warm")).string();
  ASSERT_EQ(Shell(fmt::format("'{}' replay '{}' --state-out '{}' --insights-out /dev/null "
                              "--dead-letter-out /dev/null 2>/dev/null",
                              kBinary.string(), (dir_ / (name_ + "-history.jsonl")).string(),
                              warm_state)),
            0);
  const std::vector<std::string> live = Between("2026-11-07T00:00:00Z", "2026-12");
  Produce(Topic("in"), live);

  const std::string cold_state = (dir_ / (name_ + "-cold")).string();
  Service warm(Config(warm_state, "-warm"), dir_ / (name_ + "-warm.log"));
  Service cold(Config(cold_state, "-cold"), dir_ / (name_ + "-cold.log"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return Checkpointed(warm_state, live.size(), "-warm") &&
               Checkpointed(cold_state, live.size(), "-cold");
      },
      180s))
      << warm.Log() << cold.Log();
  EXPECT_EQ(warm.Stop(), 0);
  EXPECT_EQ(cold.Stop(), 0);

  // The same insight (its statistics differ: the warm start missed a day of history).
  EXPECT_EQ(Identities(Consume(Topic("insights-warm"))), Identities(*expected_)) << warm.Log();
  EXPECT_TRUE(Consume(Topic("insights-cold")).empty()) << cold.Log();
}

TEST_F(ServiceIntegrationTest, TrailBucketsLearnedBeforeARestartStillGuardTheirLogs) {
  // The history names the trail's bucket in a CreateTrail; the live stream, after a restart
  // from the snapshot, changes that bucket's policy: only a kept bucket makes it an alert.
  constexpr std::string_view kIdentity =
      R"("userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::631859367540:user/admin",)"
      R"("accountId":"631859367540"},"recipientAccountId":"631859367540","awsRegion":"us-east-1")";
  std::vector<std::string> history = Between("2026-11-05", "2026-11-06T00:00:00Z");
  history.push_back(fmt::format(
      R"({{"eventTime":"2026-11-05T23:00:00Z","eventSource":"cloudtrail.amazonaws.com",)"
      R"("eventName":"CreateTrail","requestParameters":{{"name":"org-trail",)"
      R"("s3BucketName":"org-trail-logs-{}"}},{}}})",
      ::getpid(), kIdentity));
  WriteLines(dir_ / (name_ + "-history.jsonl"), history);
  const std::string state = (dir_ / (name_ + "-state")).string();
  ASSERT_EQ(
      Shell(fmt::format("'{}' replay '{}' --state-out '{}' --insights-out /dev/null "
                        "--dead-letter-out /dev/null 2>/dev/null",
                        kBinary.string(), (dir_ / (name_ + "-history.jsonl")).string(), state)),
      0);
  std::vector<std::string> live = Between("2026-11-07T00:00:00Z", "2026-11-07T06:00:00Z");
  live.insert(
      live.begin() + static_cast<std::ptrdiff_t>(live.size() / 2),
      fmt::format(R"({{"eventTime":"2026-11-07T03:00:00Z","eventSource":"s3.amazonaws.com",)"
                  R"("eventName":"PutBucketPolicy","requestParameters":{{)"
                  R"("bucketName":"org-trail-logs-{}"}},{}}})",
                  ::getpid(), kIdentity));
  Produce(Topic("in"), live);

  const std::string log = RunUntilTheSnapshotCovers(state, live.size());

  std::vector<std::string> rules;
  for (const std::string& line : Consume(Topic("alerts"))) {
    const std::string analytic = Json::parse(line)["finding_info"]["analytic"]["name"];
    if (analytic != "ApiCallRateInsight") rules.push_back(analytic);
  }
  EXPECT_EQ(rules, std::vector<std::string>{"s3.PutBucketPolicy"}) << log;
  EXPECT_NE(log.find("1 learned trail buckets"), std::string::npos) << log;
}

TEST_F(ServiceIntegrationTest, PublishesTamperAlertsAndMirroredInsightsToTheAlertsTopic) {
  // A real StopLogging record (Stratus Red Team, ../shared/datasets) amid the generated week.
  const fs::path stop_logging = fs::path(TRAILSIGHT_SHARED_DIR) / "datasets" /
                                "stratus-detonation-logs" /
                                "aws.defense-evasion.cloudtrail-stop.json";
  if (!fs::exists(stop_logging)) GTEST_SKIP() << "dataset not available: " << stop_logging;
  std::vector<std::string> messages = *records_;
  messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(messages.size() / 2),
                  Json::parse(ReadFile(stop_logging)).at(0).dump());
  Produce(Topic("in"), messages);
  const std::string state = (dir_ / (name_ + "-state")).string();
  RunUntilTheSnapshotCovers(state, messages.size());

  // Snapshots wait for the alerts topic too, so everything is there once the offsets are.
  std::vector<std::string> rules;
  std::set<std::string> mirrored;
  for (const std::string& line : Consume(Topic("alerts"))) {
    const Json finding = Json::parse(line);
    EXPECT_EQ(finding["class_uid"], 2004) << line;
    const std::string analytic = finding["finding_info"]["analytic"]["name"];
    if (analytic == "ApiCallRateInsight") {
      mirrored.insert(finding["finding_info"]["uid"].get<std::string>());
    } else {
      rules.push_back(analytic);
    }
  }
  EXPECT_EQ(rules, std::vector<std::string>{"cloudtrail.StopLogging"});
  std::set<std::string> shared_ids;
  for (const std::string& line : *expected_) {
    shared_ids.insert(Json::parse(line)["sharedEventID"].get<std::string>());
  }
  EXPECT_EQ(mirrored, shared_ids);  // the Start and End of the one insight, correlated
}

TEST_F(ServiceIntegrationTest, ASecondServiceOnAStateFolderInUseRefusesToStart) {
  const std::string state = (dir_ / (name_ + "-state")).string();
  Service first(Config(state), dir_ / (name_ + "-first.log"));
  ASSERT_TRUE(WaitFor([&] { return first.Log().find("run: consuming") != std::string::npos; }, 60s))
      << first.Log();

  // Run to the end: a second service that did start would serve until `timeout` stops it.
  const fs::path second_log = dir_ / (name_ + "-second.log");
  const int status =
      Shell(fmt::format("timeout 60 '{}' run --config '{}' > '{}' 2>&1", kBinary.string(),
                        Config(state, "-second").string(), second_log.string()));

  const std::string log = ReadFile(second_log);
  EXPECT_NE(status, 0) << log;
  EXPECT_NE(status, 124) << "the second service was still running after 60 s:\n" << log;
  EXPECT_NE(log.find(fmt::format("state folder {} is in use by pid ", state)), std::string::npos)
      << log;
  EXPECT_NE(log.find("one instance per state folder"), std::string::npos) << log;
  EXPECT_EQ(first.Stop(), 0) << first.Log();  // the first serves on, undisturbed
}

}  // namespace

namespace {

TEST_F(ServiceIntegrationTest, ReloadRefusesABadFileAndAppliesAGoodOneKeepingBaselines) {
  const std::vector<std::string> before = Between("2026-11-02", "2026-11-07T14:00:00Z");
  const std::vector<std::string> after = Between("2026-11-07T14:00:00Z", "2026-12");
  const std::string state = (dir_ / (name_ + "-state")).string();
  const fs::path config = Config(state);
  const std::string original = ReadFile(config);
  Produce(Topic("in"), before);
  Service service(config, dir_ / (name_ + ".log"));
  ASSERT_TRUE(WaitFor([&] { return Checkpointed(state, before.size()); }, 120s)) << service.Log();

  // A bad file is refused with its line, and the service goes on with what it had.
  std::ofstream(config) << original << "detection:\n  sensitivity: loud\n";
  service.Signal(SIGHUP);
  ASSERT_TRUE(
      WaitFor([&] { return service.Log().find("reload refused") != std::string::npos; }, 30s))
      << service.Log();
  EXPECT_NE(service.Log().find("sensitivity"), std::string::npos);

  // A good one applies from the next record: the burst's Start now needs 6 calls, not 5.
  std::ofstream(config) << original << "detection:\n  min_calls: 6\n";
  service.Signal(SIGHUP);
  ASSERT_TRUE(
      WaitFor([&] { return service.Log().find("reloaded detection") != std::string::npos; }, 30s))
      << service.Log();
  Produce(Topic("in"), after);
  ASSERT_TRUE(WaitFor([&] { return Consume(Topic("insights")).size() >= 2; }, 120s))
      << service.Log();
  EXPECT_EQ(service.Stop(), 0) << service.Log();

  // Still warm (a restarted baseline would need 24 hours before firing), and the new level.
  const std::vector<std::string> published = Consume(Topic("insights"));
  ASSERT_EQ(published.size(), 2u);
  const Json start = Json::parse(published[0]);
  EXPECT_EQ(start["insightDetails"]["state"], "Start");
  EXPECT_EQ(start["insightDetails"]["eventName"], "TerminateInstances");
  EXPECT_EQ(start["insightDetails"]["insightContext"]["statistics"]["insight"]["average"], 6.0);
}

}  // namespace
