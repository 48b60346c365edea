#pragma once

// Test support: turns one of AWS's example Insights records (/work/shared/fixtures/insights)
// into the Finding that should render to it.

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/finding.h"
#include "common/time.h"

namespace trailsight::alerts::test_support {

inline std::filesystem::path FixtureDir() {
  return std::filesystem::path(TRAILSIGHT_SHARED_DIR) / "fixtures" / "insights";
}

// Parses the fixture `name`, keeping AWS's key order; nullopt when the file is absent.
inline std::optional<nlohmann::ordered_json> LoadFixture(const std::string& name) {
  std::ifstream in(FixtureDir() / name);
  if (!in) return std::nullopt;
  return nlohmann::ordered_json::parse(in);
}

inline common::InsightKey MakeKey(common::InsightType type, std::string account, std::string region,
                                  std::string event_source, std::string event_name,
                                  std::string error_code = "") {
  common::InsightKey key;
  key.type = type;
  key.account = std::move(account);
  key.region = std::move(region);
  key.event_source = std::move(event_source);
  key.event_name = std::move(event_name);
  key.error_code = std::move(error_code);
  return key;
}

inline common::Minute ParseMinute(const std::string& text) {
  return common::FloorMinute(*common::ParseUtcTimestamp(text));
}

inline std::vector<common::AttributionValue> ValuesFrom(const nlohmann::ordered_json& list) {
  std::vector<common::AttributionValue> values;
  for (const auto& entry : list) {
    values.push_back({entry.at("value").get<std::string>(), entry.at("average").get<double>()});
  }
  return values;
}

// Fills a Finding with the content of an AWS record. The start minute (which only feeds
// the IDs) is the eventTime of a Start, and eventTime minus insightDuration for an End.
inline common::Finding FindingFromRecord(const nlohmann::ordered_json& record) {
  const auto& details = record.at("insightDetails");
  const auto& statistics = details.at("insightContext").at("statistics");
  common::Finding finding;
  finding.key.type = details.at("insightType") == "ApiErrorRateInsight"
                         ? common::InsightType::kApiErrorRate
                         : common::InsightType::kApiCallRate;
  finding.key.account = record.at("recipientAccountId").get<std::string>();
  finding.key.region = record.at("awsRegion").get<std::string>();
  finding.key.event_source = details.at("eventSource").get<std::string>();
  finding.key.event_name = details.at("eventName").get<std::string>();
  finding.key.error_code = details.value("errorCode", "");
  finding.key.source_category = details.value("sourceEventCategory", "Management") == "Data"
                                    ? common::EventCategory::kData
                                    : common::EventCategory::kManagement;
  finding.state =
      details.at("state") == "End" ? common::InsightState::kEnd : common::InsightState::kStart;
  finding.event_time = ParseMinute(record.at("eventTime").get<std::string>());
  finding.baseline_average = statistics.at("baseline").at("average").get<double>();
  finding.insight_average = statistics.at("insight").at("average").get<double>();
  finding.insight_duration_minutes = statistics.value("insightDuration", 1);
  finding.baseline_duration_minutes = statistics.value("baselineDuration", 0);
  finding.start = finding.state == common::InsightState::kStart
                      ? finding.event_time
                      : finding.event_time - std::chrono::minutes{finding.insight_duration_minutes};
  for (const auto& attribution :
       details.at("insightContext").value("attributions", nlohmann::ordered_json::array())) {
    finding.attributions.push_back({attribution.at("attribute").get<std::string>(),
                                    ValuesFrom(attribution.at("insight")),
                                    ValuesFrom(attribution.at("baseline"))});
  }
  return finding;
}

}  // namespace trailsight::alerts::test_support
