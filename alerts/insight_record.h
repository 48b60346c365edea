#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/finding.h"

namespace trailsight::alerts {

// The record's eventVersion: the newest AWS writes, which carries recipientAccountId and
// insightDetails.sourceEventCategory.
inline constexpr std::string_view kInsightEventVersion = "1.09";

// AWS's names for the enums of a Finding: "ApiCallRateInsight" / "ApiErrorRateInsight",
// "Start" / "End", and CloudTrail's eventCategory values ("Management", "Data", ...).
std::string_view InsightTypeName(common::InsightType type);
std::string_view InsightStateName(common::InsightState state);
std::string_view EventCategoryName(common::EventCategory category);

// Renders `finding` as an AWS CloudTrail Insights record, field for field and in AWS's key
// order (see ../shared/reference/insights-spec.md section 2): eventVersion, eventTime
// (finding.event_time), awsRegion, eventID, eventType, recipientAccountId, sharedEventID,
// insightDetails{state, eventSource, eventName, insightType, errorCode (error rate only),
// sourceEventCategory, insightContext{statistics, attributions}}, eventCategory. Averages
// are JSON doubles and durations integers; attribution values are copied as they are (the
// string "null" for "no error" stays a string). IDs come from DeriveInsightIds().
nlohmann::ordered_json RenderInsightRecord(const common::Finding& finding);

// Renders the record as compact JSON on one line, without a trailing newline. Invalid
// UTF-8 in attribution values is replaced by U+FFFD rather than failing.
std::string RenderInsightLine(const common::Finding& finding);

}  // namespace trailsight::alerts
