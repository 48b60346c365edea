#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/finding.h"
#include "common/time.h"

namespace trailsight::eval {

// What a labelled stretch of traffic should raise.
enum class Expect {
  kInsight,  // a Start on `key` (call rate, or error rate with key.error_code)
  kAlert,    // a tamper alert on the key's API (type and error code ignored)
  kNothing,  // a control: benign traffic that looks unusual (a deploy wave, a new account);
             // any Start or novelty alert on its account (and region, when it names one) in
             // its window is reported against it, and is false
};

// One injected incident or control: the ground truth a run is scored against.
struct Label {
  std::string id;    // "d3-burst", "d4-deploy-1"
  std::string kind;  // the sim incident kind, or "deploy-wave" for a control
  Expect expect = Expect::kInsight;
  common::InsightKey key;  // a control's event_source and event_name (and region) may be
                           // empty: any API (any region)
  common::Seconds start{};
  common::Seconds end{};  // first second after the incident
};

// The window in which a Start (or alert) counts for a label: from the minute 2 minutes
// before its start to 15 minutes after its end, both ends included.
inline constexpr std::chrono::minutes kHitBefore{2};
inline constexpr std::chrono::minutes kHitAfter{15};

// How one label fared.
struct LabelOutcome {
  Label label;
  bool hit = false;                 // controls: true when a Start fell on it
  std::chrono::seconds latency{0};  // first hit's fired_at (alert time) - start, >= 0
  int starts = 0;                   // Starts (or alerts) that matched it
};

// Novelty alerts of one rule, counted, with those that fell on an incident (the same account,
// region and API, within its window) apart.
struct NoveltyTally {
  std::size_t alerts = 0;
  std::size_t on_incidents = 0;
};

// A run's score over its evaluated days.
struct RunScore {
  std::vector<LabelOutcome> outcomes;           // one per label, in label order
  std::vector<common::Finding> false_starts;    // Starts matching no incident, controls included
  std::vector<common::Alert> false_alerts;      // novelty alerts matching no incident
  std::size_t unmatched_alerts = 0;             // tamper alerts matching no tamper label
  std::map<std::string, NoveltyTally> novelty;  // by rule, in the evaluated span
  double evaluated_days = 0.0;

  int incidents() const;  // labels that expect an insight or an alert
  int hits() const;
  double recall() const;  // hits / incidents; 1 when there is no incident
  std::size_t false_findings() const { return false_starts.size() + false_alerts.size(); }
  double false_per_day() const;  // false findings (Starts and novelty alerts) a day
  // Median latency over the hit incidents (the lower middle of an even count); nullopt when
  // nothing was hit.
  std::optional<std::chrono::seconds> median_latency() const;
};

// Scores findings and alerts against labels, over the evaluated span [from, to). Only
// Starts whose start minute lies in the span are judged; End records are ignored. A Start
// hits every incident label on its key whose window (kHitBefore, kHitAfter) holds its start
// minute; a tamper alert hits every alert label of its account, region and API whose window
// holds its time; a novelty alert hits every incident label of its account, region and API
// whose window holds its time (whatever the label expects: a never-seen call is found by a
// first-sensitive-call alert as well as by an insight). Every Start or novelty alert that
// hits no incident is a false finding, whether or not it falls on a control.
RunScore Score(const std::vector<Label>& labels, const std::vector<common::Finding>& findings,
               const std::vector<common::Alert>& alerts, common::Seconds from, common::Seconds to);

}  // namespace trailsight::eval
