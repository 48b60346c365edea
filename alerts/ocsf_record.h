#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/alert.h"
#include "common/finding.h"

namespace trailsight::alerts {

// The OCSF schema version the records follow (metadata.version).
inline constexpr std::string_view kOcsfVersion = "1.3.0";

// Returns trailsight's version, as metadata.product.version carries it.
std::string_view ProductVersion();

// "Tamper", "SilentSource", "CapReached": finding_info.types of an alert.
std::string_view AlertKindName(common::AlertKind kind);

// "Informational", "Low", "Medium", "High", "Critical": OCSF's caption of a severity_id.
std::string_view SeverityName(common::Severity severity);

// Renders `alert` as an OCSF 1.3 Detection Finding (class_uid 2004, activity Create,
// status New), in this key order: class, category, activity and type; severity_id and
// severity; status; time (the alert's event time, epoch milliseconds); message;
// metadata {version, product {name, vendor_name, version}, profiles ["cloud"], uid};
// finding_info {uid, title, desc, types, created_time, analytic {name: the rule, type_id 1
// "Rule"}, related_events [{uid: the record's eventID}] when known}; api {operation,
// service {name}, response {error} when the call failed}; cloud {provider "AWS",
// account {uid, type_id 10 "AWS Account"}, region}; actor {user {uid: the principal,
// type_id 99, type: IAMUser, AssumedRole, ...}} when known; evidences [{src_endpoint {ip, or
// svc_name for a service such as "cloudtrail.amazonaws.com"}}] when known; resources [{uid:
// the bucket, type "AWS::S3::Bucket"}] when known; unmapped {userAgent} when known.
// Fields with nothing to say are left out. finding_info.uid and metadata.uid come from
// DeriveAlertId(), so a replay re-emits the same IDs.
nlohmann::ordered_json RenderOcsfAlert(const common::Alert& alert);

// Renders an insight record as the same class, so one stream holds alerts and insights:
// analytic {name "ApiCallRateInsight" or "ApiErrorRateInsight", type_id 3 "Statistical"},
// severity Medium; a Start is activity Create, an End activity Close. finding_info.uid is the
// insight's sharedEventID, so a Start and its End correlate; metadata.uid is its eventID.
// time is the record's eventTime; start_time the first anomalous minute, end_time (End only)
// the first minute back to normal. api and cloud name the key; evidences [{data
// {minute_counts {first_minute_time (epoch ms), unit "calls" or "errors", counts [one per
// minute, oldest first]}}}] carries the finding's minute counts when it has them; unmapped
// carries AWS's insightDetails verbatim (state, statistics, attributions).
nlohmann::ordered_json RenderOcsfInsight(const common::Finding& finding);

// The records above as compact JSON on one line, without a trailing newline. Invalid UTF-8
// (in a principal or user agent, say) is replaced by U+FFFD rather than failing.
std::string RenderOcsfAlertLine(const common::Alert& alert);
std::string RenderOcsfInsightLine(const common::Finding& finding);

}  // namespace trailsight::alerts
