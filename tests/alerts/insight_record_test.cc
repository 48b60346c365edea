#include "alerts/insight_record.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "tests/alerts/fixture_finding.h"

namespace trailsight::alerts {
namespace {

using nlohmann::ordered_json;
using test_support::FindingFromRecord;
using test_support::LoadFixture;

struct GoldenCase {
  std::string fixture;
  // Paths our record has and this (older) fixture lacks.
  std::set<std::string> extra_paths_allowed;
  // Paths whose values legitimately differ: our IDs are UUID v5, our version is 1.09.
  std::set<std::string> values_ignored;
};

// Test logs name a case by its fixture, not by its bytes.
void PrintTo(const GoldenCase& golden, std::ostream* out) { *out << golden.fixture; }

const std::set<std::string> kIds = {"eventID", "sharedEventID"};
const std::set<std::string> kIdsAndVersion = {"eventID", "sharedEventID", "eventVersion"};

bool IsDuration(const std::string& path) {
  return path.ends_with("insightDuration") || path.ends_with("baselineDuration");
}

// Compares `actual` (ours) with `expected` (AWS's) recursively and returns one line per
// difference in key set, key order, JSON type or value.
void Compare(const ordered_json& expected, const ordered_json& actual, const std::string& path,
             const GoldenCase& golden, std::vector<std::string>& differences) {
  auto differ = [&](const std::string& what) { differences.push_back(path + ": " + what); };
  auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };

  if (expected.is_number()) {
    if (!actual.is_number()) return differ("expected a number, got " + actual.dump());
    if (IsDuration(path) && !actual.is_number_integer()) return differ("must be an integer");
    if (!IsDuration(path) && !actual.is_number_float()) return differ("average must be a double");
    const double want = expected.get<double>(), got = actual.get<double>();
    if (std::abs(want - got) > 1e-9 * std::max(1.0, std::abs(want))) {
      differ("value " + actual.dump() + " != " + expected.dump());
    }
    return;
  }
  if (expected.type() != actual.type()) {
    return differ(std::string("type ") + actual.type_name() + " != " + expected.type_name());
  }
  if (expected.is_object()) {
    std::vector<std::string> want_keys, got_keys;
    for (const auto& [key, value] : expected.items()) want_keys.push_back(key);
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key) && golden.extra_paths_allowed.contains(child(key))) continue;
      got_keys.push_back(key);
    }
    if (want_keys != got_keys) {
      return differ("keys (in order) " + ordered_json(got_keys).dump() +
                    " != " + ordered_json(want_keys).dump());
    }
    for (const std::string& key : want_keys) {
      Compare(expected.at(key), actual.at(key), child(key), golden, differences);
    }
    return;
  }
  if (expected.is_array()) {
    if (expected.size() != actual.size()) return differ("array size differs");
    for (std::size_t i = 0; i < expected.size(); ++i) {
      Compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]", golden, differences);
    }
    return;
  }
  if (!golden.values_ignored.contains(path) && expected != actual) {
    differ("value " + actual.dump() + " != " + expected.dump());
  }
}

class InsightRecordGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(InsightRecordGoldenTest, RendersTheAwsRecordFieldForField) {
  const GoldenCase& golden = GetParam();
  const std::optional<ordered_json> expected = LoadFixture(golden.fixture);
  if (!expected)
    GTEST_SKIP() << "fixture absent: " << (test_support::FixtureDir() / golden.fixture);

  const ordered_json actual = RenderInsightRecord(FindingFromRecord(*expected));

  std::vector<std::string> differences;
  Compare(*expected, actual, "", golden, differences);
  for (const std::string& difference : differences) ADD_FAILURE() << difference;
  EXPECT_EQ(actual.at("eventVersion"), "1.09");
}

INSTANTIATE_TEST_SUITE_P(AwsExamples, InsightRecordGoldenTest,
                         ::testing::Values(GoldenCase{"example-callrate-start.json",
                                                      {"insightDetails.sourceEventCategory"},
                                                      kIdsAndVersion},
                                           GoldenCase{"example-callrate-end.json",
                                                      {"insightDetails.sourceEventCategory"},
                                                      kIdsAndVersion},
                                           GoldenCase{"example-callrate-start-v1.08.json",
                                                      {"insightDetails.sourceEventCategory"},
                                                      kIdsAndVersion},
                                           GoldenCase{"example-errorrate-start.json", {}, kIds},
                                           GoldenCase{"example-errorrate-end.json", {}, kIds}),
                         [](const ::testing::TestParamInfo<GoldenCase>& param_info) {
                           std::string name;
                           for (char c : param_info.param.fixture.substr(
                                    0, param_info.param.fixture.find(".json"))) {
                             if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           }
                           return name;
                         });

common::Finding CallRateFinding() {
  common::Finding finding;
  finding.key = test_support::MakeKey(common::InsightType::kApiCallRate, "123456789012",
                                      "eu-west-1", "ec2.amazonaws.com", "TerminateInstances");
  finding.start = test_support::ParseMinute("2024-07-31T13:06:00Z");
  finding.event_time = finding.start;
  finding.insight_average = 40;
  finding.attributions = {{"errorCode", {{"null", 40.0}}, {{"null", 0.5}}}};
  return finding;
}

TEST(InsightRecordTest, PassesTheNullErrorCodeAttributionThroughAsAString) {
  const ordered_json record = RenderInsightRecord(CallRateFinding());

  const ordered_json& attribution = record["insightDetails"]["insightContext"]["attributions"][0];
  EXPECT_EQ(attribution["insight"][0]["value"], ordered_json("null"));
  EXPECT_TRUE(attribution["baseline"][0]["value"].is_string());
}

TEST(InsightRecordTest, OmitsErrorCodeFromCallRateRecords) {
  const ordered_json record = RenderInsightRecord(CallRateFinding());

  EXPECT_FALSE(record["insightDetails"].contains("errorCode"));
  EXPECT_EQ(record["insightDetails"]["insightType"], "ApiCallRateInsight");
  EXPECT_EQ(record["insightDetails"]["sourceEventCategory"], "Management");
}

TEST(InsightRecordTest, RendersWholeAveragesAsDoubles) {
  const std::string line = RenderInsightLine(CallRateFinding());

  EXPECT_NE(line.find(R"("insight":{"average":40.0})"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("insightDuration":1,)"), std::string::npos) << line;
}

TEST(InsightRecordTest, RendersOneCompactLineThatParsesBackToTheRecord) {
  const common::Finding finding = CallRateFinding();

  const std::string line = RenderInsightLine(finding);

  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(ordered_json::parse(line), RenderInsightRecord(finding));
  EXPECT_TRUE(line.starts_with(R"({"eventVersion":"1.09","eventTime":"2024-07-31T13:06:00Z",)"))
      << line;
}

TEST(InsightRecordTest, ReplacesInvalidUtf8InsteadOfFailing) {
  common::Finding finding = CallRateFinding();
  finding.attributions = {{"userAgent", {{"curl\xff", 1.0}}, {}}};

  const std::string line = RenderInsightLine(finding);

  EXPECT_NE(line.find("curl\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
}

}  // namespace
}  // namespace trailsight::alerts
