#pragma once

#include <string>
#include <utility>

#include "common/result.h"
#include "common/time.h"

namespace trailsight::common {

// How urgent an alert is; maps onto OCSF severity_id (1 Informational .. 5 Critical).
enum class Severity { kInformational = 1, kLow = 2, kMedium = 3, kHigh = 4, kCritical = 5 };

// What raised an alert.
enum class AlertKind {
  kTamper,        // a logging or blinding call, attempted or done (rule in `rule`)
  kSilentSource,  // an (account, region) fell silent while its baseline expects traffic
  kCapReached,    // a cardinality cap was hit: keys or interned strings are being refused
  kNovelty,       // an account did what it had not done before (rule in `rule`)
};

// An immediate alert, rendered as an OCSF 1.3 Detection Finding (class 2004). Unlike an
// insight it has no End: it names one moment and, for a tamper alert, the record behind it.
// Strings are owned, so an Alert outlives the interner that parsed its record.
struct Alert {
  AlertKind kind = AlertKind::kTamper;
  std::string rule;  // e.g. "cloudtrail.StopLogging", "silent-source", "key-cap"
  Severity severity = Severity::kHigh;
  Seconds time{};  // event time of the triggering record (or of the silent minute)
  std::string account;
  std::string region;
  std::string event_source;  // the API, when a record triggered the alert
  std::string event_name;
  std::string error_code;  // empty when the call succeeded; a failed attempt is still an alert
  std::string principal;   // userIdentity ARN, session name removed
  std::string user_agent;
  std::string resource;   // the object acted on when known, e.g. the trail's bucket
  std::string record_id;  // the triggering record's eventID, when it had one
  std::string source_ip;  // the triggering record's sourceIPAddress, when it had one
  std::string message;    // one sentence for a human: what happened and why it matters
};

// An alert about the pipeline itself rather than a call (a region fallen silent, a cap
// reached): high severity, no record behind it; callers add what else they know.
inline Alert PipelineAlert(AlertKind kind, std::string rule, Seconds time, std::string account,
                           std::string region, std::string message) {
  Alert alert;
  alert.kind = kind;
  alert.rule = std::move(rule);
  alert.severity = Severity::kHigh;
  alert.time = time;
  alert.account = std::move(account);
  alert.region = std::move(region);
  alert.message = std::move(message);
  return alert;
}

// Where alerts go: a file, a Kafka topic. Called from the detector's thread only.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Hands one alert over. Fails only when the sink can no longer accept alerts.
  virtual Status Publish(const Alert& alert) = 0;
  // Makes everything published so far durable (written, flushed, acknowledged).
  virtual Status Flush() = 0;
};

// An alert sink that writes nothing, where a mode has no alerts output: the alerts are
// still counted by whatever raised them.
class UnwrittenAlerts final : public AlertSink {
 public:
  Status Publish(const Alert&) override { return Ok(); }
  Status Flush() override { return Ok(); }
};

}  // namespace trailsight::common
