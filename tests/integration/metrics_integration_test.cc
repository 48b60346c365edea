// `trailsight run`'s operations endpoint on a real broker (KAFKA_BROKERS): /metrics counts
// the traffic sent, /healthz turns ok once partitions are assigned, the logs are JSON lines
// when asked, and every metric the packaged alert rules and dashboard name is served.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
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
using trailsight::test_support::MetricsPort;
using trailsight::test_support::ReadFile;
using trailsight::test_support::Shell;
using trailsight::test_support::WaitFor;
using Service = trailsight::test_support::ServiceProcess;
using trailsight::test_support::ReadLines;
using trailsight::test_support::WriteLines;

const fs::path kBinary = TRAILSIGHT_BINARY;
// The generated week's burst (TerminateInstances) starts at 14:07 on its sixth day; the
// traffic is sent in two parts split before it.
constexpr std::string_view kSplit = "2026-11-07T14:00:00Z";

// The value of a sample in exposition text (its name with any labels, as rendered); nullopt
// when absent.
std::optional<double> Sample(const std::string& text, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + prefix.size()));
}

class MetricsIntegrationTest : public ::testing::Test {
 protected:
  // A generated week, and the findings `trailsight replay` gives for it.
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-metrics-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const fs::path week = dir_ / "week.jsonl";
    ASSERT_EQ(Shell(fmt::format("'{}' generate --format jsonl --out '{}' --seed 1 --days 7 "
                                "2>/dev/null",
                                kBinary.string(), week.string())),
              0);
    records_ = new std::vector<std::string>(ReadLines(week));
    ASSERT_EQ(
        Shell(fmt::format("'{}' replay '{}' --insights-out '{}' --dead-letter-out /dev/null "
                          "2>/dev/null",
                          kBinary.string(), week.string(), (dir_ / "expected.jsonl").string())),
        0);
    expected_findings_ = ReadLines(dir_ / "expected.jsonl").size();
  }
  static void TearDownTestSuite() {
    delete records_;
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_FALSE(Brokers().empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                       "scripts/kafka start (scripts/test does)";
    name_ = fmt::format("metrics-{}-{}", ::getpid(), std::rand());
    // The broker, like production ones, does not create a topic on the first produce to it.
    const trailsight::common::Status created =
        trailsight::test_support::CreateTopic(Brokers(), Topic("in"));
    ASSERT_TRUE(created) << created.error().message;
  }

  std::string Topic(std::string_view role) const { return fmt::format("{}-{}", name_, role); }

  void Produce(const std::vector<std::string>& messages) {
    const fs::path file = dir_ / (name_ + ".messages");
    WriteLines(file, messages);
    ASSERT_EQ(Shell(fmt::format("kcat -P -b '{}' -t '{}' -l '{}'", Brokers(), Topic("in"),
                                file.string())),
              0);
  }

  // The service's config; dead letters go to `dead_letter_path`, by default a file in the
  // state folder.
  fs::path Config(std::string dead_letter_path = "") const {
    const fs::path path = dir_ / (name_ + ".yaml");
    const std::string state = (dir_ / (name_ + "-state")).string();
    if (dead_letter_path.empty()) dead_letter_path = state + "/dead-letters.jsonl";
    std::ofstream(path) << fmt::format(
        "kafka:\n  brokers: {}\n  group_id: {}\n  topics: [{}]\n  insights_topic: {}\n"
        "  dead_letter_topic: {}\n  idle_after_seconds: 3600\n"
        "state:\n  dir: {}\n  snapshot_interval_seconds: 1\n"
        "input:\n  dead_letter_path: {}\n"
        // The flag must win over this.
        "metrics:\n  enabled: false\n  bind: 127.0.0.1:1\n",
        Brokers(), Topic("group"), Topic("in"), Topic("insights"), Topic("dead"), state,
        dead_letter_path);
    return path;
  }

  static inline fs::path dir_;
  static inline std::vector<std::string>* records_ = nullptr;
  static inline std::size_t expected_findings_ = 0;
  std::string name_;
};

TEST_F(MetricsIntegrationTest, CountersFollowTheTrafficSentAndLagDrainsToZero) {
  std::vector<std::string> before, after;
  for (const std::string& record : *records_) {
    const std::size_t at = record.find("\"eventTime\":\"");
    (std::string_view(record).substr(at + 13, 20) < kSplit ? before : after).push_back(record);
  }
  ASSERT_GT(expected_findings_, 0u);
  const std::vector<std::string> bad = {"this is not json", R"({"Records": 5})", "[1, 2, 3]"};
  Produce(before);
  Service service(Config(), dir_ / (name_ + ".log"),
                  {"--metrics-bind", "127.0.0.1:0", "--log-format", "json"});

  const int port = MetricsPort(service);
  ASSERT_NE(port, 0) << service.Log();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  std::string metrics;
  const auto scrape = [&](const std::string& name) -> double {
    httplib::Result response = client.Get("/metrics");
    if (!response || response->status != 200) return std::nan("");
    metrics = response->body;
    return Sample(metrics, name).value_or(std::nan(""));
  };
  const auto scrape_until = [&](const std::string& name, double value) {
    return WaitFor([&] { return scrape(name) == value; }, 120s);
  };

  // The first part, before the burst: every record counted, no finding yet, caught up.
  EXPECT_TRUE(scrape_until("trailsight_events_in_total", static_cast<double>(before.size())))
      << metrics << service.Log();
  EXPECT_TRUE(scrape_until("trailsight_consumer_lag", 0)) << metrics;
  const std::string partition_lag =
      fmt::format("trailsight_consumer_partition_lag{{topic=\"{}\",partition=\"0\"}}", Topic("in"));
  EXPECT_EQ(scrape(partition_lag), 0) << metrics;
  EXPECT_EQ(scrape("trailsight_findings_published_total"), 0) << metrics;
  EXPECT_EQ(scrape("trailsight_parse_errors_total"), 0) << metrics;
  EXPECT_GT(scrape("trailsight_active_keys"), 0) << metrics;
  EXPECT_EQ(scrape("trailsight_assigned_partitions"), 1) << metrics;
  httplib::Result health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(health->body, "ok\n");

  // The rest, with the burst and three unreadable messages.
  std::vector<std::string> rest = after;
  rest.insert(rest.begin() + static_cast<std::ptrdiff_t>(rest.size() / 2), bad.begin(), bad.end());
  Produce(rest);

  EXPECT_TRUE(scrape_until("trailsight_events_in_total", static_cast<double>(records_->size())))
      << metrics << service.Log();
  EXPECT_TRUE(scrape_until("trailsight_consumer_lag", 0)) << metrics;
  EXPECT_EQ(scrape("trailsight_messages_in_total"), static_cast<double>(records_->size() + 3))
      << metrics;
  EXPECT_EQ(scrape("trailsight_parse_errors_total"), 3) << metrics;
  EXPECT_TRUE(
      scrape_until("trailsight_findings_published_total", static_cast<double>(expected_findings_)))
      << metrics;
  EXPECT_TRUE(scrape_until("trailsight_findings_acknowledged_total",
                           static_cast<double>(expected_findings_)))
      << metrics;
  EXPECT_TRUE(WaitFor([&] { return scrape("trailsight_snapshots_total") >= 1; }, 30s)) << metrics;
  EXPECT_LT(scrape("trailsight_snapshot_age_seconds"), 30) << metrics;
  EXPECT_NE(metrics.find("trailsight_snapshot_capture_duration_seconds_count "), std::string::npos)
      << metrics;
  // A week of minutes closed for each account and region: thousands of timed closes.
  EXPECT_GT(scrape("trailsight_minute_close_duration_seconds_count"), 1000) << metrics;
  EXPECT_EQ(service.Stop(), 0) << service.Log();

  // --log-format json: every line the service wrote is one JSON object.
  const std::vector<std::string> lines = ReadLines(dir_ / (name_ + ".log"));
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    const Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(record.is_object()) << line;
    EXPECT_TRUE(record.contains("time") && record.contains("level") && record.contains("message") &&
                record.contains("logger"))
        << line;
  }
}

// The alert rules and the Grafana dashboard the .deb installs (packaging/) query the service by
// metric name; a renamed or removed metric would leave an alert that never fires and an empty
// panel. Every `trailsight_` name in them must be a series /metrics serves: a family's name, or
// a histogram's with _bucket, _sum or _count.
TEST_F(MetricsIntegrationTest, EveryMetricThePackageNamesIsServed) {
  const fs::path packaging = fs::path(TRAILSIGHT_SOURCE_DIR) / "packaging";
  std::set<std::string> used;
  const std::regex metric_name(R"(trailsight_[a-zA-Z0-9_:]+)");
  for (const fs::path& file : {packaging / "prometheus" / "trailsight-alerts.yml",
                               packaging / "grafana" / "trailsight-dashboard.json"}) {
    const std::string text = ReadFile(file);
    ASSERT_FALSE(text.empty()) << file;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), metric_name);
         it != std::sregex_iterator(); ++it) {
      used.insert(it->str());
    }
  }
  ASSERT_GE(used.size(), 20u) << "the rules and the dashboard name too few metrics to be read";

  Service service(Config(), dir_ / (name_ + ".log"), {"--metrics-bind", "127.0.0.1:0"});
  const int port = MetricsPort(service);
  ASSERT_NE(port, 0) << service.Log();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Result response = client.Get("/metrics");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;

  // Every family has its "# TYPE" line from the start, series or not.
  std::set<std::string> served;
  const std::regex type_line(R"(# TYPE (\S+) (\S+))");
  const std::string& text = response->body;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), type_line);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    served.insert(name);
    if ((*it)[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) served.insert(name + suffix);
    }
  }
  ASSERT_GE(served.size(), 40u) << text;
  for (const std::string& name : used) {
    EXPECT_TRUE(served.contains(name))
        << name << " is used by packaging/'s rules or dashboard but /metrics does not serve it";
  }
  EXPECT_EQ(service.Stop(), 0) << service.Log();
}

// A dead-letter file that takes no letter (a full disk): the letters the service could not
// write are counted as lost, though the dead-letter topic has them.
TEST_F(MetricsIntegrationTest, DeadLettersTheFileCannotTakeAreCountedAsLost) {
  Produce({records_->front(), "this is not json", "[1, 2, 3]"});
  Service service(Config("/dev/full"), dir_ / (name_ + ".log"), {"--metrics-bind", "127.0.0.1:0"});
  const int port = MetricsPort(service);
  ASSERT_NE(port, 0) << service.Log();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  std::string metrics;
  const auto scrape = [&](const std::string& name) -> double {
    httplib::Result response = client.Get("/metrics");
    if (!response || response->status != 200) return std::nan("");
    metrics = response->body;
    return Sample(metrics, name).value_or(std::nan(""));
  };

  EXPECT_TRUE(WaitFor([&] { return scrape("trailsight_parse_errors_total") == 2; }, 120s))
      << metrics << service.Log();
  EXPECT_TRUE(WaitFor([&] { return scrape("trailsight_dead_letters_lost_total") == 2; }, 10s))
      << metrics;
  EXPECT_NE(service.Log().find("No space left on device"), std::string::npos) << service.Log();
  EXPECT_EQ(service.Stop(), 0) << service.Log();
}

}  // namespace
