#include "detector/tamper_rules.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "detector/call_alert.h"

namespace trailsight::detector {
namespace {

using common::Severity;

constexpr std::string_view kCloudTrail = "cloudtrail.amazonaws.com";
constexpr std::string_view kS3 = "s3.amazonaws.com";

// When a built-in rule alerts.
enum class When { kAlways, kOnTrailBucket, kLearnOnly };
using enum When;

struct BuiltInRule {
  std::string_view source, name;
  Severity severity;
  When when;
  bool learns_trail_bucket;
  std::string_view why;
};

constexpr std::array kBuiltInRules = {
    BuiltInRule{kCloudTrail, "StopLogging", Severity::kCritical, kAlways, false,
                "stops a CloudTrail trail, so API activity is no longer recorded"},
    BuiltInRule{kCloudTrail, "DeleteTrail", Severity::kCritical, kAlways, false,
                "deletes a CloudTrail trail and the logging it did"},
    BuiltInRule{kCloudTrail, "UpdateTrail", Severity::kHigh, kAlways, true,
                "changes what a CloudTrail trail records or where it delivers"},
    BuiltInRule{kCloudTrail, "PutEventSelectors", Severity::kHigh, kAlways, false,
                "changes which events a CloudTrail trail records"},
    BuiltInRule{kCloudTrail, "PutInsightSelectors", Severity::kMedium, kAlways, false,
                "changes which CloudTrail Insights a trail computes"},
    BuiltInRule{kCloudTrail, "DeleteEventDataStore", Severity::kCritical, kAlways, false,
                "deletes a CloudTrail Lake event data store"},
    BuiltInRule{kCloudTrail, "StopEventDataStoreIngestion", Severity::kHigh, kAlways, false,
                "stops a CloudTrail Lake event data store from ingesting events"},
    BuiltInRule{kCloudTrail, "CreateTrail", Severity::kInformational, kLearnOnly, true, ""},
    BuiltInRule{"ec2.amazonaws.com", "DeleteFlowLogs", Severity::kHigh, kAlways, false,
                "deletes VPC flow logs, so network traffic is no longer recorded"},
    BuiltInRule{"route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig", Severity::kHigh,
                kAlways, false,
                "deletes a Route 53 Resolver query logging configuration, so DNS queries are "
                "no longer recorded"},
    BuiltInRule{"config.amazonaws.com", "StopConfigurationRecorder", Severity::kHigh, kAlways,
                false, "stops AWS Config from recording resource changes"},
    BuiltInRule{"config.amazonaws.com", "DeleteConfigurationRecorder", Severity::kHigh, kAlways,
                false, "deletes the AWS Config recorder"},
    BuiltInRule{"config.amazonaws.com", "DeleteDeliveryChannel", Severity::kHigh, kAlways, false,
                "deletes the channel AWS Config delivers its records through"},
    BuiltInRule{"guardduty.amazonaws.com", "DeleteDetector", Severity::kCritical, kAlways, false,
                "deletes a GuardDuty detector, so threat detection stops"},
    BuiltInRule{"organizations.amazonaws.com", "LeaveOrganization", Severity::kCritical, kAlways,
                false,
                "takes the account out of its organization, its organization trail and its "
                "guardrails"},
    BuiltInRule{kS3, "PutBucketPolicy", Severity::kHigh, kOnTrailBucket, false,
                "replaces the policy of a bucket that receives CloudTrail logs"},
    BuiltInRule{kS3, "DeleteBucketPolicy", Severity::kHigh, kOnTrailBucket, false,
                "deletes the policy of a bucket that receives CloudTrail logs"},
    BuiltInRule{kS3, "PutBucketLifecycle", Severity::kHigh, kOnTrailBucket, false,
                "changes how long a bucket that receives CloudTrail logs keeps them"},
    BuiltInRule{kS3, "PutBucketLifecycleConfiguration", Severity::kHigh, kOnTrailBucket, false,
                "changes how long a bucket that receives CloudTrail logs keeps them"},
    BuiltInRule{kS3, "DeleteBucketLifecycle", Severity::kHigh, kOnTrailBucket, false,
                "removes the lifecycle rules of a bucket that receives CloudTrail logs"},
    BuiltInRule{kS3, "PutBucketAcl", Severity::kHigh, kOnTrailBucket, false,
                "changes who may read or write a bucket that receives CloudTrail logs"},
};

constexpr std::string_view kConfiguredWhy = "is on the configured tamper list (tamper.rules)";

// "cloudtrail.amazonaws.com" -> "cloudtrail": the service part of a rule's name.
std::string_view ServiceOf(std::string_view event_source) {
  return event_source.substr(0, event_source.find('.'));
}

}  // namespace

TamperRules::TamperRules(TamperOptions options, common::StringInterner& interner)
    : interner_(interner) {
  Reconfigure(std::move(options));
}

void TamperRules::Reconfigure(TamperOptions options) {
  enabled_ = options.enabled;
  max_learned_buckets_ = options.max_learned_buckets;
  rules_.clear();
  rule_by_call_.clear();
  for (const BuiltInRule& built_in : kBuiltInRules) {
    Rule& rule = RuleFor(built_in.source, built_in.name);
    rule.why = built_in.why;
    rule.severity = built_in.severity;
    rule.alerts = built_in.when != kLearnOnly;
    rule.needs_trail_bucket = built_in.when == kOnTrailBucket;
    rule.learns_trail_bucket = built_in.learns_trail_bucket;
  }
  for (const TamperRuleSpec& spec : options.rules) {
    if (interner_.Intern(spec.event_source) == interner_.overflow_symbol() ||
        interner_.Intern(spec.event_name) == interner_.overflow_symbol()) {
      spdlog::warn("tamper: rule {} {} not applied: the string interner is at its cap",
                   spec.event_source, spec.event_name);
      continue;
    }
    Rule& rule = RuleFor(spec.event_source, spec.event_name);
    rule.severity = spec.severity;
    if (rule.why.empty()) rule.why = kConfiguredWhy;
    rule.alerts = true;
  }
  trail_buckets_.clear();
  for (const std::string& bucket : options.trail_buckets) {
    if (bucket.empty()) continue;
    // At a reload the interner may be at its cap: its overflow symbol is no bucket.
    if (const common::Symbol symbol = interner_.Intern(bucket);
        symbol != interner_.overflow_symbol()) {
      trail_buckets_.insert(symbol);
    } else {
      spdlog::warn("tamper: trail bucket {} not applied: the string interner is at its cap",
                   bucket);
    }
  }
  trail_buckets_.insert(learned_.begin(), learned_.end());
}

TamperRules::Rule& TamperRules::RuleFor(std::string_view source, std::string_view name) {
  const std::uint64_t key = CallKey(interner_.Intern(source), interner_.Intern(name));
  auto [it, inserted] = rule_by_call_.try_emplace(key, rules_.size());
  if (inserted) {
    Rule& rule = rules_.emplace_back();
    rule.name = fmt::format("{}.{}", ServiceOf(source), name);
    return rule;
  }
  return rules_[it->second];
}

void TamperRules::OnEvent(const common::Event& event, common::AlertSink& sink) {
  if (!enabled_) return;
  const auto it = rule_by_call_.find(CallKey(event.source, event.name));
  if (it == rule_by_call_.end()) return;
  const Rule& rule = rules_[it->second];
  const bool on_trail_bucket =
      event.resource != common::kNoSymbol && trail_buckets_.contains(event.resource);
  if (rule.alerts && (!rule.needs_trail_bucket || on_trail_bucket)) {
    ++counters_.alerts;
    if (common::Status published = sink.Publish(MakeAlert(rule, event)); !published) {
      ++counters_.publish_errors;
      spdlog::error("alert sink: {}", published.error().message);
    }
  }
  if (rule.learns_trail_bucket && event.error_code == common::kNoSymbol &&
      event.resource != common::kNoSymbol) {
    LearnSymbol(event.resource);
  }
}

void TamperRules::Learn(std::string_view bucket) {
  if (!bucket.empty()) LearnSymbol(interner_.Intern(bucket));
}

void TamperRules::LearnSymbol(common::Symbol bucket) {
  if (trail_buckets_.contains(bucket)) return;
  // The interner's overflow symbol stands for every name it refused: not one bucket.
  if (learned_.size() >= max_learned_buckets_ || bucket == interner_.overflow_symbol()) {
    ++counters_.learned_buckets_refused;
    return;
  }
  trail_buckets_.insert(bucket);
  learned_.push_back(bucket);
}

std::vector<std::string> TamperRules::LearnedBuckets() const {
  std::vector<std::string> buckets;
  buckets.reserve(learned_.size());
  for (const common::Symbol bucket : learned_) buckets.emplace_back(interner_.Resolve(bucket));
  return buckets;
}

common::Alert TamperRules::MakeAlert(const Rule& rule, const common::Event& event) const {
  common::Alert alert =
      CallAlert(common::AlertKind::kTamper, rule.name, rule.severity, event, interner_);
  alert.resource = interner_.Resolve(event.resource);
  alert.message = fmt::format(
      "{}{}{} by {} in account {} ({}): {}{}.", alert.event_name,
      alert.error_code.empty() ? "" : " attempted",
      alert.resource.empty() ? "" : fmt::format(" on bucket {}", alert.resource),
      alert.principal.empty() ? "an unknown caller" : alert.principal, alert.account, alert.region,
      rule.why, alert.error_code.empty() ? "" : fmt::format(" (failed: {})", alert.error_code));
  return alert;
}

}  // namespace trailsight::detector
