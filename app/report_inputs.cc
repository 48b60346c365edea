#include "app/report_inputs.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace trailsight::app {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::minutes;

common::Error BadLine(const std::string& path, std::size_t line, std::string_view why) {
  return {common::ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", path, line, why)};
}

common::Error CannotOpen(const std::string& path) {
  return {common::ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
}

// Calls `on_record(json, line_number)` for every non-blank line of `path`, parsed. Stops at
// the first failure, of parsing or of `on_record`, naming the line.
template <typename OnRecord>
common::Status ForEachJsonLine(const std::string& path, OnRecord on_record) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return CannotOpen(path);
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return BadLine(path, number, "not a JSON object");
    }
    try {
      if (common::Status used = on_record(record, number); !used) return used;
    } catch (const Json::exception& error) {
      // nlohmann's message names the missing or mistyped field.
      return BadLine(path, number, error.what());
    }
  }
  if (in.bad()) return common::Error{common::ErrorCode::kIo, fmt::format("{}: read failed", path)};
  return common::Ok();
}

std::string Indented(const Json& record) {
  return record.dump(2, ' ', false, Json::error_handler_t::replace);
}

common::Result<common::Minute> MinuteAt(const std::string& text) {
  common::Result<common::Seconds> time = common::ParseUtcTimestamp(text);
  if (!time) return time.error();
  return common::FloorMinute(*time);
}

// The Finding an AWS Insights record describes; throws nlohmann's exceptions on a missing
// or mistyped field, returns an Error for a bad value.
common::Result<common::Finding> FindingOf(const Json& record) {
  const Json& details = record.at("insightDetails");
  const Json& context = details.at("insightContext");
  const Json& statistics = context.at("statistics");
  common::Finding finding;
  const std::string type = details.at("insightType").get<std::string>();
  if (type != "ApiCallRateInsight" && type != "ApiErrorRateInsight") {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         fmt::format("insightType '{}' is not an insight type", type)};
  }
  finding.key.type = type == "ApiErrorRateInsight" ? common::InsightType::kApiErrorRate
                                                   : common::InsightType::kApiCallRate;
  finding.key.account = record.at("recipientAccountId").get<std::string>();
  finding.key.region = record.at("awsRegion").get<std::string>();
  finding.key.event_source = details.at("eventSource").get<std::string>();
  finding.key.event_name = details.at("eventName").get<std::string>();
  finding.key.error_code = details.value("errorCode", "");
  const std::string state = details.at("state").get<std::string>();
  if (state != "Start" && state != "End") {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         fmt::format("state '{}' is neither Start nor End", state)};
  }
  finding.state = state == "End" ? common::InsightState::kEnd : common::InsightState::kStart;
  common::Result<common::Minute> time = MinuteAt(record.at("eventTime").get<std::string>());
  if (!time) return time.error();
  finding.event_time = *time;
  finding.baseline_average = statistics.at("baseline").at("average").get<double>();
  finding.insight_average = statistics.at("insight").at("average").get<double>();
  finding.insight_duration_minutes = statistics.at("insightDuration").get<int>();
  finding.baseline_duration_minutes = statistics.value("baselineDuration", 0);
  finding.start = finding.state == common::InsightState::kStart
                      ? finding.event_time
                      : finding.event_time - minutes{finding.insight_duration_minutes};
  for (const Json& attribution : context.value("attributions", Json::array())) {
    common::Attribution& out = finding.attributions.emplace_back();
    out.attribute = attribution.at("attribute").get<std::string>();
    for (const char* side : {"insight", "baseline"}) {
      std::vector<common::AttributionValue>& values = side[0] == 'i' ? out.insight : out.baseline;
      for (const Json& value : attribution.value(side, Json::array())) {
        values.push_back({.value = value.at("value").get<std::string>(),
                          .average = value.at("average").get<double>()});
      }
    }
  }
  return finding;
}

common::Result<common::AlertKind> AlertKindOf(std::string_view type) {
  if (type == "Tamper") return common::AlertKind::kTamper;
  if (type == "Novelty") return common::AlertKind::kNovelty;
  if (type == "SilentSource") return common::AlertKind::kSilentSource;
  if (type == "CapReached") return common::AlertKind::kCapReached;
  return common::Error{common::ErrorCode::kInvalidArgument,
                       fmt::format("finding_info.types '{}' is not a trailsight alert", type)};
}

// A string at `pointer` in `record`, or "" when absent.
std::string StringAt(const Json& record, const char* pointer) {
  const Json::json_pointer at(pointer);
  return record.contains(at) && record.at(at).is_string() ? record.at(at).get<std::string>()
                                                          : std::string();
}

// The Alert an OCSF alert record describes; throws as FindingOf().
common::Result<common::Alert> AlertOf(const Json& record, common::AlertKind kind) {
  common::Alert alert;
  alert.kind = kind;
  const int severity = record.at("severity_id").get<int>();
  if (severity < 1 || severity > 5) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         fmt::format("severity_id {} is not 1 to 5", severity)};
  }
  alert.severity = static_cast<common::Severity>(severity);
  alert.time = common::Seconds{std::chrono::floor<std::chrono::seconds>(
      std::chrono::milliseconds{record.at("time").get<std::int64_t>()})};
  alert.rule = StringAt(record, "/finding_info/analytic/name");
  alert.account = StringAt(record, "/cloud/account/uid");
  alert.region = StringAt(record, "/cloud/region");
  alert.event_source = StringAt(record, "/api/service/name");
  alert.event_name = StringAt(record, "/api/operation");
  alert.error_code = StringAt(record, "/api/response/error");
  alert.principal = StringAt(record, "/actor/user/uid");
  alert.user_agent = StringAt(record, "/unmapped/userAgent");
  alert.resource = StringAt(record, "/resources/0/uid");
  alert.record_id = StringAt(record, "/finding_info/related_events/0/uid");
  alert.source_ip = StringAt(record, "/evidences/0/src_endpoint/ip");
  if (alert.source_ip.empty())
    alert.source_ip = StringAt(record, "/evidences/0/src_endpoint/svc_name");
  alert.message = StringAt(record, "/message");
  return alert;
}

}  // namespace

common::Result<std::vector<alerts::ReportInsight>> ReadInsightRecords(const std::string& path) {
  std::vector<alerts::ReportInsight> insights;
  std::unordered_map<std::string, std::size_t> by_id;
  common::Status read = ForEachJsonLine(path, [&](const Json& record, std::size_t line) {
    common::Result<common::Finding> finding = FindingOf(record);
    if (!finding) return common::Status(BadLine(path, line, finding.error().message));
    const std::string id = record.at("sharedEventID").get<std::string>();
    auto [at, added] = by_id.try_emplace(id, insights.size());
    if (added) insights.push_back({.id = id, .start = *finding});
    alerts::ReportInsight& insight = insights[at->second];
    if (finding->state == common::InsightState::kEnd) {
      // The Start's first minute is the episode's identity; an End keeps it.
      if (!added) finding->start = insight.start.start;
      insight.end = *finding;
      insight.records.push_back(Indented(record));
    } else {
      finding->severity = insight.start.severity;
      insight.start = *std::move(finding);
      if (insight.end) insight.end->start = insight.start.start;
      insight.records.insert(insight.records.begin(), Indented(record));
    }
    return common::Ok();
  });
  if (!read) return read.error();
  return insights;
}

common::Result<std::vector<alerts::ReportAlert>> ReadOcsfRecords(
    const std::string& path, std::vector<alerts::ReportInsight>& insights) {
  std::unordered_map<std::string, alerts::ReportInsight*> insight_by_id;
  for (alerts::ReportInsight& insight : insights) insight_by_id.emplace(insight.id, &insight);
  std::vector<alerts::ReportAlert> alerts;
  std::unordered_map<std::string, std::size_t> seen;
  common::Status read = ForEachJsonLine(path, [&](const Json& record, std::size_t line) {
    const std::string id = record.at("finding_info").at("uid").get<std::string>();
    const std::string type = record.at("finding_info").at("types").at(0).get<std::string>();
    if (type == "ApiCallRateInsight" || type == "ApiErrorRateInsight") {
      const int severity = record.at("severity_id").get<int>();
      if (auto insight = insight_by_id.find(id);
          insight != insight_by_id.end() && severity >= 1 && severity <= 5) {
        insight->second->start.severity = static_cast<common::Severity>(severity);
        if (insight->second->end) insight->second->end->severity = insight->second->start.severity;
      }
      return common::Ok();
    }
    common::Result<common::AlertKind> kind = AlertKindOf(type);
    if (!kind) return common::Status(BadLine(path, line, kind.error().message));
    common::Result<common::Alert> alert = AlertOf(record, *kind);
    if (!alert) return common::Status(BadLine(path, line, alert.error().message));
    if (!seen.try_emplace(id, alerts.size()).second) return common::Ok();  // delivered twice
    alerts.push_back({.id = id,
                      .alert = *std::move(alert),
                      .title = StringAt(record, "/finding_info/title"),
                      .record = Indented(record)});
    return common::Ok();
  });
  if (!read) return read.error();
  return alerts;
}

}  // namespace trailsight::app
