#include "alerts/ocsf_record.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"

namespace trailsight::alerts {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kDetectionFindingClass = 2004;
constexpr int kFindingsCategory = 2;
constexpr int kActivityCreate = 1;
constexpr int kActivityClose = 3;
constexpr int kStatusNew = 1;
constexpr int kAnalyticRule = 1;
constexpr int kAnalyticStatistical = 3;
constexpr int kAccountTypeAws = 10;
constexpr int kUserTypeOther = 99;  // `type` then holds CloudTrail's own label

std::int64_t EpochMillis(std::chrono::sys_time<std::chrono::milliseconds> time) {
  return time.time_since_epoch().count();
}

// The classification every record starts with: class, category, activity, type, severity
// and status, in OCSF's order.
Json Classification(int activity_id, common::Severity severity) {
  Json record = Json::object();
  record["class_uid"] = kDetectionFindingClass;
  record["class_name"] = "Detection Finding";
  record["category_uid"] = kFindingsCategory;
  record["category_name"] = "Findings";
  record["activity_id"] = activity_id;
  const std::string_view activity = activity_id == kActivityCreate ? "Create" : "Close";
  record["activity_name"] = activity;
  record["type_uid"] = kDetectionFindingClass * 100 + activity_id;
  record["type_name"] = fmt::format("Detection Finding: {}", activity);
  record["severity_id"] = static_cast<int>(severity);
  record["severity"] = SeverityName(severity);
  record["status_id"] = kStatusNew;
  record["status"] = "New";
  return record;
}

Json Metadata(const std::string& uid) {
  Json product = Json::object();
  product["name"] = "trailsight";
  product["vendor_name"] = "trailsight";
  product["version"] = ProductVersion();
  Json metadata = Json::object();
  metadata["version"] = kOcsfVersion;
  metadata["product"] = std::move(product);
  metadata["profiles"] = Json::array({"cloud"});
  metadata["uid"] = uid;
  return metadata;
}

Json Analytic(std::string_view name, int type_id) {
  Json analytic = Json::object();
  analytic["name"] = name;
  analytic["type_id"] = type_id;
  analytic["type"] = type_id == kAnalyticRule ? "Rule" : "Statistical";
  return analytic;
}

Json Api(std::string_view operation, std::string_view service, std::string_view error) {
  Json api = Json::object();
  api["operation"] = operation;
  api["service"] = {{"name", service}};
  if (!error.empty()) api["response"] = {{"error", error}};
  return api;
}

Json Cloud(std::string_view account, std::string_view region) {
  Json account_object = Json::object();
  account_object["uid"] = account;
  account_object["type_id"] = kAccountTypeAws;
  account_object["type"] = "AWS Account";
  Json cloud = Json::object();
  cloud["provider"] = "AWS";
  cloud["account"] = std::move(account_object);
  cloud["region"] = region;
  return cloud;
}

// CloudTrail's userIdentity.type for a principal as the parser keeps it: an ARN (the
// resource part names the type), a service's host name (invokedBy), or the type itself.
std::string_view PrincipalType(std::string_view principal) {
  if (principal.starts_with("arn:")) {  // arn:partition:service:region:account:resource
    std::size_t at = 0;
    for (int colon = 0; colon < 5; ++colon) {
      at = principal.find(':', at);
      if (at == std::string_view::npos) return "Unknown";
      ++at;
    }
    const std::string_view resource = principal.substr(at);
    if (resource.starts_with("user/")) return "IAMUser";
    if (resource.starts_with("assumed-role/")) return "AssumedRole";
    if (resource.starts_with("role/")) return "Role";
    if (resource.starts_with("federated-user/")) return "FederatedUser";
    if (resource == "root") return "Root";
    return "Unknown";
  }
  if (principal.ends_with(".amazonaws.com")) return "AWSService";
  return principal;
}

Json Actor(std::string_view principal) {
  Json user = Json::object();
  user["uid"] = principal;
  user["type_id"] = kUserTypeOther;
  user["type"] = PrincipalType(principal);
  return {{"user", std::move(user)}};
}

// sourceIPAddress is an address, or the host name of the AWS service that made the call
// ("cloudtrail.amazonaws.com", "AWS Internal"): an address goes in `ip`, a service in
// `svc_name`.
Json SourceEndpoint(const std::string& source) {
  std::array<unsigned char, 16> address{};
  const bool is_address = inet_pton(AF_INET, source.c_str(), address.data()) == 1 ||
                          inet_pton(AF_INET6, source.c_str(), address.data()) == 1;
  return {{is_address ? "ip" : "svc_name", source}};
}

// The key's minute counts as an evidence artifact: the activity the statistical analytic
// judged, in `data` (OCSF's place for evidence that no specific attribute holds), so a SIEM
// can draw the episode from the finding alone.
Json MinuteCountsEvidence(const common::Finding& finding) {
  Json counts = Json::object();
  counts["first_minute_time"] = EpochMillis(finding.minute_counts.first);
  counts["unit"] = finding.key.type == common::InsightType::kApiErrorRate ? "errors" : "calls";
  counts["counts"] = finding.minute_counts.counts;
  return {{"data", {{"minute_counts", std::move(counts)}}}};
}

std::string AlertTitle(const common::Alert& alert) {
  if (alert.event_name.empty()) return alert.rule;
  if (alert.error_code.empty()) return fmt::format("{} called", alert.event_name);
  return fmt::format("{} attempted, failed with {}", alert.event_name, alert.error_code);
}

std::string InsightTitle(const common::InsightKey& key) {
  if (key.type == common::InsightType::kApiErrorRate) {
    return fmt::format("Unusual {} error rate: {}", key.error_code, key.event_name);
  }
  return fmt::format("Unusual call rate: {}", key.event_name);
}

std::string InsightMessage(const common::Finding& finding) {
  const common::InsightKey& key = finding.key;
  const std::string_view unit = key.type == common::InsightType::kApiErrorRate ? "errors" : "calls";
  const std::string where = fmt::format("{} ({}) in account {} ({})", key.event_name,
                                        key.event_source, key.account, key.region);
  if (finding.state == common::InsightState::kStart) {
    return fmt::format("{}: {:g} {} in the first minute, against a baseline of {:.3g} per minute.",
                       where, finding.insight_average, unit, finding.baseline_average);
  }
  return fmt::format(
      "{}: ended after {} minutes at {:.3g} {} per minute, against a baseline of "
      "{:.3g}.",
      where, finding.insight_duration_minutes, finding.insight_average, unit,
      finding.baseline_average);
}

std::string Line(const Json& record) {
  return record.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string_view ProductVersion() { return TRAILSIGHT_VERSION; }

std::string_view SeverityName(common::Severity severity) {
  switch (severity) {
    case common::Severity::kInformational:
      return "Informational";
    case common::Severity::kLow:
      return "Low";
    case common::Severity::kMedium:
      return "Medium";
    case common::Severity::kHigh:
      return "High";
    case common::Severity::kCritical:
      return "Critical";
  }
  return "Unknown";  // unreachable: every enumerator is handled above
}

std::string_view AlertKindName(common::AlertKind kind) {
  switch (kind) {
    case common::AlertKind::kTamper:
      return "Tamper";
    case common::AlertKind::kSilentSource:
      return "SilentSource";
    case common::AlertKind::kCapReached:
      return "CapReached";
    case common::AlertKind::kNovelty:
      return "Novelty";
  }
  return "Tamper";  // unreachable
}

nlohmann::ordered_json RenderOcsfAlert(const common::Alert& alert) {
  const std::string id = DeriveAlertId(alert);
  const std::int64_t time = EpochMillis(alert.time);

  Json info = Json::object();
  info["uid"] = id;
  info["title"] = AlertTitle(alert);
  info["desc"] = alert.message;
  info["types"] = Json::array({AlertKindName(alert.kind)});
  info["created_time"] = time;
  info["analytic"] = Analytic(alert.rule, kAnalyticRule);
  if (!alert.record_id.empty()) info["related_events"] = Json::array({{{"uid", alert.record_id}}});

  Json record = Classification(kActivityCreate, alert.severity);
  record["time"] = time;
  record["message"] = alert.message;
  record["metadata"] = Metadata(id);
  record["finding_info"] = std::move(info);
  if (!alert.event_name.empty()) {
    record["api"] = Api(alert.event_name, alert.event_source, alert.error_code);
  }
  record["cloud"] = Cloud(alert.account, alert.region);
  if (!alert.principal.empty()) {
    // `actor` is the host profile's attribute on a Detection Finding: declared with it, or
    // a SIEM validating against the OCSF schema refuses the record.
    record["actor"] = Actor(alert.principal);
    record["metadata"]["profiles"].push_back("host");
  }
  if (!alert.source_ip.empty()) {
    record["evidences"] = Json::array({{{"src_endpoint", SourceEndpoint(alert.source_ip)}}});
  }
  if (!alert.resource.empty()) {
    Json bucket = Json::object();
    bucket["uid"] = alert.resource;
    bucket["type"] = "AWS::S3::Bucket";
    record["resources"] = Json::array({std::move(bucket)});
  }
  if (!alert.user_agent.empty()) record["unmapped"] = {{"userAgent", alert.user_agent}};
  return record;
}

nlohmann::ordered_json RenderOcsfInsight(const common::Finding& finding) {
  const common::InsightKey& key = finding.key;
  const InsightIds ids = DeriveInsightIds(finding);
  const bool start = finding.state == common::InsightState::kStart;
  const std::int64_t time = EpochMillis(finding.event_time);
  const std::string message = InsightMessage(finding);

  Json info = Json::object();
  info["uid"] = ids.shared_event_id;
  info["title"] = InsightTitle(key);
  info["desc"] = message;
  info["types"] = Json::array({InsightTypeName(key.type)});
  info["created_time"] = time;
  info["analytic"] = Analytic(InsightTypeName(key.type), kAnalyticStatistical);

  // The API's criticality (detection.criticality) sets the mirror's severity.
  Json record = Classification(start ? kActivityCreate : kActivityClose, finding.severity);
  record["time"] = time;
  record["start_time"] = EpochMillis(finding.start);
  if (!start) record["end_time"] = time;
  record["message"] = message;
  record["metadata"] = Metadata(ids.event_id);
  record["finding_info"] = std::move(info);
  record["api"] = Api(key.event_name, key.event_source, key.error_code);
  record["cloud"] = Cloud(key.account, key.region);
  if (!finding.minute_counts.counts.empty()) {
    record["evidences"] = Json::array({MinuteCountsEvidence(finding)});
  }
  record["unmapped"] = {{"insightDetails", RenderInsightRecord(finding)["insightDetails"]}};
  return record;
}

std::string RenderOcsfAlertLine(const common::Alert& alert) { return Line(RenderOcsfAlert(alert)); }

std::string RenderOcsfInsightLine(const common::Finding& finding) {
  return Line(RenderOcsfInsight(finding));
}

}  // namespace trailsight::alerts
