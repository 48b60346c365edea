#include "alerts/insight_record.h"

#include "alerts/insight_ids.h"
#include "common/time.h"

namespace trailsight::alerts {
namespace {

nlohmann::ordered_json RenderValues(const std::vector<common::AttributionValue>& values) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const common::AttributionValue& entry : values) {
    list.push_back({{"value", entry.value}, {"average", entry.average}});
  }
  return list;
}

nlohmann::ordered_json RenderAttributions(const std::vector<common::Attribution>& attributions) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const common::Attribution& attribution : attributions) {
    list.push_back({{"attribute", attribution.attribute},
                    {"insight", RenderValues(attribution.insight)},
                    {"baseline", RenderValues(attribution.baseline)}});
  }
  return list;
}

nlohmann::ordered_json RenderStatistics(const common::Finding& finding) {
  nlohmann::ordered_json statistics = nlohmann::ordered_json::object();
  statistics["baseline"] = {{"average", finding.baseline_average}};
  statistics["insight"] = {{"average", finding.insight_average}};
  statistics["insightDuration"] = finding.insight_duration_minutes;
  statistics["baselineDuration"] = finding.baseline_duration_minutes;
  return statistics;
}

}  // namespace

std::string_view InsightTypeName(common::InsightType type) {
  switch (type) {
    case common::InsightType::kApiCallRate:
      return "ApiCallRateInsight";
    case common::InsightType::kApiErrorRate:
      return "ApiErrorRateInsight";
  }
  return "ApiCallRateInsight";  // unreachable: every enumerator is handled above
}

std::string_view InsightStateName(common::InsightState state) {
  switch (state) {
    case common::InsightState::kStart:
      return "Start";
    case common::InsightState::kEnd:
      return "End";
  }
  return "Start";  // unreachable
}

std::string_view EventCategoryName(common::EventCategory category) {
  switch (category) {
    case common::EventCategory::kManagement:
      return "Management";
    case common::EventCategory::kData:
      return "Data";
    case common::EventCategory::kNetworkActivity:
      return "NetworkActivity";
    case common::EventCategory::kInsight:
      return "Insight";
  }
  return "Management";  // unreachable
}

nlohmann::ordered_json RenderInsightRecord(const common::Finding& finding) {
  const common::InsightKey& key = finding.key;
  const InsightIds ids = DeriveInsightIds(finding);

  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["statistics"] = RenderStatistics(finding);
  context["attributions"] = RenderAttributions(finding.attributions);

  nlohmann::ordered_json details = nlohmann::ordered_json::object();
  details["state"] = InsightStateName(finding.state);
  details["eventSource"] = key.event_source;
  details["eventName"] = key.event_name;
  details["insightType"] = InsightTypeName(key.type);
  if (key.type == common::InsightType::kApiErrorRate) details["errorCode"] = key.error_code;
  details["sourceEventCategory"] = EventCategoryName(key.source_category);
  details["insightContext"] = std::move(context);

  nlohmann::ordered_json record = nlohmann::ordered_json::object();
  record["eventVersion"] = kInsightEventVersion;
  record["eventTime"] = common::FormatUtcTimestamp(finding.event_time);
  record["awsRegion"] = key.region;
  record["eventID"] = ids.event_id;
  record["eventType"] = "AwsCloudTrailInsight";
  record["recipientAccountId"] = key.account;
  record["sharedEventID"] = ids.shared_event_id;
  record["insightDetails"] = std::move(details);
  record["eventCategory"] = "Insight";
  return record;
}

std::string RenderInsightLine(const common::Finding& finding) {
  return RenderInsightRecord(finding).dump(-1, ' ', false,
                                           nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace trailsight::alerts
