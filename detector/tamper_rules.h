#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"

namespace trailsight::detector {

// One call that raises a tamper alert, added by the config (`tamper.rules`).
struct TamperRuleSpec {
  std::string event_source;  // e.g. "iam.amazonaws.com"
  std::string event_name;    // e.g. "DeleteRolePermissionsBoundary"
  common::Severity severity = common::Severity::kHigh;
  bool operator==(const TamperRuleSpec&) const = default;
};

// Filled from the `tamper:` section of the config file; see config/trailsight.yaml.
struct TamperOptions {
  bool enabled = true;  // false: OnEvent() does nothing
  // S3 buckets that receive CloudTrail logs: a bucket policy, lifecycle or ACL change on one
  // of them alerts. Buckets named by successful CreateTrail and UpdateTrail calls are added
  // as they are seen.
  std::vector<std::string> trail_buckets{};
  // Calls that alert besides the built-in list. A rule for a built-in call replaces its
  // severity and keeps its conditions (the S3 calls still need a trail bucket).
  std::vector<TamperRuleSpec> rules{};
  // Bound on the buckets learned from CreateTrail/UpdateTrail; beyond it new ones are
  // counted in `learned_buckets_refused` and not learned (as are names the interner
  // refused at its cap). 0 turns learning off.
  std::size_t max_learned_buckets = 10'000;
  bool operator==(const TamperOptions&) const = default;
};

struct TamperCounters {
  std::uint64_t alerts = 0;                   // alerts handed to the sink
  std::uint64_t publish_errors = 0;           // alerts the sink refused
  std::uint64_t learned_buckets_refused = 0;  // trail buckets not learned: a cap was reached
};

// Raises an immediate alert for each call that blinds the logging or the other detectors
// (DESIGN.md, "Tamper rules"): CloudTrail's StopLogging, DeleteTrail, UpdateTrail,
// PutEventSelectors, PutInsightSelectors, DeleteEventDataStore, StopEventDataStoreIngestion;
// EC2 DeleteFlowLogs; Route 53 Resolver DeleteResolverQueryLogConfig; AWS Config
// StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel; GuardDuty
// DeleteDetector; Organizations LeaveOrganization; and S3 PutBucketPolicy,
// DeleteBucketPolicy, PutBucketLifecycle, PutBucketLifecycleConfiguration,
// DeleteBucketLifecycle and PutBucketAcl on a trail bucket. Plus the config's rules.
//
// Every matching record alerts, reads as well as writes, failed attempts (errorCode set,
// carried in the alert) as well as successes: an attacker probing with AccessDenied is news.
// A trail bucket is one from the options or one that a successful CreateTrail or UpdateTrail
// named (requestParameters.s3BucketName); Learn() and LearnedBuckets() let a snapshot keep
// the learned ones. Trail buckets are interned before the names an interner at its cap
// refuses, so a refused name (the overflow symbol) is never a trail bucket.
//
// Cost: one hash lookup of the event's (source, name) symbols per event, and no allocation
// unless an alert fires. Rule names are interned once, at construction.
//
// Thread safety: none. The thread that owns the Detector calls it, with events in input order.
class TamperRules {
 public:
  // `interner` resolves the events' symbols and must outlive the rules.
  TamperRules(TamperOptions options, common::StringInterner& interner);

  // Checks one event: learns a trail bucket from a successful CreateTrail or UpdateTrail,
  // and hands an alert to `sink` when the event matches a rule. A sink failure is logged and
  // counted in `publish_errors`; the rules carry on.
  void OnEvent(const common::Event& event, common::AlertSink& sink);

  // Applies new options (a config reload): enabled, the rules, the configured buckets and
  // the bound on learned ones. The buckets learned so far and the counters are kept; with a
  // lower bound, those already learned stay and new ones are refused.
  void Reconfigure(TamperOptions options);

  // Adds `bucket` to the trail buckets learned so far (a snapshot being restored, say);
  // refused beyond max_learned_buckets. An empty name or a known bucket changes nothing.
  void Learn(std::string_view bucket);
  // Returns the trail buckets learned from records (not those of the options), in the
  // order they were learned.
  std::vector<std::string> LearnedBuckets() const;

  const TamperCounters& counters() const { return counters_; }

 private:
  struct Rule {
    std::string name;      // "cloudtrail.StopLogging": the alert's rule
    std::string_view why;  // what the call does to visibility; static storage
    common::Severity severity = common::Severity::kHigh;
    bool alerts = true;                // false: CreateTrail, which only teaches a bucket
    bool needs_trail_bucket = false;   // the S3 calls: only on a trail bucket
    bool learns_trail_bucket = false;  // CreateTrail, UpdateTrail
  };

  static std::uint64_t CallKey(common::Symbol source, common::Symbol name) {
    return (std::uint64_t{source} << 32) | name;
  }
  // Adds or updates the rule for (source, name).
  Rule& RuleFor(std::string_view source, std::string_view name);
  void LearnSymbol(common::Symbol bucket);
  common::Alert MakeAlert(const Rule& rule, const common::Event& event) const;

  bool enabled_ = true;
  std::size_t max_learned_buckets_ = 0;
  common::StringInterner& interner_;  // outlives the rules; see the constructor
  std::vector<Rule> rules_;
  std::unordered_map<std::uint64_t, std::size_t> rule_by_call_;  // CallKey -> index in rules_
  std::unordered_set<common::Symbol> trail_buckets_;             // configured and learned
  std::vector<common::Symbol> learned_;                          // learned only, in order
  TamperCounters counters_;
};

}  // namespace trailsight::detector
