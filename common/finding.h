#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/result.h"
#include "common/time.h"

namespace trailsight::common {

enum class InsightType { kApiCallRate, kApiErrorRate };
enum class InsightState { kStart, kEnd };

// What an insight is about: AWS's unit of analysis.
struct InsightKey {
  InsightType type = InsightType::kApiCallRate;
  std::string account;
  std::string region;
  std::string event_source;
  std::string event_name;
  std::string error_code;  // the anomalous error code; empty for call-rate insights
  EventCategory source_category = EventCategory::kManagement;
};

// One value of an attribution list: a principal, user agent or error code, with its mean
// per-minute count over the insight (or over the baseline window).
struct AttributionValue {
  std::string value;
  double average = 0.0;
};

// The top contributors of one attribute, sorted by average descending, at most five each.
struct Attribution {
  std::string attribute;  // "userIdentityArn", "userAgent" or "errorCode"
  std::vector<AttributionValue> insight;
  std::vector<AttributionValue> baseline;
};

// A key's calls (or errors) per minute over a bounded stretch of minutes, oldest first: what
// a reader needs to draw an insight from its finding alone.
struct MinuteCounts {
  Minute first;                       // the minute of counts[0]; counts[i] is first + i minutes
  std::vector<std::uint32_t> counts;  // empty when not known
};

// An Insights record, Start or End, before rendering. A Start and its End share
// `key` and `start`; both IDs are derived from them, so re-deriving a finding after a
// replay or a restart yields the same record.
struct Finding {
  InsightKey key;
  InsightState state = InsightState::kStart;
  Minute start;        // the first anomalous minute: the identity of the episode
  Minute event_time;   // Start: `start`; End: the first minute back to normal
  Seconds fired_at{};  // event time of the record that produced this finding (not rendered):
                       // how soon, in event time, the engine knew; for latency measurements
  double baseline_average = 0.0;  // calls (or errors) per minute over the baseline window
  double insight_average = 0.0;   // Start: the first minute's count; End: the episode mean
  int insight_duration_minutes = 1;
  int baseline_duration_minutes = 0;  // AWS's rule: start - floor_to_day(start - 7 days)
  std::vector<Attribution> attributions;
  Severity severity = Severity::kMedium;  // from the API's criticality; for the OCSF mirror
  // The key's minutes around the episode, for the OCSF mirror (not in the AWS record): the
  // Detector gives 30 minutes before `start` through the minute the finding was made (a
  // Start's minute holds its running count when it fired; an End's last minute is the one
  // that ended it), at most 64 minutes, the newest kept. See detector/detector.h.
  MinuteCounts minute_counts;
};

// Where findings go: a file, stdout, a Kafka topic. Publish() may be called from the
// detector's thread only; implementations document their own buffering.
class FindingSink {
 public:
  virtual ~FindingSink() = default;
  // Hands one finding over. Fails only when the sink can no longer accept findings.
  virtual Status Publish(const Finding& finding) = 0;
  // Makes everything published so far durable (written, flushed, acknowledged).
  virtual Status Flush() = 0;
};

}  // namespace trailsight::common
