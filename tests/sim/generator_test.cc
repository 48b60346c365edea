// End-to-end tests of Generate(): files on disk, their names, their records, the labels.

#include "sim/generator.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace trailsight::sim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// A short, light scenario: two accounts, two regions, two days.
GeneratorOptions SmallOptions() {
  GeneratorOptions options;
  options.days = 2;
  options.accounts = 2;
  options.volume = 0.3;
  return options;
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("sim_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::string ReadGzip(const fs::path& path) {
  gzFile file = gzopen(path.string().c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  std::string out;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  gzclose(file);
  return out;
}

std::vector<json> ReadJsonLines(const fs::path& path) {
  std::vector<json> records;
  std::ifstream file(path);
  for (std::string line; std::getline(file, line);) records.push_back(json::parse(line));
  return records;
}

// Returns relative path -> bytes for every file under `root`.
std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> tree;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) tree[fs::relative(entry.path(), root).string()] = ReadFile(entry);
  }
  return tree;
}

common::Seconds Time(const json& record) {
  return *common::ParseUtcTimestamp(record["eventTime"].get<std::string>());
}

TEST(GeneratorTest, SameOptionsGiveIdenticalBytesAndAnotherSeedDoesNot) {
  const fs::path dir = FreshDir("determinism");
  GeneratorOptions options = SmallOptions();
  options.layout = GeneratorOptions::Layout::kJsonLines;
  ASSERT_TRUE(Generate(options, dir / "a.jsonl", dir / "a.labels"));
  ASSERT_TRUE(Generate(options, dir / "b.jsonl", dir / "b.labels"));
  options.seed = 2;
  ASSERT_TRUE(Generate(options, dir / "c.jsonl", dir / "c.labels"));
  options.seed = 1;
  options.layout = GeneratorOptions::Layout::kS3;
  ASSERT_TRUE(Generate(options, dir / "s3a", dir / "s3a.labels"));
  ASSERT_TRUE(Generate(options, dir / "s3b", dir / "s3b.labels"));

  EXPECT_EQ(ReadFile(dir / "a.jsonl"), ReadFile(dir / "b.jsonl"));
  EXPECT_EQ(ReadFile(dir / "a.labels"), ReadFile(dir / "b.labels"));
  EXPECT_NE(ReadFile(dir / "a.jsonl"), ReadFile(dir / "c.jsonl"));
  EXPECT_NE(ReadFile(dir / "a.labels"), ReadFile(dir / "c.labels"));  // other account ids
  EXPECT_TRUE(Tree(dir / "s3a") == Tree(dir / "s3b"));
}

TEST(GeneratorTest, WritesCloudTrailS3LayoutEveryFiveMinutesPerAccountAndRegion) {
  const fs::path dir = FreshDir("layout");
  const GeneratorOptions options = SmallOptions();
  const common::Result<GeneratorSummary> summary = Generate(options, dir / "out", dir / "labels");
  ASSERT_TRUE(summary) << summary.error().message;

  const std::regex name(
      R"(AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/)"
      R"((\d{12})_CloudTrail_([a-z0-9-]+)_((\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z)_[A-Za-z0-9]{16}\.json\.gz)");
  std::uint64_t files = 0, records = 0;
  std::set<std::pair<std::string, std::string>> streams;
  for (const auto& [path, bytes] : Tree(dir / "out")) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(path, m, name)) << path;
    EXPECT_EQ(m[1], m[6]) << path;
    EXPECT_EQ(m[2], m[7]) << path;
    EXPECT_EQ(m[3].str() + m[4].str() + m[5].str(), m[9].str() + m[10].str() + m[11].str());
    EXPECT_EQ(std::stoi(m[13]) % 5, 0) << path;
    const common::Seconds delivered =
        *common::ParseUtcTimestamp(m[9].str() + "-" + m[10].str() + "-" + m[11].str() + "T" +
                                   m[12].str() + ":" + m[13].str() + ":00Z");
    const json file = json::parse(ReadGzip(dir / "out" / path));
    ASSERT_TRUE(file.contains("Records")) << path;
    ASSERT_FALSE(file["Records"].empty()) << path;
    for (const json& record : file["Records"]) {
      EXPECT_EQ(record["recipientAccountId"], m[1].str());
      EXPECT_EQ(record["awsRegion"], m[2].str());
      EXPECT_LE(Time(record), delivered);               // written before delivery ...
      EXPECT_GT(Time(record), delivered - minutes{8});  // ... and not long before
    }
    streams.emplace(m[1], m[2]);
    records += file["Records"].size();
    ++files;
  }
  EXPECT_EQ(files, summary->files);
  EXPECT_EQ(records, summary->records);
  EXPECT_EQ(streams.size(), 4U);  // 2 accounts x 2 regions
  // About one file per stream and 5 minutes: 4 x 2 days x 288.
  EXPECT_GT(files, 4U * 2 * 288 * 9 / 10);
  EXPECT_LE(files, 4U * 2 * 288 + 4);
}

TEST(GeneratorTest, EveryRecordIsCloudTrailJsonWithTheRequiredFields) {
  const fs::path dir = FreshDir("fields");
  GeneratorOptions options = SmallOptions();
  options.layout = GeneratorOptions::Layout::kJsonLines;
  ASSERT_TRUE(Generate(options, dir / "out.jsonl", dir / "labels"));
  const std::vector<json> records = ReadJsonLines(dir / "out.jsonl");
  ASSERT_GT(records.size(), 10'000U);

  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex account_id(R"(\d{12})");
  std::set<std::string> sources, identity_types, event_ids;
  std::size_t errors = 0, data_events = 0, console = 0;
  for (const json& r : records) {
    ASSERT_EQ(r.value("eventVersion", ""), "1.09") << r;
    ASSERT_TRUE(common::ParseUtcTimestamp(r.value("eventTime", ""))) << r;
    const std::string source = r.value("eventSource", "");
    ASSERT_TRUE(source.ends_with(".amazonaws.com")) << r;
    ASSERT_FALSE(r.value("eventName", "").empty()) << r;
    ASSERT_FALSE(r.value("awsRegion", "").empty()) << r;
    ASSERT_FALSE(r.value("sourceIPAddress", "").empty()) << r;
    ASSERT_FALSE(r.value("userAgent", "").empty()) << r;
    ASSERT_TRUE(r.contains("requestParameters") && r.contains("responseElements")) << r;
    ASSERT_TRUE(r["readOnly"].is_boolean() && r["managementEvent"].is_boolean()) << r;
    ASSERT_EQ(r.value("eventType", ""), "AwsApiCall") << r;
    ASSERT_TRUE(std::regex_match(r.value("eventID", ""), uuid_v4)) << r;
    ASSERT_FALSE(r.value("requestID", "").empty()) << r;
    ASSERT_TRUE(std::regex_match(r.value("recipientAccountId", ""), account_id)) << r;
    const bool management = r["managementEvent"].get<bool>();
    ASSERT_EQ(r.value("eventCategory", ""), management ? "Management" : "Data") << r;
    const json& identity = r["userIdentity"];
    const std::string type = identity.value("type", "");
    if (type == "AssumedRole") {
      ASSERT_NE(identity.value("arn", "").find(":assumed-role/"), std::string::npos) << r;
      ASSERT_EQ(identity["sessionContext"]["sessionIssuer"].value("type", ""), "Role") << r;
      ASSERT_EQ(identity.value("accountId", ""), r["recipientAccountId"]) << r;
    } else if (type == "IAMUser") {
      ASSERT_TRUE(identity.value("accessKeyId", "").starts_with("AKIA")) << r;
    } else {
      ASSERT_EQ(type, "AWSService") << r;
      ASSERT_EQ(identity.value("invokedBy", ""), r["sourceIPAddress"]) << r;
    }
    if (r.contains("errorCode")) {
      ++errors;
      ASSERT_FALSE(r.value("errorMessage", "").empty()) << r;
      ASSERT_TRUE(r["responseElements"].is_null()) << r;
    }
    if (!management) {
      ++data_events;
      ASSERT_TRUE(r["resources"].is_array()) << r;
    }
    if (r.contains("sessionCredentialFromConsole")) ++console;
    sources.insert(source);
    identity_types.insert(type);
    event_ids.insert(r["eventID"].get<std::string>());
  }
  EXPECT_EQ(event_ids.size(), records.size());  // unique
  EXPECT_GE(sources.size(), 15U);
  EXPECT_EQ(identity_types, (std::set<std::string>{"AWSService", "AssumedRole", "IAMUser"}));
  const double error_share = static_cast<double>(errors) / static_cast<double>(records.size());
  EXPECT_GT(error_share, 0.002);
  EXPECT_LT(error_share, 0.05);
  EXPECT_GT(data_events, records.size() / 50);
  EXPECT_GT(console, 0U);
}

TEST(GeneratorTest, LabelsDescribeEachIncident) {
  const fs::path dir = FreshDir("labels");
  GeneratorOptions options = SmallOptions();
  options.layout = GeneratorOptions::Layout::kJsonLines;
  options.incidents = DefaultIncidents(options);
  Incident second = options.incidents.front();
  second.id = "role-policy-burst";
  second.account = AccountId(options.seed, 1);
  second.region = "eu-west-1";
  second.event_source = "iam.amazonaws.com";
  second.event_name = "CreateAccessKey";  // not in the catalog: added on the fly
  second.start = common::Seconds{options.start + std::chrono::hours{20}};
  second.duration = minutes{10};
  second.principal_arn = "arn:aws:sts::" + second.account + ":assumed-role/Intruder/x";
  options.incidents.push_back(second);

  ASSERT_TRUE(Generate(options, dir / "out.jsonl", dir / "labels.jsonl"));
  const std::vector<json> labels = ReadJsonLines(dir / "labels.jsonl");

  ASSERT_EQ(labels.size(), 2U);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Incident& incident = options.incidents[i];
    EXPECT_EQ(labels[i]["id"], incident.id);
    EXPECT_EQ(labels[i]["kind"], "burst");
    EXPECT_EQ(labels[i]["insightType"], "ApiCallRateInsight");
    EXPECT_EQ(labels[i]["account"], incident.account);
    EXPECT_EQ(labels[i]["region"], incident.region);
    EXPECT_EQ(labels[i]["eventSource"], incident.event_source);
    EXPECT_EQ(labels[i]["eventName"], incident.event_name);
    EXPECT_EQ(labels[i]["start"], common::FormatUtcTimestamp(incident.start));
    EXPECT_EQ(labels[i]["end"], common::FormatUtcTimestamp(incident.start + incident.duration));
    EXPECT_EQ(labels[i]["principal"], incident.principal_arn);
  }
  EXPECT_EQ(labels[0]["start"], "2026-11-03T14:07:00Z");  // last day of a 2-day run
  EXPECT_EQ(labels[0]["end"], "2026-11-03T14:13:00Z");
  std::size_t second_calls = 0;
  for (const json& r : ReadJsonLines(dir / "out.jsonl")) {
    if (r["eventName"] == "CreateAccessKey") {
      ++second_calls;
      EXPECT_EQ(r["readOnly"], false);
      EXPECT_EQ(r["userIdentity"]["arn"], second.principal_arn);
      EXPECT_EQ(r["awsRegion"], "eu-west-1");
    }
  }
  EXPECT_NEAR(static_cast<double>(second_calls), 400.0, 80.0);
}

TEST(GeneratorTest, DefaultIncidentIsABurstByANewPrincipal) {
  const fs::path dir = FreshDir("incident");
  GeneratorOptions options = SmallOptions();
  options.layout = GeneratorOptions::Layout::kJsonLines;
  const Incident incident = DefaultIncidents(options).front();
  ASSERT_TRUE(Generate(options, dir / "out.jsonl", dir / "labels"));

  std::size_t inside = 0, outside = 0, background_terminations = 0;
  for (const json& r : ReadJsonLines(dir / "out.jsonl")) {
    const bool by_intruder = r["userIdentity"].value("arn", "") == incident.principal_arn;
    if (!by_intruder) {
      background_terminations += r["eventName"] == "TerminateInstances" ? 1 : 0;
      continue;
    }
    const common::Seconds time = Time(r);
    const bool in_window = time >= incident.start && time < incident.start + incident.duration;
    (in_window ? inside : outside) += 1;
    EXPECT_EQ(r["eventName"], "TerminateInstances");
    EXPECT_EQ(r["recipientAccountId"], incident.account);
    EXPECT_EQ(r["awsRegion"], incident.region);
    EXPECT_EQ(r["userAgent"], incident.user_agent);
  }
  EXPECT_NEAR(static_cast<double>(inside), 40.0 * 6, 45.0);
  EXPECT_EQ(outside, 0U);
  EXPECT_LT(background_terminations, 30U);  // terminations are rare otherwise
}

TEST(GeneratorTest, EventTimeDisorderInDeliveryOrderStaysUnderThreeMinutes) {
  const fs::path dir = FreshDir("disorder");
  GeneratorOptions options = SmallOptions();
  options.layout = GeneratorOptions::Layout::kJsonLines;
  ASSERT_TRUE(Generate(options, dir / "out.jsonl", dir / "labels"));

  std::map<std::pair<std::string, std::string>, common::Seconds> newest;
  seconds worst{0};
  std::size_t out_of_order = 0;
  for (const json& r : ReadJsonLines(dir / "out.jsonl")) {
    const auto key = std::make_pair(r["recipientAccountId"].get<std::string>(),
                                    r["awsRegion"].get<std::string>());
    const common::Seconds time = Time(r);
    auto [it, inserted] = newest.try_emplace(key, time);
    if (time < it->second) {
      ++out_of_order;
      worst = std::max(worst, it->second - time);
    }
    it->second = std::max(it->second, time);
  }
  EXPECT_LT(worst, minutes{3});
  EXPECT_GT(worst, seconds{30});  // disorder exists: files are not sorted by event time
  EXPECT_GT(out_of_order, 100U);
}

TEST(GeneratorTest, RejectsUnusableOptions) {
  const fs::path dir = FreshDir("invalid");
  GeneratorOptions options = SmallOptions();
  options.days = 0;
  EXPECT_FALSE(Generate(options, dir / "out", dir / "labels"));
  options = SmallOptions();
  options.regions.clear();
  EXPECT_FALSE(Generate(options, dir / "out", dir / "labels"));
  options = SmallOptions();
  options.incidents = DefaultIncidents(options);
  options.incidents.front().account = "000000000000";
  const auto result = Generate(options, dir / "out", dir / "labels");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("000000000000"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::sim
