#pragma once

// The fixture of the service's scenarios on a topic of several partitions
// (partitions_integration_test.cc, partition_moves_integration_test.cc): the records, replay's
// findings for them, and the means to produce, run instances and compare.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/time.h"
#include "tests/integration/service_process.h"
#include "tests/support/files.h"

namespace trailsight::partitions_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;
using trailsight::test_support::Brokers;
using trailsight::test_support::CreateTopic;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;
using trailsight::test_support::Shell;
using trailsight::test_support::SnapshotOffsets;
using trailsight::test_support::WaitFor;
using trailsight::test_support::WriteLines;
using Service = trailsight::test_support::ServiceProcess;

const fs::path kBinary = TRAILSIGHT_BINARY;
constexpr int kPartitions = 6;
// The detector's allowed lateness: the service's config leaves it at its default.
constexpr std::chrono::seconds kAllowedLateness{300};
// An account of the moves scenarios that writes in a region it never used.
constexpr std::string_view kNewRegionAccount = "999900001111";

inline std::string Day(std::chrono::sys_days day) {
  const std::chrono::year_month_day date(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

inline std::string TimeOf(const std::string& record) {
  const std::size_t at = record.find("\"eventTime\":\"");
  return record.substr(at + 13, 20);
}

// An insight with its insight-side attributions and statistics removed: the part that does
// not depend on the order records arrived in (DESIGN.md, "Early firing").
inline Json OrderFree(Json insight) {
  Json& context = insight["insightDetails"]["insightContext"];
  if (insight["insightDetails"]["state"] == "Start") {
    context["statistics"].erase("insight");
    for (Json& attribution : context["attributions"]) attribution.erase("insight");
  }
  return insight;
}

class PartitionsIntegrationTest : public ::testing::Test {
 protected:
  // Four days and today until three minutes ago (UTC) of 6 accounts in 2 regions each, with
  // a burst of one write API in each (account, region) yesterday; sorted by time, as replay
  // reads it. The findings and alerts `trailsight replay` gives for it are the reference.
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-partitions-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const fs::path generated = dir_ / "generated.jsonl";
    ASSERT_EQ(
        Shell(fmt::format("'{}' generate --format jsonl --out '{}' --seed 3 --days 5 "
                          "--start {} --accounts 6 --volume 0.3 2>/dev/null",
                          kBinary.string(), generated.string(), Day(today - std::chrono::days{4}))),
        0);
    records_ = new std::vector<std::string>(ReadLines(generated));
    // Nothing from the future: the service dead-letters records beyond the wall clock.
    const std::string until = trailsight::common::FormatUtcTimestamp(
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
        std::chrono::minutes{3});
    std::erase_if(*records_, [&](const std::string& record) { return TimeOf(record) > until; });
    AddBursts(Day(today - std::chrono::days{1}));
    std::stable_sort(
        records_->begin(), records_->end(),
        [](const std::string& a, const std::string& b) { return TimeOf(a) < TimeOf(b); });
    WriteLines(dir_ / "all.jsonl", *records_);
    ASSERT_EQ(Shell(fmt::format("'{}' replay '{}' --insights-out '{}' --alerts-out '{}' "
                                "--dead-letter-out /dev/null 2> '{}'",
                                kBinary.string(), (dir_ / "all.jsonl").string(),
                                (dir_ / "insights.jsonl").string(),
                                (dir_ / "alerts.jsonl").string(), (dir_ / "replay.log").string())),
              0);
    expected_ = new std::vector<std::string>(ReadLines(dir_ / "insights.jsonl"));
    expected_alerts_ = new std::vector<std::string>(ReadLines(dir_ / "alerts.jsonl"));
    ASSERT_GE(expected_->size(), 2 * 12u) << "a Start and an End for each burst";
    ASSERT_NE(ReadFile(dir_ / "replay.log").find(" 0 late dropped"), std::string::npos);
  }
  static void TearDownTestSuite() {
    delete records_;
    delete expected_;
    delete expected_alerts_;
    if (::testing::UnitTest::GetInstance()->Passed()) {
      fs::remove_all(dir_);
    } else {
      std::printf("the services' logs and state are kept in %s\n", dir_.c_str());
    }
  }

  // 60 calls of its rarest write API within three minutes, at a different hour of `day` for
  // each (account, region).
  static void AddBursts(const std::string& day) {
    const std::vector<std::string> bursts = Bursts(*records_, "0", [&](int pair, int call) {
      return fmt::format("{}T{:02}:{:02}:{:02}Z", day, 2 + pair, 10 + call / 20, (call * 3) % 60);
    });
    records_->insert(records_->end(), bursts.begin(), bursts.end());
  }

  // For each (account, region) of `records` (the n-th in order, `pair`), 60 calls of its
  // rarest write API, the call-th at time_of(pair, call); eventIDs start with `id_tag`.
  static std::vector<std::string> Bursts(
      const std::vector<std::string>& records, std::string_view id_tag,
      const std::function<std::string(int pair, int call)>& time_of) {
    struct Api {
      std::size_t calls = 0;
      Json record;
    };
    std::map<std::pair<std::string, std::string>, std::map<std::string, Api>> apis;
    for (const std::string& line : records) {
      if (line.find("\"readOnly\":false") == std::string::npos ||
          line.find("\"errorCode\"") != std::string::npos) {
        continue;
      }
      Json record = Json::parse(line);
      Api& api =
          apis[{record["recipientAccountId"], record["awsRegion"]}]
              [record["eventSource"].get<std::string>() + record["eventName"].get<std::string>()];
      if (api.calls++ == 0) api.record = std::move(record);
    }
    EXPECT_GE(apis.size(), 12u) << "12 (account, region) pairs or more";
    std::vector<std::string> bursts;
    int pair = 0;
    for (auto& [key, by_name] : apis) {
      auto rarest = std::min_element(
          by_name.begin(), by_name.end(),
          [](const auto& x, const auto& y) { return x.second.calls < y.second.calls; });
      Json record = rarest->second.record;
      for (int call = 0; call < 60; ++call) {
        record["eventTime"] = time_of(pair, call);
        record["eventID"] = fmt::format("{:0>8}-0000-4000-8000-{:06}{:06}", id_tag, 2 + pair, call);
        bursts.push_back(record.dump());
      }
      ++pair;
    }
    return bursts;
  }

  void SetUp() override {
    ASSERT_FALSE(Brokers().empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                       "scripts/kafka start (scripts/test does)";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = fmt::format("{}-{}-{}", info->name(), ::getpid(), std::rand());
    ASSERT_TRUE(CreateTopic(Brokers(), Topic("in"), kPartitions).ok());
  }

  std::string Topic(std::string_view role) const { return fmt::format("{}-{}", name_, role); }

  // The records as an unkeyed producer spreads them: each to a partition drawn at random.
  static std::vector<std::vector<std::string>> Spread(const std::vector<std::string>& records) {
    std::vector<std::vector<std::string>> partitions(kPartitions);
    std::mt19937 random(11);
    std::uniform_int_distribution<int> pick(0, kPartitions - 1);
    for (const std::string& record : records) partitions[pick(random)].push_back(record);
    return partitions;
  }
  std::vector<std::vector<std::string>> Spread() const { return Spread(*records_); }

  // `records` as a producer keyed by (account, region) sends them: all of a pair's records on
  // one partition, two pairs per partition (`partition_of` remembers which, across calls).
  static std::vector<std::vector<std::string>> Keyed(const std::vector<std::string>& records,
                                                     std::map<std::string, int>& partition_of) {
    std::vector<std::vector<std::string>> partitions(kPartitions);
    for (const std::string& record : records) {
      const Json parsed = Json::parse(record);
      const std::string pair = parsed["recipientAccountId"].get<std::string>() + "/" +
                               parsed["awsRegion"].get<std::string>();
      const auto [it, added] =
          partition_of.emplace(pair, static_cast<int>(partition_of.size()) % kPartitions);
      partitions[it->second].push_back(record);
    }
    return partitions;
  }
  std::vector<std::vector<std::string>> Keyed() const {
    std::map<std::string, int> partition_of;
    return Keyed(*records_, partition_of);
  }

  void Produce(int partition, const std::vector<std::string>& messages) {
    const fs::path file = dir_ / fmt::format("{}-{}.messages", name_, partition);
    WriteLines(file, messages);
    ASSERT_EQ(Shell(fmt::format("kcat -P -b '{}' -t '{}' -p {} -l '{}'", Brokers(), Topic("in"),
                                partition, file.string())),
              0);
  }

  // The records of `topic` a consumer of `isolation` (read_committed or read_uncommitted) reads.
  static std::size_t Records(const std::string& topic, const std::string& isolation) {
    return static_cast<std::size_t>(
        trailsight::test_support::ReadTopicEnds(Brokers(), topic, isolation).records);
  }
  static std::size_t CommittedRecords(const std::string& topic) {
    return Records(topic, "read_committed");
  }

  std::vector<std::string> Consume(const std::string& topic) {
    const fs::path out = dir_ / (topic + ".consumed");
    Shell(fmt::format("kcat -C -b '{}' -t '{}' -e -q -f '%s\\n' > '{}' 2>/dev/null", Brokers(),
                      topic, out.string()));
    return ReadLines(out);
  }

  // A service config with `assignment` as partition.assignment.strategy; the partition idle
  // timeout (30 s) and the wall-clock idle tick (10 s) are left at their defaults.
  // With `keyed`, the input is declared keyed by account and region.
  // A killed instance leaves the group after 6 s (session.timeout.ms, the broker's least).
  // `more_properties`: further kafka.properties, as ", name: value" pairs.
  fs::path Config(const fs::path& state_dir, std::string_view assignment, bool keyed = false,
                  std::string_view more_properties = "") {
    const fs::path path = state_dir.string() + ".yaml";
    std::ofstream(path) << fmt::format(
        "kafka:\n  brokers: {}\n  group_id: {}\n  topics: [{}]\n  insights_topic: {}\n"
        "  alerts_topic: {}\n  dead_letter_topic: {}\n  input_keyed_by_account_region: {}\n"
        "  properties: {{partition.assignment.strategy: {}, session.timeout.ms: 6000{}}}\n"
        "state:\n  dir: {}\n  snapshot_interval_seconds: 1\n"
        "input:\n  dead_letter_path: {}\n"
        "metrics:\n  bind: 127.0.0.1:0\n",
        Brokers(), Topic("group"), Topic("in"), Topic("insights"), Topic("alerts"), Topic("dead"),
        keyed, assignment, more_properties, state_dir.string(),
        (state_dir / "dead-letters.jsonl").string());
    return path;
  }

  // The metrics endpoint of `service`, once it logged its port.
  static std::optional<httplib::Client> MetricsOf(const Service& service) {
    int port = 0;
    const bool serving = WaitFor(
        [&] {
          std::smatch match;
          const std::string log = service.Log();
          if (!std::regex_search(
                  log, match, std::regex(R"(serving /metrics .* on http://127\.0\.0\.1:(\d+))"))) {
            return false;
          }
          port = std::stoi(match[1]);
          return true;
        },
        60s);
    if (!serving) return std::nullopt;
    std::optional<httplib::Client> client(std::in_place, "127.0.0.1", port);
    client->set_connection_timeout(5);
    client->set_read_timeout(5);
    return client;
  }

  // Each sample of `name` (all its label sets) in a scrape; NaN for a failed scrape.
  static std::vector<double> Samples(httplib::Client& client, const std::string& name) {
    httplib::Result response = client.Get("/metrics");
    if (!response || response->status != 200) return {std::nan("")};
    std::vector<double> values;
    std::istringstream lines(response->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(name + " ") || line.starts_with(name + "{")) {
        values.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
      }
    }
    return values;
  }

  // `like` made a successful call of `event_name` of `event_source` with `parameters`, at
  // `time`; its eventID starts with `id_tag`.
  static std::string Crafted(const std::string& like, std::string_view event_source,
                             std::string_view event_name, const Json& parameters,
                             const std::string& time, std::string_view id_tag) {
    Json record = Json::parse(like);
    record["eventSource"] = event_source;
    record["eventName"] = event_name;
    record["requestParameters"] = parameters;
    record["readOnly"] = false;
    record.erase("errorCode");
    record.erase("errorMessage");
    record["eventTime"] = time;
    record["eventID"] = fmt::format("{:0>8}-0000-4000-8000-000000000000", id_tag);
    return record.dump();
  }

  // The one sample of `name` in a scrape; NaN for none, several or a failed scrape.
  static double Sample(httplib::Client& client, const std::string& name) {
    const std::vector<double> values = Samples(client, name);
    return values.size() == 1 ? values[0] : std::nan("");
  }

  // Waits up to `timeout` for `service` (with its operations endpoint `metrics`) to re-key
  // and count all `records`, then stops it. Returns whether it did both; expects no record
  // dropped as late on any partition, of the input or of the repartition topic, and a
  // summary that says so.
  static bool CountsAllAndDropsNoneLate(Service& service, httplib::Client& metrics,
                                        std::size_t records, std::chrono::seconds timeout) {
    const auto all = static_cast<double>(records);
    const bool counted = WaitFor(
        [&] {
          return Sample(metrics, "trailsight_rekeyed_records_total") == all &&
                 Sample(metrics, "trailsight_events_in_total") == all;
        },
        timeout);
    EXPECT_TRUE(counted) << service.Log();
    EXPECT_EQ(Samples(metrics, "trailsight_consumer_partition_late_events"),
              std::vector<double>(2 * kPartitions, 0.0))
        << "late drops per partition, of the input and of the repartition topic";
    const int stopped = service.Stop();
    EXPECT_EQ(stopped, 0) << service.Log();
    EXPECT_NE(service.Log().find(fmt::format("run: {} events, 0 late dropped", records)),
              std::string::npos)
        << service.Log();
    return counted && stopped == 0;
  }

  // The service's findings match replay's: the same records by eventID; Ends identical;
  // Starts identical but for what depends on arrival order. The alerts topic holds replay's
  // alerts (the OCSF mirror of each insight), no more. After a kill (`killed`), a record
  // published after the last checkpoint may be published again, identical, by the next owner
  // (at least once, deduplicated by eventID downstream).
  // Replay's end of input closes every minute up to its last record; the service closes a
  // minute once its (account, region) is the allowed lateness past it, or the wall clock is:
  // an End in the last minutes before `latest` (the newest record's time), and its mirror,
  // may be in either or both, and is not compared.
  void ExpectReplaysFindings(bool killed = false) {
    ExpectFindings(*expected_, *expected_alerts_, killed, TimeOf(records_->back()));
  }
  void ExpectFindings(const std::vector<std::string>& expected_insights,
                      const std::vector<std::string>& expected_ocsf, bool killed,
                      const std::string& latest) {
    const std::string ends_from = trailsight::common::FormatUtcTimestamp(
        std::chrono::floor<std::chrono::minutes>(*trailsight::common::ParseUtcTimestamp(latest) -
                                                 kAllowedLateness - std::chrono::minutes{1}));
    std::set<std::string> open_ends;  // "sharedEventID" 3: their mirrors
    const auto still_open = [&](const Json& record) {
      if (record["insightDetails"]["state"] != "End" ||
          record["eventTime"].get<std::string>() < ends_from) {
        return false;
      }
      open_ends.insert(fmt::format("{} 3", record["sharedEventID"].dump()));
      return true;
    };
    std::map<std::string, Json> published, expected;
    for (const std::string& line : Consume(Topic("insights"))) {
      Json record = Json::parse(line);
      if (still_open(record)) continue;
      const std::string id = record["eventID"];
      Json order_free = OrderFree(std::move(record));
      const auto [it, added] = published.emplace(id, order_free);
      EXPECT_TRUE(added || (killed && it->second == order_free)) << "twice: " << id;
    }
    for (const std::string& line : expected_insights) {
      Json record = Json::parse(line);
      if (still_open(record)) continue;
      const std::string id = record["eventID"];
      expected.emplace(id, OrderFree(std::move(record)));
    }
    EXPECT_EQ(published.size(), expected.size());
    for (const auto& [id, record] : expected) {
      auto it = published.find(id);
      if (it == published.end()) {
        ADD_FAILURE() << "missing: " << record.dump();
        continue;
      }
      EXPECT_EQ(it->second, record) << id;
    }
    std::multiset<std::string> alerts, expected_alerts;
    for (const std::string& line : Consume(Topic("alerts"))) {
      const Json alert = Json::parse(line);
      alerts.insert(
          fmt::format("{} {}", alert["finding_info"]["uid"].dump(), alert["activity_id"].dump()));
    }
    for (const std::string& line : expected_ocsf) {
      const Json alert = Json::parse(line);
      expected_alerts.insert(
          fmt::format("{} {}", alert["finding_info"]["uid"].dump(), alert["activity_id"].dump()));
    }
    for (const std::string& open : open_ends) {
      alerts.erase(open);
      expected_alerts.erase(open);
    }
    if (killed) {
      EXPECT_EQ(std::set<std::string>(alerts.begin(), alerts.end()),
                std::set<std::string>(expected_alerts.begin(), expected_alerts.end()));
    } else {
      EXPECT_EQ(alerts, expected_alerts);
    }
  }

  // Five partitions are produced and read first; the sixth's records, spread over the same
  // four days, are produced only once the service holds the others' records: they are days
  // behind what it has read. Read in order of arrival they would all be late.
  void ReadAPartitionDaysBehindTheOthers(std::string_view assignment) {
    const std::vector<std::vector<std::string>> partitions = Spread();
    for (int partition = 0; partition + 1 < kPartitions; ++partition) {
      Produce(partition, partitions[partition]);
    }
    const fs::path state = dir_ / (name_ + "-state");
    Service service(Config(state, assignment), dir_ / (name_ + ".log"));
    std::optional<httplib::Client> metrics = MetricsOf(service);
    ASSERT_TRUE(metrics.has_value()) << service.Log();
    ASSERT_TRUE(WaitFor(
        [&] {
          const std::vector<double> held = Samples(*metrics, "trailsight_consumer_held_records");
          return !held.empty() && held[0] > 0;
        },
        60s))
        << service.Log();
    EXPECT_EQ(Samples(*metrics, "trailsight_events_in_total"), std::vector<double>{0})
        << "nothing is handed over while an empty partition may still bring older records";

    Produce(kPartitions - 1, partitions[kPartitions - 1]);
    ASSERT_TRUE(CountsAllAndDropsNoneLate(service, *metrics, records_->size(), 180s));
    ExpectReplaysFindings();
  }

  // The keyed scenarios of the tests below, with `assignment` as partition.assignment.strategy.
  void MoveKeyedPartitionsAway(std::string_view assignment);
  void MovePartitionsToEmptyDisks(std::string_view assignment, bool keyed);

  static inline fs::path dir_;
  static inline std::vector<std::string>* records_ = nullptr;
  static inline std::vector<std::string>* expected_ = nullptr;
  static inline std::vector<std::string>* expected_alerts_ = nullptr;
  std::string name_;
};

}  // namespace trailsight::partitions_test
